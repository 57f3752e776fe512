"""Bulk loading of many reports at once (synthetic data, imports), in chunked transactions.

Ids come from the database (PostgreSQL's sequence, SQLite's rowid), never from Python, so a
load and residents posting at the same time cannot collide. Rows skip the ORM and SQLAlchemy's
per-row parameter handling: columns are converted once per chunk, then PostgreSQL gets one COPY
and SQLite one `executemany` per table. A big load into SQLite drops the ordinary indexes first
and builds them once at the end, which is faster than updating a dozen B-trees row by row.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from carte.domain import new_public_ids
from carte.geo.h3cells import h3_cells_many
from carte.models import Report, ReportTag, Theme
from carte.storage import engine as backend
from carte.storage.engine import after_bulk_insert
from carte.storage.versions import bump

CHUNK = 20_000
# SQLite: drop and rebuild the ordinary indexes for loads of at least this many rows that also
# at least double the table (measured in bench/ingest.py; a small load into a big table is
# faster with the indexes kept).
SQLITE_REBUILD_MIN_ROWS = 50_000
_DEFERRED = "carte_bulk_indexes_deferred"


@dataclass
class LoadStats:
    rows: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _as_list(values, part: slice) -> list:
    chunk = values[part]
    return chunk.tolist() if isinstance(chunk, np.ndarray) else list(chunk)


def _column_processors(dialect) -> dict:
    """Each column's SQLAlchemy bind conversion (UTCDateTime to UTC, booleans on SQLite...)."""
    return {c.name: c.type._cached_bind_processor(dialect) for c in Report.__table__.columns if c.name != "geom"}


def _convert(values, processor):
    if processor is None:
        return values
    if isinstance(values, list):
        return [processor(v) for v in values]
    return processor(values)


@contextmanager
def deferred_indexes(session: Session, expected_rows: int):
    """SQLite: drop the ordinary indexes of `reports` for a big load, and build them once at the end.

    Only when at least SQLITE_REBUILD_MIN_ROWS rows are coming and they at least double the table.
    Readers meanwhile see every committed row, only without those indexes; the indexes come back
    when the load ends, failed or not. Nested uses (an import's batches) do nothing.
    """
    if (
        session.get_bind().dialect.name != "sqlite"
        or expected_rows < SQLITE_REBUILD_MIN_ROWS
        or session.info.get(_DEFERRED)
    ):
        yield
        return
    existing = session.scalar(select(func.count()).select_from(Report)) or 0
    rebuild = backend.sqlite_secondary_indexes(session, Report.__tablename__) if expected_rows >= existing else []
    for name, _sql in rebuild:
        session.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
    session.commit()
    session.info[_DEFERRED] = True
    try:
        yield
    finally:
        session.info.pop(_DEFERRED, None)
        session.rollback()
        with backend.sqlite_bulk_cache(session):
            for _name, sql in rebuild:
                session.execute(text(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)))
        session.commit()


def insert_reports(
    session: Session,
    rows: dict,
    *,
    source: str,
    source_name: str,
    is_demo: bool,
    progress: Iterable | None = None,
    stats: LoadStats | None = None,
) -> int:
    """Insert columns of reports (lon, lat, commune, theme slugs, created_at, contributor, title, tags).

    Each chunk is one transaction stamped with a new data version, so readers never
    see half a chunk and the in-memory index picks the rows up. `stats`, if given,
    receives the rows stored and the seconds spent.
    """
    started = time.perf_counter()
    theme_ids = dict(session.execute(select(Theme.slug, Theme.id)).all())
    total = len(rows["lon"])
    session.commit()  # end the read: each chunk's transaction starts with its write
    with deferred_indexes(session, total):
        try:
            for part in _chunks(total, CHUNK):
                _insert_chunk(session, rows, part, theme_ids, source=source, source_name=source_name, is_demo=is_demo)
                if progress is not None:
                    progress.update(part.stop - part.start)
        finally:
            session.rollback()  # a failed chunk leaves nothing half written
    if stats is not None:
        stats.rows += total
        stats.seconds += time.perf_counter() - started
    return total


