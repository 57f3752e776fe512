"""Answers remembered for an Idempotency-Key, so that a retried POST returns the first answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carte.extensions import db
from carte.models import utcnow
from carte.models.types import UTCDateTime


class IdempotencyKey(db.Model):
    """One key of one contributor: claimed (status NULL) while the first request runs, then its answer.

    The unique (scope, key) pair is what stops two racing requests from both running: the second
    insert fails, whatever the backend.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The signed contributor id, or "" for a client that has none yet.
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the method, path and body: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    location: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The contributor the first answer's cookie named, set again on a replay.
    contributor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
