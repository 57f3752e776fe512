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
        rows = (
            session.scalars(
                select(model)
                .where(or_(model.status == "pending", model.id.in_(flagged_ids)))
                .order_by(model.created_at)
                .limit(limit)
            )
            .unique()
            .all()
        )
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
