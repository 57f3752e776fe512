"""GeoReport v2 use cases over Carte's themes and reports (no Flask here).

Themes are services; reports are service requests. What is published follows the
moderation rules: published reports are `open` or `closed` by their progress (closed once
fixed, declined or a duplicate), with their text and, as `status_notes`, their latest public
update; hidden or rejected ones are `closed` with the moderator's note but without their text;
pending ones are only visible by id (so that the client that sent one can follow it), text
withheld. Every request also carries `extended_attributes` {progress, status}: Carte's progress
and the FixMyStreet extended status it maps to (see carte/open311/updates.py).
Requesters' emails and names are stored in `ReportContact` and never returned.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from carte.domain import CLOSED, DATE_MAX, DATE_MIN
from carte.errors import CarteError
from carte.models import Report, ReportSource, Theme
from carte.models.interop import ApiKey, ReportContact, ReportMedia
from carte.open311.errors import Open311Error
from carte.storage.reports import active_themes
from carte.text import clean_text, is_email

JURISDICTION = "grand-paris"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-27T00:00:00Z"
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
MAX_VALUE = 64  # one id, code or status of a GET list parameter
LISTED_STATUSES = ("published", "hidden", "rejected")  # moderation statuses GET requests lists
MODERATED_STATUSES = ("hidden", "rejected")  # always `closed`, text withheld
STATUSES = ("open", "closed")
THEME_KEYWORDS = {
    "mobilite": "transport, vélo, bus, voirie, circulation",
    "espaces-publics-proprete": "propreté, déchets, graffitis, mobilier urbain, encombrants",
    "logement": "logement, loyer, insalubrité",
    "environnement-nature": "arbres, nature, eau, chaleur, pollution",
    "emploi-insertion": "emploi, formation, insertion",
    "numerique-droits": "numérique, démarches, accès aux droits, wifi",
    "vie-associative-culture": "associations, culture, salles, bibliothèques",
    "sante-services": "santé, médecins, services publics, toilettes",
    "education-jeunesse": "école, jeunesse, crèches, activités",
    "securite-tranquillite": "éclairage, sécurité, bruit, carrefours dangereux",
}
_POSTCODE = re.compile(r"\b(7[5]|9[234])\s?(\d{3})\b")


def check_jurisdiction(value: str | None) -> None:
    if value is not None and value.strip() and value.strip() != JURISDICTION:
        raise Open311Error(404, f"jurisdiction_id inconnu : seul « {JURISDICTION} » est servi.")


# --- discovery and services ---------------------------------------------------------------------


def discovery(endpoint_url: str) -> dict:
    return {
        "changeset": CHANGESET,
        "contact": "Carte, Métropole du Grand Paris",
        "key_service": "Clés délivrées par les administrateurs de Carte (flask carte create-api-key).",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service(theme: Theme) -> dict:
    return {
        "service_code": theme.slug,
        "service_name": theme.label,
        "description": f"Signalements et besoins du thème « {theme.label} » dans la Métropole du Grand Paris.",
        "metadata": True,
        "type": "realtime",
        "keywords": THEME_KEYWORDS.get(theme.slug, theme.label.lower()),
        "group": "Carte",
    }


def service_definition(theme: Theme) -> dict:
    """The extra fields a request of this service may carry (`attribute[code]=…` when posting)."""
    return {
        "service_code": theme.slug,
        "attributes": [
            {
                "variable": True,
                "code": "title",
                "datatype": "string",
                "required": False,
                "datatype_description": "5 à 120 caractères ; par défaut, le début de la description.",
                "order": 1,
                "description": "Titre du signalement",
            },
            {
                "variable": True,
                "code": "tags",
                "datatype": "string",
                "required": False,
                "datatype_description": "Jusqu'à 5 mots-clés séparés par des virgules (40 caractères chacun).",
                "order": 2,
                "description": "Mots-clés",
            },
        ],
    }


def find_service(themes: Mapping[str, Theme], code: str | None, *, status: int = 404) -> Theme:
    if not code or not code.strip():
        raise Open311Error(400, "service_code manquant.")
    theme = themes.get(code.strip())
    if theme is None:
        raise Open311Error(status, f"service_code inconnu : {code.strip()[:60]}.")
    return theme


# --- reading requests ---------------------------------------------------------------------------


def w3c(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_w3c(raw: str, field: str) -> datetime:
    """A W3C date or date-time, in UTC; outside [DATE_MIN, DATE_MAX] it is refused before it overflows."""
    text = raw.strip()
    try:
        if len(text) == 10:
            value = datetime.combine(date.fromisoformat(text), time.min)
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+", 1) if "T" in text else text)
    except ValueError:
        raise Open311Error(400, f"{field} : date invalide (format W3C attendu, ex. 2024-05-01T08:00:00Z).") from None
    if not DATE_MIN <= value.date() <= DATE_MAX:
        raise Open311Error(400, f"{field} : date attendue entre {DATE_MIN.isoformat()} et {DATE_MAX.isoformat()}.")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = STATUSES  # GeoReport statuses: open, closed
    start: datetime | None = None
    end: datetime | None = None


def _list(args: Mapping[str, str], name: str) -> tuple[str, ...]:
    values = (_clean(v, name, MAX_VALUE) for v in (args.get(name) or "").split(","))
    return tuple(dict.fromkeys(v for v in values if v))


def parse_window(args: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    """`start_date` and `end_date`, at most 90 days apart; by default the last 90 days."""
    start = parse_w3c(args["start_date"], "start_date") if (args.get("start_date") or "").strip() else None
    end = parse_w3c(args["end_date"], "end_date") if (args.get("end_date") or "").strip() else None
    if start and end and start > end:
        raise Open311Error(400, "start_date doit précéder end_date.")
    if start and end and end - start > WINDOW:
        raise Open311Error(400, "La période demandée ne peut pas dépasser 90 jours.")
    if start is None and end is None:
        end = now
        start = now - WINDOW
    elif start is None:
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    return start, end


def parse_query(args: Mapping[str, str], themes: Mapping[str, Theme], now: datetime) -> RequestQuery:
    """Check GET requests parameters; the default window is the last 90 days."""
    ids = _list(args, "service_request_id")
    if ids:  # the spec: an id list overrides every other parameter
        return RequestQuery(ids=ids[:MAX_REQUESTS])
    codes = _list(args, "service_code")
    unknown = [c for c in codes if c not in themes]
    if unknown:
        raise Open311Error(400, f"service_code inconnu : {', '.join(unknown[:5])[:200]}.")
    statuses = _list(args, "status")
    if any(status not in STATUSES for status in statuses):
        raise Open311Error(400, "status attend open ou closed.")
    start, end = parse_window(args, now)
    return RequestQuery(service_codes=codes, statuses=statuses or STATUSES, start=start, end=end)


def _status_clause(statuses: tuple[str, ...]):
    """SQL for GeoReport statuses: `closed` is moderated away, or published and fixed, declined or a duplicate."""
    closed = or_(
        Report.status.in_(MODERATED_STATUSES), and_(Report.status == "published", Report.progress.in_(sorted(CLOSED)))
    )
    is_open = and_(Report.status == "published", Report.progress.not_in(sorted(CLOSED)))
    if set(statuses) >= set(STATUSES):
        return Report.status.in_(LISTED_STATUSES)
    return closed if statuses == ("closed",) else is_open


def find_requests(session: Session, query: RequestQuery) -> list[Report]:
    stmt = select(Report).options(selectinload(Report.commune), selectinload(Report.arrondissement))
    if query.ids:
        stmt = stmt.where(Report.public_id.in_(query.ids), Report.status.in_(LISTED_STATUSES + ("pending",)))
    else:
        stmt = stmt.where(_status_clause(query.statuses))
        if query.service_codes:
            stmt = stmt.where(Report.theme_id.in_(select(Theme.id).where(Theme.slug.in_(query.service_codes))))
        stmt = stmt.where(Report.created_at >= query.start, Report.created_at <= query.end)
    stmt = stmt.order_by(Report.created_at.desc(), Report.id.desc()).limit(MAX_REQUESTS)
    return list(session.scalars(stmt).unique().all())


def media_urls(session: Session, reports: list[Report]) -> dict[int, str]:
    if not reports:
        return {}
    rows = session.execute(
        select(ReportMedia.report_id, ReportMedia.url).where(ReportMedia.report_id.in_([r.id for r in reports]))
    )
    return dict(rows.all())


def zipcode(report: Report, communes: Mapping[str, dict]) -> str | None:
    """Paris: the arrondissement's postcode (751NN -> 750NN); elsewhere the commune's first one."""
    arr = report.arrondissement_code
    if arr and arr.startswith("751"):
        return "750" + arr[3:]
    postcodes = communes.get(report.commune_code, {}).get("codes_postaux") or [None]
    return postcodes[0]


def open311_status(report: Report) -> str:
    """`closed` once moderated away, or fixed, declined or a duplicate; `open` otherwise (pending too)."""
    if report.status in MODERATED_STATUSES or report.status == "withdrawn":
        return "closed"
    return "closed" if report.progress in CLOSED else "open"


def latest_updates(session: Session, reports: list[Report]) -> dict[int, str]:
    """Each report's latest non-empty public update text (its `status_notes`)."""
    from carte.models.followup import ReportUpdate

    if not reports:
        return {}
    rows = session.execute(
        select(ReportUpdate.report_id, ReportUpdate.text)
        .where(ReportUpdate.report_id.in_([r.id for r in reports]), ReportUpdate.text != "")
        .order_by(ReportUpdate.report_id, ReportUpdate.created_at, ReportUpdate.id)
    )
    return dict(rows.all())  # the last row of each report wins


