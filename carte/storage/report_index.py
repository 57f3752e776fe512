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
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from carte.models import Report, ReportTag, Theme
from carte.models.workshops import Workshop
from carte.reports.filters import ReportFilter
from carte.storage.engine import epoch_seconds
from carte.storage.versions import Version, current

STATUSES = ("published", "pending", "hidden", "rejected")
# Withdrawn reports are indexed (their rows stay) but no filter may ask for them.
_INDEXED_STATUSES = STATUSES + ("withdrawn",)
# Key spans for distinct counting: up to 1024 theme ids and 2**31 contributors.
_THEME_SPAN = 1 << 10
_CONTRIBUTOR_SPAN = 1 << 31
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
    """Filter bounds are timezone-aware (parse_filter makes them UTC)."""
    return int(value.timestamp())


class ReportIndex:
    """Columns of every report, sorted by id, caught up with the database on `sync`."""

    def __init__(self, commune_codes: Sequence[str]):
        self.commune_codes = list(commune_codes)
        self._commune_pos = {c: i for i, c in enumerate(self.commune_codes)}
        self._contributors: dict[str, int] = {}
        self._lock = threading.Lock()
        self._tag_ids: dict[tuple, np.ndarray] = {}
        self.version: Version | None = None
        self.columns = {name: np.zeros(0, dtype=_DTYPES[name]) for name in _COLUMNS}
        self._sorted_keys: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

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
                self._sorted_keys.clear()  # they index the old columns (deletions, restores)
            else:
                rows = self._fetch(session, since=self.version.version)
            if len(rows["id"]):
                self._update_sorted_keys(self._merge(rows))
            self.version = latest
        return latest

    def _fetch(self, session: Session, since: int | None) -> dict[str, np.ndarray]:
        dialect = session.get_bind().dialect.name
        t = Report.__table__.c
        stmt = select(
            t.id, t.commune_code, t.theme_id, t.status, epoch_seconds(t.created_at, dialect), t.contributor,
            t.h3_7, t.h3_8, t.h3_9, t.lat, t.lon, t.workshop_id,
        ).order_by(t.id)
        if since is not None:
            stmt = stmt.where(t.revision > since)
        # Core rows straight from the connection: ORM row processing would double the load time.
        rows = session.connection().execute(stmt).fetchall()
        n = len(rows)
        cols = list(zip(*rows)) if rows else [()] * len(_COLUMNS)
        ids = np.fromiter(cols[0], dtype=np.int64, count=n)
        contributors = self._contributors
        return {
            "id": ids,
            "commune": np.fromiter(map(self._commune_pos.__getitem__, cols[1]), np.int16, n),
            "theme_id": np.fromiter(cols[2], np.int32, n),
            "status": np.fromiter(map(_INDEXED_STATUSES.index, cols[3]), np.int8, n),
            "created": np.fromiter(cols[4], np.int64, n),
            # Dense codes; a report with no contributor id (imports) counts as its own contributor.
            "contributor": np.fromiter(
                (contributors.setdefault(c or ("anonymous", i), len(contributors)) for c, i in zip(cols[5], cols[0])),
                np.int64,
                n,
            ),
            "h3_7": hex_to_int64(cols[6]),
            "h3_8": hex_to_int64(cols[7]),
            "h3_9": hex_to_int64(cols[8]),
            "lat": np.fromiter(cols[9], np.float64, n),
            "lon": np.fromiter(cols[10], np.float64, n),
            "workshop": np.fromiter((w or 0 for w in cols[11]), np.int32, n),
        }

    def _merge(self, rows: dict[str, np.ndarray]) -> np.ndarray | None:
        """Update rows already known (moderation) and add new ones, keeping ids sorted.

        Returns the positions of the new rows when they were appended at the end (the usual
        case: ids grow), or None when existing rows moved.
        """
        ids = self.columns["id"]
        pos = np.searchsorted(ids, rows["id"])
        known = (pos < len(ids)) & (ids[np.minimum(pos, len(ids) - 1)] == rows["id"]) if len(ids) else np.zeros(len(pos), bool)
        for name in _COLUMNS:
            self.columns[name][pos[known]] = rows[name][known]
        fresh = ~known
        if not fresh.any():
            return np.zeros(0, dtype=np.int64)
        appended = len(ids) == 0 or rows["id"][fresh].min() > ids[-1]
        merged = {name: np.concatenate([self.columns[name], rows[name][fresh]]) for name in _COLUMNS}
        order = np.argsort(merged["id"], kind="stable")
        self.columns = {name: col[order] for name, col in merged.items()}
        return np.arange(len(ids), len(self)) if appended else None

    def _tagged(self, session: Session, tags: tuple[str, ...]) -> np.ndarray:
        """Ids of the reports with any of these tags, memoised per data version: one filter change
        asks several aggregates with the same tags, and this SQL lookup would dominate their cost."""
        key = (tags, self.version)
        ids = self._tag_ids.get(key)
        if ids is None:
            ids = np.unique(
                np.fromiter(session.scalars(select(ReportTag.report_id).where(ReportTag.tag.in_(tags))), np.int64)
            )
            if len(self._tag_ids) >= 64:
                self._tag_ids.clear()
            self._tag_ids[key] = ids
        return ids

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
            mask &= np.isin(c["id"], self._tagged(session, flt.tags), assume_unique=False)
        if flt.workshop:
            workshop_id = session.scalar(select(Workshop.id).where(Workshop.code == flt.workshop))
            mask &= c["workshop"] == (workshop_id or -1)
        return np.flatnonzero(mask)


    def _distinct_keys(self, group_of_commune: np.ndarray, by_theme: bool, positions: np.ndarray) -> np.ndarray:
        """(group[, theme], contributor) packed in one int64, in fixed spans so keys never change."""
        c = self.columns
        cell = group_of_commune[c["commune"][positions]].astype(np.int64)
        if by_theme:
            cell = cell * _THEME_SPAN + c["theme_id"][positions]
        return cell * _CONTRIBUTOR_SPAN + c["contributor"][positions]

    def _update_sorted_keys(self, appended: np.ndarray | None) -> None:
        """Insert the keys of appended rows into each sorted order: O(n), not a new sort.

        Moderation changes a row's status, never its commune, theme or contributor, so rows
        updated in place keep their keys.
        """
        if appended is None:
            self._sorted_keys.clear()
            return
        if not len(appended):
            return
        for cache_key, (perm, keys, group_of_commune) in list(self._sorted_keys.items()):
            new_keys = self._distinct_keys(group_of_commune, cache_key[1], appended)
            order = np.argsort(new_keys, kind="stable")
            at = np.searchsorted(keys, new_keys[order], side="right")
            self._sorted_keys[cache_key] = (
                np.insert(perm, at, appended[order]), np.insert(keys, at, new_keys[order]), group_of_commune
            )

    def distinct_contributors(
        self, rows: np.ndarray, group_of_commune: np.ndarray, n_groups: int, theme_pos: np.ndarray | None, n_themes: int
    ) -> np.ndarray:
        """Distinct contributors per (group, theme) — or per group when `theme_pos` is None.

        Counting distinct values needs a sort; sorting a million keys on every request would
        cost more than the whole response budget. Keys are sorted once per grouping and kept
        sorted as rows arrive; a selection keeps that order, so distinct keys are found with one
        linear pass.
        """
        cache_key = (group_of_commune.tobytes(), theme_pos is not None)
        entry = self._sorted_keys.get(cache_key)
        if entry is None:
            keys = self._distinct_keys(group_of_commune, theme_pos is not None, np.arange(len(self)))
            perm = np.argsort(keys, kind="stable")
            entry = self._sorted_keys[cache_key] = (perm, keys[perm], group_of_commune)
        perm, keys, _ = entry
        if len(rows) < len(self):
            selected = np.zeros(len(self), dtype=bool)
            selected[rows] = True
            keys = keys[selected[perm]]
        first = np.ones(len(keys), dtype=bool)
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        cells = keys[first] // _CONTRIBUTOR_SPAN
        if theme_pos is None:
            return np.bincount(cells, minlength=n_groups)[:n_groups]
        group, theme_id = np.divmod(cells, _THEME_SPAN)
        flat = np.bincount(group * n_themes + theme_pos[theme_id], minlength=n_groups * n_themes)
        return flat[: n_groups * n_themes].reshape(n_groups, n_themes)

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


_HEX = np.full(256, -1, dtype=np.int64)
_HEX[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_HEX[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_HEX[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)


def hex_to_int64(values: Sequence[str]) -> np.ndarray:
    """H3 cell ids (15 hex digits) to integers, vectorised: int(c, 16) per row is slow at 10^6."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    digits = _HEX[np.asarray(values, dtype="S15").view(np.uint8).reshape(len(values), 15)]
    return digits @ (16 ** np.arange(14, -1, -1, dtype=np.int64))
