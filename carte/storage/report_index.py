"""The in-memory column index of reports that the aggregates read.

Aggregates over a million reports must answer in tens of milliseconds, whatever the
filter. SQL GROUP BY scans on SpatiaLite take seconds at that size, and rollup tables
cannot give exact distinct contributors across levels, so each process keeps the few
columns aggregates need as numpy arrays (about 60 bytes a report) and filters them
with vectorised masks. The database stays the source of truth: before each use the
index compares the data version (see `versions.py`) and reads only the rows written
since, or reloads everything after deletions.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from carte.models import Report, ReportTag, Theme
from carte.models.workshops import Workshop
from carte.reports.filters import ReportFilter
from carte.storage.engine import epoch_seconds
from carte.storage.versions import Version, current

STATUSES = ("published", "pending", "hidden", "rejected")
_COLUMNS = (
    "id", "commune", "theme_id", "status", "created", "contributor", "h3_7", "h3_8", "h3_9", "lat", "lon",
    "workshop",
)
_DTYPES = {
    "id": np.int64, "commune": np.int16, "theme_id": np.int32, "status": np.int8, "created": np.int64,
    "contributor": np.int64, "h3_7": np.int64, "h3_8": np.int64, "h3_9": np.int64,
    "lat": np.float64, "lon": np.float64, "workshop": np.int32,  # workshop id, 0 = none
}


def _epoch(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


class ReportIndex:
    """Columns of every report, sorted by id, caught up with the database on `sync`."""

    def __init__(self, commune_codes: Sequence[str]):
        self.commune_codes = list(commune_codes)
        self._commune_pos = {c: i for i, c in enumerate(self.commune_codes)}
        self._contributors: dict[str, int] = {}
        self._lock = threading.Lock()
        self.version: Version | None = None
        self.columns = {name: np.zeros(0, dtype=_DTYPES[name]) for name in _COLUMNS}

    def __len__(self) -> int:
        return len(self.columns["id"])

    def sync(self, session: Session) -> Version:
        """Read what changed since the last sync; return the version now reflected."""
        latest = current(session)
        if latest == self.version:
            return latest
        with self._lock:
            if self.version is None or latest.generation != self.version.generation:
                rows = self._fetch(session, since=None)
                self.columns = {name: np.zeros(0, dtype=_DTYPES[name]) for name in _COLUMNS}
            else:
                rows = self._fetch(session, since=self.version.version)
            self._merge(rows)
            self.version = latest
        return latest

    def _fetch(self, session: Session, since: int | None) -> dict[str, np.ndarray]:
        dialect = session.get_bind().dialect.name
        stmt = select(
            Report.id, Report.commune_code, Report.theme_id, Report.status,
            epoch_seconds(Report.created_at, dialect), Report.contributor,
            Report.h3_7, Report.h3_8, Report.h3_9, Report.lat, Report.lon, Report.workshop_id,
        ).order_by(Report.id)
        if since is not None:
            stmt = stmt.where(Report.revision > since)
        rows = session.execute(stmt).all()
        cols = list(zip(*rows)) if rows else [()] * len(_COLUMNS)
        ids = np.fromiter(cols[0], dtype=np.int64, count=len(rows))
        contributors = self._contributors
        return {
            "id": ids,
            "commune": np.fromiter((self._commune_pos[c] for c in cols[1]), np.int16, len(rows)),
            "theme_id": np.fromiter(cols[2], np.int32, len(rows)),
            "status": np.fromiter((STATUSES.index(s) for s in cols[3]), np.int8, len(rows)),
            "created": np.fromiter(cols[4], np.int64, len(rows)),
            # Reports with no contributor id (imports) each count as their own contributor.
            "contributor": np.fromiter(
                (contributors.setdefault(c, len(contributors)) if c else -int(i) for c, i in zip(cols[5], ids)),
                np.int64,
                len(rows),
            ),
            "h3_7": np.fromiter((int(c, 16) for c in cols[6]), np.int64, len(rows)),
            "h3_8": np.fromiter((int(c, 16) for c in cols[7]), np.int64, len(rows)),
            "h3_9": np.fromiter((int(c, 16) for c in cols[8]), np.int64, len(rows)),
            "lat": np.fromiter(cols[9], np.float64, len(rows)),
            "lon": np.fromiter(cols[10], np.float64, len(rows)),
            "workshop": np.fromiter((w or 0 for w in cols[11]), np.int32, len(rows)),
        }

    def _merge(self, rows: dict[str, np.ndarray]) -> None:
        """Update rows already known (moderation) and append new ones, keeping ids sorted."""
        ids = self.columns["id"]
        pos = np.searchsorted(ids, rows["id"])
        known = (pos < len(ids)) & (ids[np.minimum(pos, len(ids) - 1)] == rows["id"]) if len(ids) else np.zeros(len(pos), bool)
        for name in _COLUMNS:
            self.columns[name][pos[known]] = rows[name][known]
        fresh = ~known
        if fresh.any():
            merged = {name: np.concatenate([self.columns[name], rows[name][fresh]]) for name in _COLUMNS}
            order = np.argsort(merged["id"], kind="stable")
            self.columns = {name: col[order] for name, col in merged.items()}

    def select(self, session: Session, flt: ReportFilter, places) -> np.ndarray:
        """Positions of the reports that match a filter (bbox, cursor and limit do not apply)."""
        c = self.columns
        mask = np.ones(len(self), dtype=bool)
        mask &= np.isin(c["status"], [STATUSES.index(s) for s in flt.statuses])
        if flt.themes:
            ids = session.scalars(select(Theme.id).where(Theme.slug.in_(flt.themes))).all()
            mask &= np.isin(c["theme_id"], ids)
        communes = places_of_filter(flt, places)
        if communes is not None:
            mask &= np.isin(c["commune"], [self._commune_pos[code] for code in communes])
        if flt.since:
            mask &= c["created"] >= _epoch(flt.since)
        if flt.until:
            mask &= c["created"] < _epoch(flt.until)
        if flt.bbox:
            min_lon, min_lat, max_lon, max_lat = flt.bbox
            mask &= (c["lon"] >= min_lon) & (c["lon"] <= max_lon) & (c["lat"] >= min_lat) & (c["lat"] <= max_lat)
        if flt.tags:
            tagged = np.unique(
                np.fromiter(
                    session.scalars(select(ReportTag.report_id).where(ReportTag.tag.in_(flt.tags))), np.int64
                )
            )
            mask &= np.isin(c["id"], tagged, assume_unique=False)
        if flt.workshop:
            workshop_id = session.scalar(select(Workshop.id).where(Workshop.code == flt.workshop))
            mask &= c["workshop"] == (workshop_id or -1)
        return np.flatnonzero(mask)


def places_of_filter(flt: ReportFilter, places) -> list[str] | None:
    """The commune codes a filter allows (communes AND territoires AND départements), or None for all."""
    if not (flt.communes or flt.territoires or flt.departements):
        return None
    allowed = set(places.code.tolist())
    if flt.communes:
        allowed &= set(flt.communes)
    if flt.territoires:
        allowed &= {c for c, t in zip(places.code, places.territoire_code) if t in flt.territoires}
    if flt.departements:
        allowed &= {c for c, d in zip(places.code, places.departement) if d in flt.departements}
    return sorted(allowed)
