"""The GeoReport v2 updates extension, as FixMyStreet uses it (`servicerequestupdates`), over
Carte's report updates (no Flask here).

GET lists the updates of published reports in a date window, oldest first, at most
MAX_UPDATES a call: a client pages by sending the last `updated_datetime` it read as its next
`start_date` (and skips the `update_id`s it already has).

POST lets a body's back office answer its own reports: the API key belongs to a body
(`ApiKey.body_code`), which must be the report's responsible body. The update is written by
the one use case that writes progress, `carte.followup.updates.post_update`.

Statuses: Carte's progress goes out as FixMyStreet's extended status (lower case, as its
Open311 adapter sends them); coming in, FixMyStreet's statuses (any case, `_` or spaces) and
Carte's own progress names are accepted. FixMyStreet reads an incoming `closed` as fixed when it
does not use extended statuses: so does Carte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from carte.domain import CLOSED, PROGRESS
from carte.errors import CarteError
from carte.followup.updates import post_update
from carte.models import Report
from carte.models.followup import ReportUpdate
from carte.models.interop import ApiKey
from carte.open311.errors import Open311Error
from carte.open311.service import LISTED_STATUSES, _clean, parse_w3c, parse_window, w3c

MAX_UPDATES = 1000
# Carte's progress -> FixMyStreet's extended status.
EXTENDED = {
    "submitted": "open",
    "acknowledged": "investigating",
    "in_progress": "in_progress",
    "fixed": "fixed",
    "declined": "no_further_action",
    "duplicate": "duplicate",
}
# FixMyStreet's statuses -> Carte's progress; None: `open`, which keeps an open report's progress
# (a new one becomes acknowledged) and reopens a closed one.
INCOMING = {
    **{progress: progress for progress in PROGRESS},
    "open": None,
    "reopen": "in_progress",
    "for_triage": "acknowledged",
    "investigating": "acknowledged",
    "planned": "in_progress",
    "action_scheduled": "in_progress",
    "closed": "fixed",
    "not_councils_responsibility": "declined",
    "no_further_action": "declined",
    "internal_referral": "declined",
}


def extended_status(progress: str | None) -> str:
    return EXTENDED.get(progress or "submitted", "open")


def incoming_progress(raw: str | None, current: str) -> str:
    """The progress an incoming `status` means for a report now at `current`."""
    status = re.sub(r"[\s_-]+", "_", (raw or "").strip().lower())
    if not status:
        raise Open311Error(400, "status manquant.")
    if status not in INCOMING:
        raise Open311Error(400, f"status inconnu : attendu parmi {', '.join(sorted(INCOMING))}.")
    progress = INCOMING[status]
    if progress is None:  # open
        if current in CLOSED:
            return "in_progress"
        return "acknowledged" if current == "submitted" else current
    return progress


# --- listing --------------------------------------------------------------------------------------


def find_updates(session: Session, args: Mapping[str, str], now: datetime) -> list[tuple[ReportUpdate, str]]:
    """(update, its report's public id) in the window, oldest first; only published reports'."""
    start, end = parse_window(args, now)
    rows = session.execute(
        select(ReportUpdate, Report.public_id)
        .join(Report, Report.id == ReportUpdate.report_id)
        .where(Report.status == "published", ReportUpdate.created_at >= start, ReportUpdate.created_at <= end)
        .order_by(ReportUpdate.created_at, ReportUpdate.id)
        .limit(MAX_UPDATES)
    )
    return [(update, public_id) for update, public_id in rows.all()]


def update_json(update: ReportUpdate, public_id: str) -> dict:
    return {
        "update_id": str(update.id),
        "service_request_id": public_id,
        "status": extended_status(update.progress),
        "updated_datetime": w3c(update.created_at),
        "description": update.text or "",
        "media_url": update.media_url,
    }


# --- posting --------------------------------------------------------------------------------------


def post_request_update(session: Session, bodies, form: Mapping[str, str], key: ApiKey, now: datetime) -> ReportUpdate:
    """Check a back office's update and write it through `post_update`, as the key's body."""
    if not key.body_code:
        raise Open311Error(403, "Cette api_key n'appartient à aucun organisme : elle ne peut que déposer des demandes.")
    request_id = _clean(form.get("service_request_id"), "service_request_id", 64)
    if not request_id:
        raise Open311Error(400, "service_request_id manquant.")
    report = session.scalars(
        select(Report).where(
            Report.public_id == request_id, Report.status.in_(LISTED_STATUSES + ("pending", "withdrawn"))
        )
    ).one_or_none()
    if report is None:
        raise Open311Error(404, "service_request_id introuvable.")
    responsible = bodies.of_report(report)
    if responsible != key.body_code:
        raise Open311Error(403, "Ce signalement relève d'un autre organisme que celui de cette api_key.")
    progress = incoming_progress(form.get("status"), report.progress)
    text = _clean(form.get("description"), "description", 2000, multiline=True) or ""
    media_url = _clean(form.get("media_url"), "media_url", 500)
    if media_url and not re.match(r"^https?://[^\s/]+", media_url):
        raise Open311Error(400, "media_url : une adresse http(s) est attendue.")
    raw_at = (form.get("updated_datetime") or "").strip()
    at = parse_w3c(raw_at, "updated_datetime") if raw_at else None
    duplicate_of = _clean(form.get("duplicate_of"), "duplicate_of", 64)
    try:
        update = post_update(
            session,
            report,
            progress=progress,
            text=text,
            body_code=key.body_code,
            author_kind="api",
            api_key_id=key.id,
            media_url=media_url,
            duplicate_of=duplicate_of,
        )
    except CarteError as err:
        session.rollback()
        raise Open311Error(
            err.status if err.status in (404, 409) else 400,
            f"{err.field} : {err.message}" if err.field else err.message,
        ) from None
    if at is not None:
        # The back office's own date, never in the future nor before the report itself.
        created = report.created_at if report.created_at.tzinfo else report.created_at.replace(tzinfo=UTC)
        update.created_at = min(max(at, created), now)
        session.commit()
    return update
