"""What residents add to a report: votes, comments, photos and flags.

Each table carries the anonymous id of the resident (signed cookie) and unique
constraints, so that "one vote per resident" and "one flag per resident" hold even
under concurrent requests.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carte.extensions import db
from carte.models import utcnow
from carte.models.types import UTCDateTime

VOTE_KINDS = ("support", "dissent")
FLAG_REASONS = ("spam", "abuse", "personal_data")
FLAG_TARGETS = ("report", "comment")


class Vote(db.Model):
    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("report_id", "voter", name="uq_votes_report_voter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    voter: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_report_created", "report_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    author_name: Mapped[str | None] = mapped_column(String(80))
    contributor: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="published", index=True)
    moderation_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # SHA-256 of the private withdrawal link shown once to the author (migration 0006).
    withdraw_hash: Mapped[str | None] = mapped_column(String(64))


class Photo(db.Model):
    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(64))
    thumbnail: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    contributor: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Flag(db.Model):
    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "flagger", name="uq_flags_target_flagger"),
        Index("ix_flags_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    flagger: Mapped[str] = mapped_column(String(40))
    # HMAC of the flagger's address (migration 0006): never the address itself.
    source: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str | None] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
