"""Workshop use cases: create, find, submit a participant's report, close and reopen (creator or admin).

Validation happens here, before anything is stored; each use case is one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carte.errors import N_, CarteError
from carte.geo.atlas import Atlas
from carte.models import Report, ReportSource
from carte.models.accounts import User
from carte.models.workshops import CLOSED, OPEN, Workshop
from carte.reports.service import build_report
from carte.storage.reports import workshop_by_code
from carte.text import clean_text
from carte.workshops.codes import is_valid, new_code, normalise

LIMITS = {"title": 120, "place": 200, "question": 300}
MULTILINE = {"question"}


def _text(data: Mapping, name: str, label: str, *, required: bool = True) -> str:
    """The shared cleaner, with the form's own messages for the two errors people make."""
    try:
        return (
            clean_text(data.get(name), name, max_len=LIMITS[name], required=required, multiline=name in MULTILINE) or ""
        )
    except CarteError as err:
        messages = {
            "required": N_("%(label)s est obligatoire."),
            "too_long": N_("%(label)s : %(n)s caractères au plus."),
        }
        if err.code not in messages:
            raise
        raise CarteError(err.code, messages[err.code], name, params={"label": label, "n": LIMITS[name]}) from None


def _values(data: Mapping, name: str) -> list[str]:
    raw = data.get(name) or []
    if isinstance(raw, str):
        raw = [raw]
    return [v.strip() for v in raw if isinstance(v, str) and v.strip()]


def create_workshop(
    session: Session,
    data: Mapping,
    *,
    themes: Collection[str],
    territoires: Collection[str],
    created_by: int | None,
) -> Workshop:
    """Validate a form (title, date, place, question, themes[], territoire) and store a workshop."""
    title = _text(data, "title", N_("Le titre"))
    place = _text(data, "place", N_("Le lieu"))
    question = _text(data, "question", N_("La question"))
    raw_date = data.get("date") or ""
    try:
        day = date.fromisoformat(raw_date.strip()) if isinstance(raw_date, str) else None
    except ValueError:
        day = None
    if day is None:
        raise CarteError("invalid_date", "Date invalide (attendu AAAA-MM-JJ).", "date")
    chosen = _values(data, "themes")
    unknown = [t for t in chosen if t not in themes]
    if unknown:
        raise CarteError(
            "unknown_theme", "Thème inconnu : %(values)s.", "themes", params={"values": ", ".join(unknown[:5])}
        )
    territoire = (data.get("territoire") or "").strip() or None
    if territoire is not None and territoire not in territoires:
        raise CarteError(
            "unknown_territoire", "Territoire inconnu : %(code)s.", "territoire", params={"code": territoire}
        )
    for _ in range(10):
        workshop = Workshop(
            code=new_code(),
            title=title,
            date=day,
            place=place,
            question=question,
            themes=" ".join(dict.fromkeys(chosen)),
            territoire_code=territoire,
            status=OPEN,
            created_by=created_by,
        )
        session.add(workshop)
        try:
            session.commit()
            return workshop
        except IntegrityError:  # the code was taken: draw another
            session.rollback()
    raise CarteError("code_exhausted", "Impossible de créer un code d'atelier : réessayez.", None, status=503)


def find_workshop(session: Session, raw_code: str) -> Workshop | None:
    code = normalise(raw_code)
    if not is_valid(code):
        return None
    return workshop_by_code(session, code)


def get_workshop(session: Session, raw_code: str) -> Workshop:
    workshop = find_workshop(session, raw_code)
    if workshop is None:
        raise CarteError("not_found", "Atelier introuvable : vérifiez le code.", "code", status=404)
    return workshop


def list_workshops(session: Session) -> list[Workshop]:
    return list(session.scalars(select(Workshop).order_by(Workshop.date.desc(), Workshop.id.desc())))


def report_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Report.workshop_id, func.count()).where(Report.workshop_id.is_not(None)).group_by(Report.workshop_id)
    )
    return dict(rows.all())


def submit_report(
    session: Session,
    atlas: Atlas,
    workshop: Workshop,
    data: object,
    *,
    contributor: str | None,
    premoderation: bool = False,
) -> Report:
    """A participant's report, tagged with the workshop; refused when the workshop is closed
    or when the report falls outside the workshop's themes or territory."""
    if not workshop.is_open:
        raise CarteError(
            "workshop_closed",
            "Cet atelier est terminé : il n'accepte plus de contributions. Merci !",
            "code",
            status=409,
        )
    report = build_report(
        session,
        atlas,
        _with_workshop(data, workshop, atlas),
        contributor=contributor,
        source=ReportSource.WEB,
        premoderation=premoderation,
    )
    if workshop.theme_slugs and report.theme.slug not in workshop.theme_slugs:
        _discard(session, report)
        raise CarteError("theme_not_in_workshop", "Ce thème ne fait pas partie de l'atelier.", "theme")
    if workshop.territoire_code:
        territoire = atlas.communes[report.commune_code]["territoire_code"]
        if territoire != workshop.territoire_code:
            _discard(session, report)
            raise CarteError("outside_workshop_territory", "Ce lieu est en dehors du territoire de l'atelier.", "lat")
    report.workshop_id = workshop.id
    session.add(report)
    session.commit()
    return report


def workshop_tag(workshop: Workshop) -> str:
    """A visible tag as well as the link: it survives exports and re-imports."""
    return f"atelier-{workshop.code.lower()}"


def _with_workshop(data: object, workshop: Workshop, atlas: Atlas) -> object:
    if not isinstance(data, Mapping):
        return data  # validation refuses it with its own message
    data = dict(data)
    tags = data.get("tags")
    if tags is None:
        tags = []
    if isinstance(tags, list):
        data["tags"] = [*tags, workshop_tag(workshop)] if workshop_tag(workshop) not in tags else tags
    commune = data.get("commune")
    if data.get("lat") is None and data.get("lon") is None and isinstance(commune, str) and commune in atlas.communes:
        # Participants who only give their commune need not describe the place.
        data.setdefault("location_text", f"{atlas.communes[commune]['nom']} (atelier {workshop.code})")
    return data


def may_manage(workshop: Workshop, user: User) -> bool:
    """Closing and reopening belong to the facilitator who created the workshop, and to admins."""
    return user.has_role("admin") or (workshop.created_by is not None and workshop.created_by == user.id)


def _ensure_may_manage(workshop: Workshop, user: User) -> None:
    if not may_manage(workshop, user):
        raise CarteError(
            "forbidden",
            "Seule la personne qui a créé cet atelier, ou un administrateur, peut le clore ou le rouvrir.",
            "code",
            status=403,
        )


def close_workshop(session: Session, workshop: Workshop, *, by: User) -> Workshop:
    _ensure_may_manage(workshop, by)
    if workshop.status != CLOSED:
        workshop.status = CLOSED
        workshop.closed_at = datetime.now(UTC)
        session.commit()
    return workshop


def reopen_workshop(session: Session, workshop: Workshop, *, by: User) -> Workshop:
    _ensure_may_manage(workshop, by)
    workshop.status = OPEN
    workshop.closed_at = None
    session.commit()
    return workshop


def _discard(session: Session, report: Report) -> None:
    """Nothing half-stored: a refused report leaves the session as it was."""
    if report in session:
        session.expunge(report)