def _description(report: Report) -> str:
    title, text = report.title or "", report.description or ""
    if not text:
        return title
    if text.startswith(title.rstrip("…")):
        return text
    return f"{title}\n\n{text}"


def request_json(
    report: Report,
    communes: Mapping[str, dict],
    media_url: str | None = None,
    *,
    agency: str | None = None,
    notes: str | None = None,
) -> dict:
    """One service request, in the spec's field order, then `extended_attributes`. Contacts are never
    part of it. `agency` is the responsible body's name; `notes` the latest public update's text."""
    from carte.open311.updates import extended_status

    public = report.status == "published"
    place = report.arrondissement.nom if report.arrondissement else report.commune.nom
    updated = report.updated_at or report.created_at
    return {
        "service_request_id": report.public_id,
        "status": open311_status(report),
        "status_notes": (notes or report.moderation_note) if public else report.moderation_note,
        "service_name": report.theme.label,
        "service_code": report.theme.slug,
        "description": _description(report) if public else None,
        "agency_responsible": agency or report.commune.nom,
        "service_notice": None,
        "requested_datetime": w3c(report.created_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": None,
        "address": (report.location_text if public and report.location_text else place),
        "address_id": None,
        "zipcode": zipcode(report, communes),
        "lat": report.lat,
        "long": report.lon,
        "media_url": media_url if public else None,
        "extended_attributes": {"progress": report.progress, "status": extended_status(report.progress)},
    }


# --- creating requests --------------------------------------------------------------------------


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " " + re.sub(r"[^a-z0-9]+", " ", text).strip() + " "


def commune_from_address(address: str, communes: Mapping[str, dict]) -> str | None:
    """The commune an address names, by postcode first, then by its name (longest match)."""
    postcode_match = _POSTCODE.search(address)
    if postcode_match:
        postcode = postcode_match.group(1) + postcode_match.group(2)
        if postcode.startswith("750") or postcode.startswith("751"):
            return "75056" if "75056" in communes else None
        for code, props in communes.items():
            if postcode in (props.get("codes_postaux") or ()):
                return code
    folded = _fold(address)
    best = None
    for code, props in communes.items():
        name = _fold(props["nom"])
        if name in folded and (best is None or len(name) > len(best[1])):
            best = (code, name)
    return best[0] if best else None


def _title_from(description: str) -> str:
    first = description.strip().split("\n", 1)[0].strip()
    if len(first) <= 120:
        return first
    cut = first[:119].rsplit(" ", 1)[0]
    return (cut if len(cut) >= 60 else first[:119]) + "…"


def _clean(value, name: str, limit: int, *, multiline: bool = False) -> str | None:
    """The shared text cleaner, its refusals told the Open311 way."""
    try:
        return clean_text(value, name, max_len=limit, multiline=multiline)
    except CarteError as err:
        raise Open311Error(400, f"{name} : {err.message}") from None


def _optional(form: Mapping[str, str], name: str, limit: int) -> str | None:
    return _clean(form.get(name), name, limit)


_FIELD_NAMES = {
    "lat": "lat",
    "lon": "long",
    "title": "attribute[title]",
    "tags": "attribute[tags]",
    "description": "description",
    "location_text": "address_string",
    "commune": "address_string",
}


def create_request(
    session: Session,
    atlas,
    form: Mapping[str, str],
    key: ApiKey,
    *,
    premoderation: bool,
) -> Report:
    """Validate a POSTed request and store it (with its private contact) in one transaction."""
    from carte.reports.service import build_report

    themes = {t.slug: t for t in active_themes(session)}
    theme = find_service(themes, form.get("service_code"))
    description = _clean(form.get("description"), "description", 2000, multiline=True) or ""
    title = _optional(form, "attribute[title]", 120) or (_title_from(description) if description else "")
    if len(title) < 5:
        title = theme.label
    tags = [t.strip() for t in (_optional(form, "attribute[tags]", 500) or "").split(",") if t.strip()]
    address = _optional(form, "address_string", 500) or ""
    payload: dict = {"theme": theme.slug, "title": title, "description": description, "tags": tags}
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if lat or lon:
        payload.update(lat=lat, lon=lon)
        if address:
            payload["location_text"] = address[:200]
    elif address:
        commune = commune_from_address(address, atlas.communes)
        if commune is None:
            raise Open311Error(
                400, "address_string : commune de la Métropole du Grand Paris introuvable ; envoyez lat et long."
            )
        payload.update(commune=commune, location_text=address[:200] if len(address) >= 3 else None)
    else:
        raise Open311Error(400, "Localisation manquante : lat et long, ou address_string.")
    email = _optional(form, "email", 254)
    if email and not is_email(email.lower()):
        raise Open311Error(400, "email : adresse invalide.")
    first_name, last_name = _optional(form, "first_name", 80), _optional(form, "last_name", 80)
    media_url = _optional(form, "media_url", 500)
    if media_url and not re.match(r"^https?://[^\s/]+", media_url):
        raise Open311Error(400, "media_url : une adresse http(s) est attendue.")
    try:
        report = build_report(
            session, atlas, payload, contributor=None, source=ReportSource.API, premoderation=premoderation
        )
    except CarteError as err:
        field = _FIELD_NAMES.get(err.field or "", err.field or "")
        if err.code == "outside_area":
            raise Open311Error(400, "Ce point est en dehors de la Métropole du Grand Paris.") from None
        raise Open311Error(400, f"{field} : {err.message}" if field else err.message) from None
    report.source_name = key.name
    session.add(report)
    session.flush()
    if email or first_name or last_name:
        session.add(
            ReportContact(
                report_id=report.id, api_key_id=key.id, email=email, first_name=first_name, last_name=last_name
            )
        )
    if media_url:
        session.add(ReportMedia(report_id=report.id, url=media_url))
    session.commit()
    return report
