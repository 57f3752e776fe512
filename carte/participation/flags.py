"""Flags: a resident reports a report or a comment as spam, abuse or personal data.

After `threshold` flags from distinct residents, the item is hidden until a moderator
decides; the moderation queue shows it with all its flags. Distinct means distinct
contributor cookies (the unique constraint) AND distinct addresses (`source`, a keyed hash):
a client mints a new cookie by dropping its own, but not a new address, so one person can
no longer hide a report alone. Residents behind one address count once towards the hide.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carte.errors import CarteError
from carte.models import Report
from carte.models.accounts import AuditLog
from carte.models.participation import FLAG_REASONS, Comment, Flag
from carte.participation.common import require_public
from carte.text import clean_text


def open_flag_count(session: Session, target_type: str, target_id: int) -> int:
    """Open flags from distinct addresses (flags stored before sources were kept count by cookie)."""
    return (
        session.scalar(
            select(func.count(func.distinct(func.coalesce(Flag.source, Flag.flagger)))).where(
                Flag.target_type == target_type, Flag.target_id == target_id, Flag.resolved.is_(False)
            )
        )
        or 0
    )


def flag_item(
    session: Session,
    target_type: str,
    target: Report | Comment | None,
    data: dict,
    *,
    flagger: str,
    source: str | None,
    threshold: int,
) -> dict:
    if target_type == "comment":
        if target is None or target.status not in ("published", "hidden"):
            raise CarteError("not_found", "Commentaire introuvable.", "id", status=404)
        if target.status == "hidden":
            raise CarteError("comment_hidden", "Ce commentaire est déjà masqué par la modération.", "id", status=409)
    else:
        target = require_public(target)
    reason = data.get("reason")
    if reason not in FLAG_REASONS:
        raise CarteError(
            "invalid_reason", "Choisissez un motif : spam, propos abusifs ou données personnelles.", "reason"
        )
    details = clean_text(data.get("details"), "details", max_len=500, multiline=True)
    exists = session.scalar(
        select(func.count())
        .select_from(Flag)
        .where(Flag.target_type == target_type, Flag.target_id == target.id, Flag.flagger == flagger)
    )
    if exists:
        raise CarteError("already_flagged", "Vous avez déjà signalé ce contenu.", None, status=409)
    try:
        session.add(
            Flag(
                target_type=target_type,
                target_id=target.id,
                flagger=flagger,
                source=source,
                reason=reason,
                details=details,
            )
        )
        session.flush()
    except IntegrityError:
        session.rollback()
        raise CarteError("already_flagged", "Vous avez déjà signalé ce contenu.", None, status=409) from None
    hidden = False
    if open_flag_count(session, target_type, target.id) >= threshold:
        target.status = "hidden"
        hidden = True
        public_id = target.public_id
        session.add(
            AuditLog(
                user_id=None,
                action="auto_hide",
                target_type=target_type,
                target_id=public_id,
                reason=f"{threshold} signalements d'habitants",
            )
        )
        if target_type == "comment":
            from carte.participation.comments import recount

            session.flush()
            recount(session, target.report_id)
    session.commit()
    return {"flagged": True, "hidden": hidden}
