"""The journal: every staff decision (moderation, theme routing, reassignment, progress), newest first, with the
names of the items it is about."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from carte.domain import ID_MAX
from carte.errors import CarteError
from carte.models import Report
from carte.models.accounts import AuditLog
from carte.models.participation import Comment


def audit_entries(session: Session, *, limit: int = 100, before: int | None = None):
    """The newest entries, or those before the id `before` (a page of the journal)."""
    if before is not None and not 0 <= before <= ID_MAX:
        raise CarteError(
            "out_of_range", "Valeur attendue entre %(low)s et %(high)s.", "avant", params={"low": 0, "high": ID_MAX}
        )
    stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if before:
        stmt = stmt.where(AuditLog.id < before)
    return session.scalars(stmt).unique().all()


def audit_titles(session: Session, entries) -> dict[tuple[str, str], str]:
    """What each entry's item is called, so that the journal names items instead of showing ids.

    Reports by their title; comments by the start of their text and their report's title.
    Items erased since have no row and keep their id.
    """
    ids = defaultdict(set)
    for entry in entries:
        ids[entry.target_type].add(entry.target_id)
    titles: dict[tuple[str, str], str] = {}
    if ids["report"]:
        rows = session.execute(select(Report.public_id, Report.title).where(Report.public_id.in_(ids["report"])))
        titles.update({("report", public_id): title for public_id, title in rows})
    if ids["comment"]:
        rows = session.execute(
            select(Comment.public_id, Comment.body, Report.title)
            .join(Report, Report.id == Comment.report_id)
            .where(Comment.public_id.in_(ids["comment"]))
        )
        for public_id, body, report_title in rows:
            excerpt = body if len(body) <= 60 else body[:59].rstrip() + "…"
            titles[("comment", public_id)] = f"« {excerpt} » ({report_title})"
    return titles
