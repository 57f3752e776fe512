"""The reports data version, bumped automatically whenever reports are written.

Every flush that inserts, changes or deletes reports bumps `data_versions` in the
same transaction, whoever the writer is (API, import, moderation). Readers that
keep derived data (the in-memory report index, cached aggregates) compare versions
instead of being told about each change.

Three rows of `data_versions` say where the reports stand (no migration needed: rows,
not columns): "reports" holds the version and the generation, "reports-deletions"
counts the transactions that deleted reports, and "reports-database" holds a random
number drawn once per database, which names the index snapshots on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from carte.models import DataVersion, Report

REPORTS = "reports"
DELETIONS = "reports-deletions"
TOKEN = "reports-database"


@dataclass(frozen=True)
class Version:
    """`version` orders writes (each written report records it as its revision); `generation`
    moves when the table was replaced as a whole (a restore, see storage/backup.py): readers
    read everything again; `deletions` moves when reports were deleted: readers drop the ids
    that are gone and keep the rest."""

    version: int
    generation: int
    deletions: int = 0


def current(session: Session) -> Version:
    rows = {
        name: (version, generation)
        for name, version, generation in session.execute(
            select(DataVersion.name, DataVersion.version, DataVersion.generation).where(
                DataVersion.name.in_((REPORTS, DELETIONS))
            )
        )
    }
    version, generation = rows.get(REPORTS, (0, 0))
    return Version(version, generation, rows[DELETIONS][0] if DELETIONS in rows else 0)


def bump(session: Session, *, deleted: bool = False) -> int:
    """Increment the version (and the deletion count after deletions); return the new version.

    A deletion used to move the generation, which made every process read a million rows
    again; now readers only drop the missing ids (ReportIndex.sync). The "reports" row is
    updated first: its row lock orders the writers, so the deletions row is created once.
    """
    conn = session.connection()
    version = conn.execute(
        update(DataVersion)
        .where(DataVersion.name == REPORTS)
        .values(version=DataVersion.version + 1)
        .returning(DataVersion.version)
    ).scalar_one()
    if deleted:
        bumped = conn.execute(
            update(DataVersion).where(DataVersion.name == DELETIONS).values(version=DataVersion.version + 1)
        )
        if not bumped.rowcount:
            conn.execute(insert(DataVersion).values(name=DELETIONS, version=1, generation=0))
    return version


def database_token(session: Session) -> int:
    """A random number drawn once per database, kept as a row of `data_versions`.

    It names the index snapshots of this database: a database rebuilt from scratch starts its
    versions again at 0 and must not pick up the snapshot of the one it replaced. Drawn in its
    own transaction, so that a request rolled back does not lose it.
    """
    import secrets

    from sqlalchemy.exc import IntegrityError

    found = session.scalar(select(DataVersion.version).where(DataVersion.name == TOKEN))
    if found is not None:
        return found
    with session.get_bind().connect() as conn:
        try:
            conn.execute(insert(DataVersion).values(name=TOKEN, version=secrets.randbelow(2**31), generation=0))
            conn.commit()
        except IntegrityError:  # another process drew it first
            conn.rollback()
        return conn.execute(select(DataVersion.version).where(DataVersion.name == TOKEN)).scalar_one()


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
