"""A resident withdraws what they posted: from the browser that posted it, or with a private link.

The browser path compares the signed contributor cookie with the item's `contributor`. The
link path is for another device, or after cookies are cleared: a random token shown once in
the answer to the post; only its SHA-256 is stored (`withdraw_hash`), so a leaked database
gives no working link, and the hash is cleared once used.

A withdrawn item keeps its row (status `withdrawn`, so ids, counters and the audit log still
refer to something) but loses every text the resident wrote, its photos (files too), and the
private contact of an Open311 requester. Public lists, Open311, exports and aggregates only
show published items, so it disappears from them; the data version is bumped by the ORM
change, which the in-memory report index follows. The audit log says who withdrew (the
author or the private link), never what was written.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from carte.errors import N_, CarteError
from carte.models import Report, ReportStatus
from carte.models.accounts import AuditLog
from carte.models.interop import ReportContact, ReportMedia
from carte.models.participation import Comment, Flag, Photo
from carte.participation.photos import photo_files, remove_photo_files

WITHDRAWN = ReportStatus.WITHDRAWN.value
BY_AUTHOR, BY_LINK = "author", "private link"
TARGETS = {"report": Report, "comment": Comment}


def new_link_token() -> tuple[str, str]:
    """(token for the link, hash to store): 256 random bits, so a plain SHA-256 is enough."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def find_by_token(session: Session, token: str) -> tuple[str, Report | Comment] | None:
    """("report" | "comment", item) for an unused link, None for an unknown or used one."""
    digest = token_hash(token)
    for target_type, model in TARGETS.items():
        item = (
            session.scalars(select(model).where(model.withdraw_hash == digest, model.status != WITHDRAWN))
            .unique()
            .one_or_none()
        )
        if item is not None:
            return target_type, item
    return None


def erase_report_text(session: Session, report: Report) -> list[str]:
    """Blank what the resident wrote on a report and drop its photos, contact and media links.

    Returns the photo file names to remove once the transaction commits.
    """
    files = photo_files(session.scalars(select(Photo).where(Photo.report_id == report.id)))
    session.execute(delete(Photo).where(Photo.report_id == report.id))
    session.execute(delete(ReportContact).where(ReportContact.report_id == report.id))
    session.execute(delete(ReportMedia).where(ReportMedia.report_id == report.id))
    report.title = ""
    report.description = ""
    report.author_name = None
    report.location_text = None
    report.moderation_note = None
    report.tags = []
    report.withdraw_hash = None
    report.status = WITHDRAWN
    _resolve_flags(session, "report", report.id)
    return files


def erase_comment_text(session: Session, comment: Comment) -> None:
    comment.body = ""
    comment.author_name = None
    comment.moderation_note = None
    comment.withdraw_hash = None
    comment.status = WITHDRAWN
    _resolve_flags(session, "comment", comment.id)


def _resolve_flags(session: Session, target_type: str, target_id: int) -> None:
    """Open flags on a withdrawn item are moot: it leaves the moderation queue."""
    session.execute(
        update(Flag).where(Flag.target_type == target_type, Flag.target_id == target_id).values(resolved=True)
    )


def withdraw(session: Session, target_type: str, item: Report | Comment, *, by: str, upload_dir: Path) -> None:
    """Withdraw one report or comment and write the audit trace, in one transaction."""
    from carte.participation.comments import recount

    files: list[str] = []
    if target_type == "report":
        files = erase_report_text(session, item)
    else:
        erase_comment_text(session, item)
        session.flush()
        recount(session, item.report_id)
    session.add(AuditLog(user_id=None, action="withdraw", target_type=target_type, target_id=item.public_id, reason=by))
    session.commit()
    remove_photo_files(upload_dir, files)


def withdraw_as_author(
    session: Session, target_type: str, item: Report | Comment | None, contributor: str, *, upload_dir: Path
) -> None:
    """The browser path: only the contributor cookie that posted the item may withdraw it."""
    if item is None or item.status == WITHDRAWN:
        message = N_("Signalement introuvable.") if target_type == "report" else N_("Commentaire introuvable.")
        raise CarteError("not_found", message, "id", status=404)
    if not item.contributor or not secrets.compare_digest(item.contributor.encode(), contributor.encode()):
        raise CarteError(
            "not_author",
            "Seule la personne qui l'a publié peut retirer ce contenu, depuis le même navigateur "
            "ou avec son lien privé.",
            "id",
            status=403,
        )
    withdraw(session, target_type, item, by=BY_AUTHOR, upload_dir=upload_dir)
