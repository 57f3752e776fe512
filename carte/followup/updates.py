"""Writing a report's progress: the one use case that agents, staff, Open311 back offices and
residents (« Toujours pas réglé ») all go through, so that every path keeps the same rules.

An update is public (its text and the body's name); who wrote it stays private. Marking a
report as a duplicate names the report it duplicates and moves its supports there, in the
same transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from carte.domain import PROGRESS
from carte.errors import CarteError
from carte.models import Report
from carte.models.followup import ReportUpdate
from carte.models.participation import Vote
from carte.storage.reports import get_report
from carte.text import clean_text

AUTHOR_KINDS = ("agent", "staff", "api", "resident", "system")
TEXT_MAX = 2000


def check_progress(value: object, field: str = "progress") -> str:
    if value not in PROGRESS:
        raise CarteError(
            "invalid_progress",
            "État inconnu : choisissez parmi %(values)s.",
            field,
            params={"values": ", ".join(PROGRESS)},
        )
    return value


def updates_of(session: Session, report: Report) -> list[ReportUpdate]:
    """The report's updates, oldest first (a timeline reads downwards)."""
    return list(
        session.scalars(
            select(ReportUpdate)
            .where(ReportUpdate.report_id == report.id)
            .order_by(ReportUpdate.created_at, ReportUpdate.id)
        )
    )


def _original(session: Session, report: Report, public_id: object) -> Report:
    """The report that `report` duplicates: published, not `report` itself, and at the root of its chain."""
    if not isinstance(public_id, str) or not public_id:
        raise CarteError("required", "Indiquez le signalement dont celui-ci est le doublon.", "duplicate_of")
    target = get_report(session, public_id)
    seen = {report.id}
    while target is not None and target.duplicate_of_id is not None and target.id not in seen:
        seen.add(target.id)
        target = session.get(Report, target.duplicate_of_id)
    if target is None or target.status != "published":
        raise CarteError("not_found", "Le signalement d'origine est introuvable.", "duplicate_of", status=404)
    if target.id in seen:
        raise CarteError("invalid_duplicate", "Un signalement ne peut pas être le doublon de lui-même.", "duplicate_of")
    return target


def _move_supports(session: Session, source: Report, target: Report) -> None:
    """Supports follow the report into its original; a resident who supported both counts once."""
    from carte.participation.votes import recount

    already = select(Vote.voter).where(Vote.report_id == target.id).scalar_subquery()
    session.execute(delete(Vote).where(Vote.report_id == source.id, Vote.kind == "support", Vote.voter.in_(already)))
    session.execute(
        update(Vote)
        .where(Vote.report_id == source.id, Vote.kind == "support")
        .values(report_id=target.id)
        .execution_options(synchronize_session=False)
    )
    recount(session, source)
    recount(session, target)


def post_update(
    session: Session,
    report: Report,
    *,
    progress: object,
    text: object,
    body_code: str | None,
    author_kind: str,
    user_id: int | None = None,
    api_key_id: int | None = None,
    media_url: str | None = None,
    duplicate_of: object = None,
) -> ReportUpdate:
    """Record one update and move the report to its progress, in one transaction.

    Who may write for which body is the caller's check (`carte.followup.bodies.may_update` for staff,
    the key's body for Open311): this function trusts `body_code`.
    """
    if author_kind not in AUTHOR_KINDS:
        raise ValueError(f"unknown author kind {author_kind!r}")
    progress = check_progress(progress)
    text = clean_text(text, "text", max_len=TEXT_MAX, multiline=True) or ""
    if report.status == "withdrawn":
        raise CarteError("report_withdrawn", "Ce signalement a été retiré par son auteur.", "id", status=409)
    if progress == report.progress and not text:
        raise CarteError("empty_update", "Écrivez un texte ou changez l'état du signalement.", "text")
    if progress == "duplicate":
        original = _original(session, report, duplicate_of)
        report.duplicate_of_id = original.id
        _move_supports(session, report, original)
    else:
        report.duplicate_of_id = None
    report.progress = progress
    entry = ReportUpdate(
        report_id=report.id,
        progress=progress,
        text=text,
        body_code=body_code,
        author_kind=author_kind,
        user_id=user_id,
        api_key_id=api_key_id,
        media_url=media_url,
    )
    session.add(entry)
    session.commit()
    return entry
