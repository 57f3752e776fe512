"""Comments on a report: 2 to 1,000 characters, an optional display name, moderated like reports."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from carte.models import Report
from carte.models.participation import Comment
from carte.participation.common import require_public
from carte.text import clean_text

MIN_LENGTH = 2
MAX_LENGTH = 1000
PUBLIC_STATUSES = ("published", "hidden")  # hidden ones show as "masqué par la modération"


def recount(session: Session, report_id: int) -> None:
    published = (
        select(func.count())
        .select_from(Comment)
        .where(Comment.report_id == report_id, Comment.status == "published")
        .scalar_subquery()
    )
    session.execute(
        update(Report).where(Report.id == report_id).values(comment_count=published, updated_at=Report.updated_at)
    )


def add_comment(
    session: Session,
    report: Report | None,
    data: dict,
    *,
    contributor: str,
    premoderation: bool,
    withdraw_hash: str | None = None,
) -> Comment:
    report = require_public(report)
    body = clean_text(data.get("body"), "body", min_len=MIN_LENGTH, max_len=MAX_LENGTH, required=True, multiline=True)
    author = clean_text(data.get("author_name"), "author_name", max_len=80)
    comment = Comment(
        public_id=secrets.token_hex(6),
        report_id=report.id,
        body=body,
        author_name=author,
        contributor=contributor,
        status="pending" if premoderation else "published",
        withdraw_hash=withdraw_hash,
    )
    session.add(comment)
    session.flush()
    recount(session, report.id)
    session.commit()
    return comment


def public_comments(session: Session, report: Report) -> Sequence[Comment]:
    return session.scalars(
        select(Comment)
        .where(Comment.report_id == report.id, Comment.status.in_(PUBLIC_STATUSES))
        .order_by(Comment.created_at, Comment.id)
    ).all()


def get_comment(session: Session, public_id: str) -> Comment | None:
    return session.scalars(select(Comment).where(Comment.public_id == public_id)).one_or_none()
