"""Moderation: the queue of pending and flagged items, and the decisions taken on them.

Every decision resolves the item's open flags and writes one audit-log row (who, when,
what, why) in the same transaction.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from carte.errors import CarteError
from carte.models import Report
from carte.models.accounts import AuditLog
from carte.models.participation import Comment, Flag
from carte.reports.filters import ID_MAX
from carte.text import clean_text

ACTIONS = {"publish": "published", "hide": "hidden", "reject": "rejected"}
TARGETS = {"report": Report, "comment": Comment}


@dataclass
class QueueItem:
    target_type: str
    item: Report | Comment
    flags: list[Flag] = field(default_factory=list)
    report: Report | None = None  # the report a comment belongs to


def moderation_queue(session: Session, limit: int = 200) -> list[QueueItem]:
    """Pending items and items with open flags, oldest first (first come, first decided)."""
    open_flags = session.scalars(select(Flag).where(Flag.resolved.is_(False)).order_by(Flag.created_at)).all()
    flags_by = defaultdict(list)
    for flag in open_flags:
        flags_by[(flag.target_type, flag.target_id)].append(flag)
    items: list[QueueItem] = []
    for target_type, model in TARGETS.items():
        flagged_ids = [tid for (ttype, tid) in flags_by if ttype == target_type]
        rows = session.scalars(
            select(model).where(or_(model.status == "pending", model.id.in_(flagged_ids))).order_by(model.created_at).limit(limit)
        ).unique().all()
        for row in rows:
            item = QueueItem(target_type, row, flags_by.get((target_type, row.id), []))
            if target_type == "comment":
                item.report = session.get(Report, row.report_id)
            items.append(item)
    items.sort(key=lambda i: i.item.created_at)
    return items


def decide(session: Session, user_id: int, target_type: str, public_id: str, action: str, reason) -> Report | Comment:
    if target_type not in TARGETS:
        raise CarteError("not_found", "Élément introuvable.", "target_type", status=404)
    if action not in ACTIONS:
        raise CarteError("invalid_action", "Action inconnue : publier, masquer ou rejeter.", "action")
    model = TARGETS[target_type]
    item = session.scalars(select(model).where(model.public_id == public_id)).unique().one_or_none()
    if item is None:
        raise CarteError("not_found", "Élément introuvable : il a peut-être été supprimé.", "id", status=404)
    reason = clean_text(reason, "reason", min_len=3, max_len=500, required=action == "hide", multiline=True)
    item.status = ACTIONS[action]
    item.moderation_note = reason if action != "publish" else None
    for flag in session.scalars(
        select(Flag).where(Flag.target_type == target_type, Flag.target_id == item.id, Flag.resolved.is_(False))
    ):
        flag.resolved = True
    session.add(AuditLog(user_id=user_id, action=action, target_type=target_type, target_id=public_id, reason=reason))
    session.flush()
    if target_type == "comment":
        from carte.participation.comments import recount

        recount(session, item.report_id)
    session.commit()
    return item


def audit_entries(session: Session, *, limit: int = 100, before: int | None = None):
    """The newest entries, or those before the id `before` (a page of the journal)."""
    if before is not None and not 0 <= before <= ID_MAX:
        raise CarteError("out_of_range", "Valeur attendue entre %(low)s et %(high)s.", "avant",
                          params={"low": 0, "high": ID_MAX})
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
