"""The reports data version, bumped automatically whenever reports are written.

Every flush that inserts, changes or deletes reports bumps `data_versions` in the
same transaction, whoever the writer is (API, import, moderation). Readers that
keep derived data (the in-memory report index, cached aggregates) compare versions
instead of being told about each change.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from carte.models import DataVersion, Report

REPORTS = "reports"


@dataclass(frozen=True)
class Version:
    version: int
    generation: int


def current(session: Session) -> Version:
    row = session.execute(
        select(DataVersion.version, DataVersion.generation).where(DataVersion.name == REPORTS)
    ).one_or_none()
    return Version(*row) if row else Version(0, 0)


def bump(session: Session, *, deleted: bool = False) -> int:
    """Increment the version (and the generation after deletions); return the new version."""
    values = {"version": DataVersion.version + 1}
    if deleted:
        values["generation"] = DataVersion.generation + 1
    return session.connection().execute(
        update(DataVersion).where(DataVersion.name == REPORTS).values(**values).returning(DataVersion.version)
    ).scalar_one()


@event.listens_for(Session, "before_flush")
def _stamp_reports(session: Session, _context, _instances) -> None:
    written = [o for o in session.new if isinstance(o, Report)]
    written += [o for o in session.dirty if isinstance(o, Report) and session.is_modified(o)]
    deleted = any(isinstance(o, Report) for o in session.deleted)
    if not written and not deleted:
        return
    version = bump(session, deleted=deleted)
    for report in written:
        report.revision = version
