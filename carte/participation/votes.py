"""Support ("Moi aussi") and, where the theme allows debate, dissent ("Pas d'accord").

One vote per resident per report: the unique constraint (report_id, voter) is the final
word, even when two requests race. The report keeps denormalised counters, recounted from
the votes table in the same transaction so that they never drift.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carte.errors import CarteError
from carte.models import Report
from carte.models.participation import VOTE_KINDS, Vote
from carte.participation.common import require_public


def recount(session: Session, report: Report) -> None:
    def count(kind):
        return (
            select(func.count())
            .select_from(Vote)
            .where(Vote.report_id == report.id, Vote.kind == kind)
            .scalar_subquery()
        )

    # A Core UPDATE: a vote is not an edit of the report (no data version bump, updated_at kept).
    session.execute(
        update(Report)
        .where(Report.id == report.id)
        .values(support_count=count("support"), dissent_count=count("dissent"), updated_at=Report.updated_at)
    )


def my_vote(session: Session, report: Report, voter: str | None) -> str | None:
    if not voter:
        return None
    return session.scalars(select(Vote.kind).where(Vote.report_id == report.id, Vote.voter == voter)).first()


def summary(session: Session, report: Report, voter: str | None) -> dict:
    session.refresh(report, ["support_count", "dissent_count"])
    return {
        "support": report.support_count,
        "dissent": report.dissent_count,
        "dissent_allowed": bool(report.theme.allows_dissent),
        "mine": my_vote(session, report, voter),
    }


def cast_vote(session: Session, report: Report | None, voter: str, kind) -> dict:
    report = require_public(report)
    if kind not in VOTE_KINDS:
        raise CarteError("invalid_kind", "Le vote doit être « support » ou « dissent ».", "kind")
    if kind == "dissent" and not report.theme.allows_dissent:
        raise CarteError("dissent_not_allowed", "Ce thème ne propose pas le désaccord.", "kind")
    if my_vote(session, report, voter):
        raise CarteError("already_voted", "Vous avez déjà voté pour ce signalement.", "kind", status=409)
    try:
        session.add(Vote(report_id=report.id, voter=voter, kind=kind))
        session.flush()
    except IntegrityError:
        session.rollback()
        raise CarteError("already_voted", "Vous avez déjà voté pour ce signalement.", "kind", status=409) from None
    recount(session, report)
    session.commit()
    return summary(session, report, voter)


def withdraw_vote(session: Session, report: Report | None, voter: str) -> dict:
    report = require_public(report)
    vote = session.scalars(select(Vote).where(Vote.report_id == report.id, Vote.voter == voter)).first()
    if vote is None:
        raise CarteError("no_vote", "Vous n'avez pas voté pour ce signalement.", None, status=404)
    session.delete(vote)
    session.flush()
    recount(session, report)
    session.commit()
    return summary(session, report, voter)