def chunk_columns(
    rows: dict, part: slice, theme_ids: dict, dialect, *, source: str, source_name: str, is_demo: bool, revision: int
) -> tuple[list[str], list]:
    """(column names, values) of the reports in `rows[part]`, bind-converted for `dialect`.

    Values are lists (one item per row) or constants; ids and geometry are not included.
    """
    n = part.stop - part.start
    lon = np.asarray(rows["lon"][part], dtype=float)
    lat = np.asarray(rows["lat"][part], dtype=float)
    cells = h3_cells_many(lat, lon)
    columns = {
        "public_id": new_public_ids(n),
        "theme_id": [theme_ids[t] for t in _as_list(rows["theme"], part)],
        "title": _as_list(rows["title"], part),
        "description": [d or "" for d in _as_list(rows["description"], part)] if rows.get("description") else "",
        "author_name": None,
        "location_text": _as_list(rows["location_text"], part) if rows.get("location_text") else None,
        "lon": lon.tolist(),
        "lat": lat.tolist(),
        "commune_code": _as_list(rows["commune"], part),
        "arrondissement_code": _as_list(rows["arrondissement"], part),
        "h3_7": cells[7],
        "h3_8": cells[8],
        "h3_9": cells[9],
        "created_at": _as_list(rows["created_at"], part),
        "status": "published",
        "approximate": False,
        "source": source,
        "source_name": source_name,
        "external_id": _as_list(rows["external_id"], part) if rows.get("external_id") else None,
        "contributor": _as_list(rows["contributor"], part) if rows.get("contributor") is not None else None,
        "is_demo": is_demo,
        "revision": revision,
        "workshop_id": None,
        "moderation_note": None,
        "updated_at": datetime.now(UTC),
        "support_count": 0,
        "dissent_count": 0,
        "comment_count": 0,
        "withdraw_hash": None,
        # The civic loop (migration 0008): new, routed by its theme, no original.
        "progress": "submitted",
        "body_code": None,
        "duplicate_of_id": None,
    }
    missing = {c.name for c in Report.__table__.columns} - set(columns) - {"id", "geom"}
    if missing:  # a column added to the model must be given a value here, not silently left out
        raise RuntimeError(f"bulk loader: no value for reports column(s) {sorted(missing)}")
    processors = _column_processors(dialect)
    names = list(columns)
    return names, [_convert(columns[name], processors[name]) for name in names]


def _insert_chunk(
    session: Session, rows: dict, part: slice, theme_ids: dict, *, source: str, source_name: str, is_demo: bool
) -> None:
    dialect = session.get_bind().dialect
    n = part.stop - part.start
    revision = bump(session)  # first write of the transaction: takes the lock that orders writers
    names, values = chunk_columns(
        rows, part, theme_ids, dialect, source=source, source_name=source_name, is_demo=is_demo, revision=revision
    )
    values = [v if isinstance(v, list) else repeat(v, n) for v in values]
    lon = np.asarray(rows["lon"][part], dtype=float)
    lat = np.asarray(rows["lat"][part], dtype=float)
    tags = _as_list(rows["tags"], part)
    table = Report.__tablename__
    with backend.sqlite_bulk_cache(session):
        _write_chunk(session, dialect, table, names, values, n, lon, lat, tags)
    after_bulk_insert(session, table, dialect.name)
    session.commit()


def _write_chunk(session, dialect, table, names, values, n, lon, lat, tags) -> None:
    if dialect.name == "postgresql":
        ids = backend.reserve_ids(session, table, n)
        geom = backend.point_ewkb_hex(lon, lat)
        backend.copy_rows(session, table, ["id", *names, "geom"], zip(ids, *values, geom))
        tag_rows = [(i, tag, k) for i, report_tags in zip(ids, tags) for k, tag in enumerate(report_tags)]
        if tag_rows:
            backend.copy_rows(session, ReportTag.__tablename__, ["report_id", "tag", "position"], tag_rows)
    else:
        ids = backend.sqlite_insert_rows(
            session, table, names, list(zip(*values, lon.tolist(), lat.tolist())), geom_column="geom"
        )
        tag_rows = [(i, tag, k) for i, report_tags in zip(ids, tags) for k, tag in enumerate(report_tags)]
        if tag_rows:
            session.connection().connection.driver_connection.executemany(
                f"INSERT INTO {ReportTag.__tablename__} (report_id, tag, position) VALUES (?, ?, ?)", tag_rows
            )
