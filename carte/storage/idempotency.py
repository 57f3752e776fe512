"""Claiming an Idempotency-Key and remembering its answer, in the database so that every worker sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carte.models import utcnow
from carte.models.idempotency import IdempotencyKey


@dataclass(frozen=True)
class Remembered:
    """What an earlier request with the same key left: its request hash and, once finished, its answer."""

    request_hash: str
    status_code: int | None
    body: str | None
    location: str | None
    contributor: str | None


def claim(session: Session, scope: str, key: str, request_hash: str, ttl: timedelta) -> int | Remembered:
    """Insert the key as in flight and commit: its id if this request is the first, else what is there.

    The unique (scope, key) constraint decides between racing requests on both backends; an expired
    key is deleted first, so that it can be used again.
    """
    now = utcnow()
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - ttl))
    if scope:
        # A first post has no cookie yet: its key sits in the empty scope, answered for this contributor.
        earlier = session.scalars(
            select(IdempotencyKey).where(
                IdempotencyKey.scope == "", IdempotencyKey.key == key, IdempotencyKey.contributor == scope
            )
        ).first()
        if earlier is not None:
            remembered = _remembered(earlier)
            session.commit()
            return remembered
    row = IdempotencyKey(scope=scope, key=key, request_hash=request_hash, created_at=now)
    session.add(row)
    try:
        session.commit()
        return row.id
    except IntegrityError:
        session.rollback()
    found = session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    ).one_or_none()
    if found is None:  # finished and expired between the two statements: still someone else's
        return Remembered(request_hash, None, None, None, None)
    remembered = _remembered(found)
    session.rollback()
    return remembered


def _remembered(row: IdempotencyKey) -> Remembered:
    return Remembered(row.request_hash, row.status_code, row.body, row.location, row.contributor)


def finish(
    session: Session, claim_id: int, status_code: int, body: str, location: str | None, contributor: str | None
) -> None:
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim_id)
        .values(status_code=status_code, body=body, location=location, contributor=contributor)
    )
    session.commit()


def release(session: Session, claim_id: int) -> None:
    """Forget a claim whose request failed: nothing was stored, so a retry must run again."""
    session.rollback()
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))
    session.commit()
