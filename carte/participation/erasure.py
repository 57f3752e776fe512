"""Erasing a person's data on request (GDPR art. 17), and the retention of Open311 contacts.

A resident has no account: a person is known by their anonymous contributor id (the signed
cookie; an admin finds it from one of their reports) or by the email they gave through Open311.
Everything of theirs goes, in one transaction: their reports (deleted, with the comments, votes
and photos they carry), their comments elsewhere, their votes, the flags they made, their photo
files and their contacts, and (by email) their alert subscriptions. The audit log keeps the counts and a keyed hash of who was erased
(HMAC with the app's secret, so the log cannot be searched for an email by guessing), never the
identifier itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_babel import ngettext
from sqlalchemy import ColumnElement, delete, false, func, or_, select
from sqlalchemy.orm import Session

from carte.alerts.subscriptions import erase_email
from carte.errors import CarteError
from carte.models import Report
from carte.models.accounts import AuditLog
from carte.models.alerts import AlertSubscription
from carte.models.interop import ReportContact
from carte.models.participation import Comment, Flag, Photo, Vote
from carte.participation.photos import photo_files, remove_photo_files
from carte.storage.versions import bump


@dataclass(frozen=True)
class Person:
    """Exactly one of a contributor id or an Open311 email."""

    contributor: str | None = None
    email: str | None = None

    @classmethod
    def of(cls, contributor: str | None = None, email: str | None = None) -> Person:
        contributor = (contributor or "").strip() or None
        email = (email or "").strip().lower() or None
        if bool(contributor) == bool(email):
            raise CarteError(
                "person_required",
                "Donnez un identifiant de contributeur ou une adresse e-mail (un seul).",
                "contributor",
            )
        if contributor and len(contributor) > 40 or email and (len(email) > 254 or "@" not in email):
            raise CarteError(
                "invalid_person", "Identifiant ou adresse e-mail invalide.", "email" if email else "contributor"
            )
        return cls(contributor, email)

    def subject_hash(self, secret: str) -> str:
        kind, value = ("contributor", self.contributor) if self.contributor else ("email", self.email)
        digest = hmac.new(secret.encode(), f"{kind}:{value}".encode("utf-8", "surrogatepass"), hashlib.sha256)
        return "hmac:" + digest.hexdigest()[:32]


@dataclass(frozen=True)
class ErasureCounts:
    reports: int = 0
    comments: int = 0
    votes: int = 0
    flags: int = 0
    photos: int = 0
    contacts: int = 0
    subscriptions: int = 0  # email alerts (carte/alerts/), erased by the address

    @property
    def total(self) -> int:
        return sum(astuple(self))

    def summary(self) -> str:
        """The counts in words, each with its plural (the request's or the command's language)."""
        parts = [
            ngettext("%(num)d signalement", "%(num)d signalements", self.reports),
            ngettext("%(num)d commentaire", "%(num)d commentaires", self.comments),
            ngettext("%(num)d vote", "%(num)d votes", self.votes),
            ngettext("%(num)d signalement de contenu", "%(num)d signalements de contenu", self.flags),
            ngettext("%(num)d photo", "%(num)d photos", self.photos),
            ngettext("%(num)d contact", "%(num)d contacts", self.contacts),
            ngettext("%(num)d abonnement aux alertes", "%(num)d abonnements aux alertes", self.subscriptions),
        ]
        return ", ".join(parts)


def contributor_of_report(session: Session, public_id: str) -> str | None:
    """The contributor id behind a report: what a resident can point an admin to."""
    return session.scalar(select(Report.contributor).where(Report.public_id == (public_id or "").strip()))


def _their_reports(person: Person):
    if person.contributor:
        return select(Report.id).where(Report.contributor == person.contributor)
    return select(ReportContact.report_id).where(func.lower(ReportContact.email) == person.email)


def _count(session: Session, model, *where: ColumnElement) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def erase_person(
    session: Session, person: Person, *, upload_dir: Path, secret: str, user_id: int | None, dry_run: bool = False
) -> ErasureCounts:
    """Erase everything of `person` (or, with `dry_run`, only count it) and audit-log it."""
    report_ids = list(session.scalars(_their_reports(person)))
    by_them = person.contributor
    comment_where = Comment.contributor == by_them if by_them else false()
    vote_where = Vote.voter == by_them if by_them else false()
    flag_where = Flag.flagger == by_them if by_them else false()
    photo_where = (
        or_(Photo.report_id.in_(report_ids), Photo.contributor == by_them)
        if by_them
        else Photo.report_id.in_(report_ids)
    )
    contact_where = (
        ReportContact.report_id.in_(report_ids) if by_them else func.lower(ReportContact.email) == person.email
    )
    counts = ErasureCounts(
        reports=len(report_ids),
        comments=_count(session, Comment, comment_where),
        votes=_count(session, Vote, vote_where),
        flags=_count(session, Flag, flag_where),
        photos=_count(session, Photo, photo_where),
        contacts=_count(session, ReportContact, contact_where),
        subscriptions=_count(session, AlertSubscription, AlertSubscription.email == person.email)
        if person.email
        else 0,
    )
    if dry_run:
        session.rollback()
        return counts

    from carte.participation.comments import recount as recount_comments
    from carte.participation.votes import recount as recount_votes

    files = photo_files(session.scalars(select(Photo).where(photo_where)))
    touched = set(session.scalars(select(Comment.report_id).where(comment_where)))
    touched |= set(session.scalars(select(Vote.report_id).where(vote_where)))
    erased_comments = select(Comment.id).where(or_(comment_where, Comment.report_id.in_(report_ids)))
    # Flags point at their target by id without a foreign key: those on erased items go too.
    session.execute(
        delete(Flag).where(
            or_(
                flag_where,
                (Flag.target_type == "report") & Flag.target_id.in_(report_ids),
                (Flag.target_type == "comment") & Flag.target_id.in_(erased_comments),
            )
        )
    )
    session.execute(delete(Photo).where(photo_where))
    session.execute(delete(ReportContact).where(contact_where))
    if person.email:
        erase_email(session, person.email)
    session.execute(delete(Comment).where(or_(comment_where, Comment.report_id.in_(report_ids))))
    session.execute(delete(Vote).where(or_(vote_where, Vote.report_id.in_(report_ids))))
    if report_ids:
        session.execute(delete(Report).where(Report.id.in_(report_ids)))  # tags, media: ON DELETE CASCADE
        bump(session, deleted=True)
    for report in session.scalars(select(Report).where(Report.id.in_(touched - set(report_ids)))).unique():
        recount_comments(session, report.id)
        recount_votes(session, report)
    if by_them:  # the civic loop: the reports they follow, the fixes they confirmed
        from carte.followup.resolution import forget_contributor

        forget_contributor(session, by_them, secret)
    session.add(
        AuditLog(
            user_id=user_id,
            action="erase",
            target_type="person",
            target_id=person.subject_hash(secret),
            reason=counts.summary(),
        )
    )
    session.commit()
    remove_photo_files(upload_dir, files)
    return counts


def purge_contacts(session: Session, *, retention_days: int, now: datetime | None = None) -> int:
    """Delete Open311 contacts older than the retention period; idempotent, audit-logged when it deletes.

    A contact without a date (none should exist: the model and migration 0006 set one) counts as expired.
    """
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    expired = or_(ReportContact.created_at < cutoff, ReportContact.created_at.is_(None))
    deleted = session.execute(delete(ReportContact).where(expired)).rowcount or 0
    if deleted:
        session.add(
            AuditLog(
                user_id=None,
                action="purge_contacts",
                target_type="contacts",
                target_id=str(deleted),
                reason=ngettext(
                    "%(num)d contact Open311 de plus de %(days)d jours effacé",
                    "%(num)d contacts Open311 de plus de %(days)d jours effacés",
                    deleted,
                    days=retention_days,
                ),
            )
        )
    session.commit()
    return deleted
