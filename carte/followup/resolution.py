"""Residents' side of the civic loop: following a report, and answering « C'est réglé » or
« Toujours pas réglé » once it is fixed.

Residents have no account: they are their signed contributor cookie (`carte.web.contributors`).
Who may answer: the report's author (`Report.contributor`) and its followers (`ReportFollow`).

- « Toujours pas réglé » reopens the report as `in_progress` with a public update (author_kind
  "resident", no body), through the one use case that writes progress (`post_update`).
- « C'est réglé » is recorded once per person and shown as a count: one row of the audit log
  (action "confirm_fixed", target the report) whose `reason` is a keyed hash of the contributor
  id (`contributor_key`), never the id itself. It changes no progress, so it adds no update.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from carte.errors import CarteError
from carte.followup.updates import post_update
from carte.models import Report
from carte.models.accounts import AuditLog
from carte.models.followup import ReportFollow

ANSWERS = ("confirmed", "not_fixed")
CONFIRM_ACTION = "confirm_fixed"
NOT_FIXED_TEXT = "Un habitant signale que ce n'est toujours pas réglé."


def contributor_key(secret: str, contributor: str) -> str:
    """What the audit log keeps of a resident who confirmed: a keyed hash, the same for one person."""
    return "habitant:" + hmac.new(secret.encode(), contributor.encode(), hashlib.sha256).hexdigest()[:32]


def is_following(session: Session, report: Report, contributor: str | None) -> bool:
    if not contributor:
        return False
    return session.get(ReportFollow, (report.id, contributor)) is not None


def is_author(report: Report, contributor: str | None) -> bool:
    return bool(contributor) and report.contributor == contributor


def may_answer(session: Session, report: Report, contributor: str | None) -> bool:
    """The author and the followers may answer, and only while the report is `fixed`."""
    return report.progress == "fixed" and (is_author(report, contributor) or is_following(session, report, contributor))


def follow(session: Session, report: Report, contributor: str) -> bool:
    """Follow a report; True when this is new (following twice is harmless)."""
    if is_following(session, report, contributor):
        return False
    session.add(ReportFollow(report_id=report.id, contributor=contributor))
    session.commit()
    return True


def unfollow(session: Session, report: Report, contributor: str | None) -> bool:
    if not contributor:
        return False
    removed = session.execute(
        delete(ReportFollow).where(ReportFollow.report_id == report.id, ReportFollow.contributor == contributor)
    ).rowcount
    session.commit()
    return bool(removed)


def confirmations(session: Session, report: Report) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(
                AuditLog.action == CONFIRM_ACTION,
                AuditLog.target_type == "report",
                AuditLog.target_id == report.public_id,
            )
        )
        or 0
    )


def has_confirmed(session: Session, report: Report, key: str) -> bool:
    return (
        session.scalar(
            select(AuditLog.id)
            .where(
                AuditLog.action == CONFIRM_ACTION,
                AuditLog.target_type == "report",
                AuditLog.target_id == report.public_id,
                AuditLog.reason == key,
            )
            .limit(1)
        )
        is not None
    )


def answer(session: Session, report: Report, contributor: str | None, value: object, key: str | None) -> dict:
    """Record a resident's answer; the caller gives `key` = contributor_key(secret, contributor)."""
    if value not in ANSWERS:
        raise CarteError("invalid_answer", "Réponse attendue : confirmed ou not_fixed.", "answer")
    if not (is_author(report, contributor) or is_following(session, report, contributor)):
        raise CarteError(
            "not_author_or_follower",
            "Seuls l'auteur du signalement et les personnes qui le suivent peuvent répondre.",
            "answer",
            status=403,
        )
    if report.progress != "fixed":
        raise CarteError("not_fixed", "Ce signalement n'est pas marqué comme résolu.", "answer", status=409)
    if value == "not_fixed":
        post_update(
            session, report, progress="in_progress", text=NOT_FIXED_TEXT, body_code=None, author_kind="resident"
        )
        return {"answer": value, "progress": report.progress, "confirmations": confirmations(session, report)}
    already = has_confirmed(session, report, key)
    if not already:
        session.add(
            AuditLog(user_id=None, action=CONFIRM_ACTION, target_type="report", target_id=report.public_id, reason=key)
        )
        session.commit()
    return {
        "answer": value,
        "progress": report.progress,
        "confirmations": confirmations(session, report),
        "already": already,
    }


def forget_contributor(session: Session, contributor: str, secret: str) -> int:
    """Erase a person's follows and « C'est réglé » confirmations (GDPR erasure, in its transaction);
    returns how many rows went. Their « Toujours pas réglé » updates hold no trace of who they were."""
    follows = session.execute(delete(ReportFollow).where(ReportFollow.contributor == contributor)).rowcount or 0
    confirmed = (
        session.execute(
            delete(AuditLog).where(
                AuditLog.action == CONFIRM_ACTION, AuditLog.reason == contributor_key(secret, contributor)
            )
        ).rowcount
        or 0
    )
    return follows + confirmed
