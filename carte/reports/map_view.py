"""The resident map's view: every report in a bbox, or clusters with true counts.

The in-memory `ReportIndex` (shared with the aggregates) selects the reports of the
filter and view in a few milliseconds whatever the backend; above `threshold` they are
grouped by `carte.aggregation.map_clusters`, below it their rows are read by id. Either
way the answer says how many reports match (`total`), so the map never pretends that
a page is the whole.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from carte.aggregation.map_clusters import cluster_features, grid_clusters, mercator
from carte.domain import ReportFilter
from carte.storage.report_index import ReportIndex
from carte.storage.reports import plain_reports, theme_slugs_by_id


@dataclass
class MapView:
    total: int
    clustered: bool
    features: list  # cluster features (dicts), or plain report rows newest first (storage.reports.plain_reports)


class MercatorColumns:
    """Web Mercator positions of the index's rows, kept beside it and caught up incrementally.

    The logarithm costs more than the whole clustering; rows are appended far more often
    than they move (moderation changes a status, never a position), so only new rows are
    projected.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._ids = np.zeros(0, np.int64)
        self.x = np.zeros(0, np.uint32)
        self.y = np.zeros(0, np.uint32)

    def of(self, columns: dict) -> tuple[np.ndarray, np.ndarray]:
        ids, lon, lat = columns["id"], columns["lon"], columns["lat"]
        with self._lock:
            if ids is self._ids:
                return self.x, self.y
            old = len(self._ids)
            if 0 < old <= len(ids) and np.array_equal(ids[:old], self._ids):
                x, y = mercator(lon[old:], lat[old:])
                self.x, self.y = np.concatenate([self.x, x]), np.concatenate([self.y, y])
            else:
                self.x, self.y = mercator(lon, lat)
            self._ids = ids
            return self.x, self.y


def theme_slugs(session: Session) -> tuple[np.ndarray, list[str]]:
    """A lookup from theme id to position, and the slugs in that order."""
    slugs = theme_slugs_by_id(session)
    lookup = np.zeros(max(slugs, default=0) + 1, dtype=np.int32)
    lookup[list(slugs)] = np.arange(len(slugs), dtype=np.int32)
    return lookup, list(slugs.values())


def map_view(
    session: Session,
    index: ReportIndex,
    mercator_columns: MercatorColumns,
    places,
    flt: ReportFilter,
    zoom: int,
    threshold: int,
) -> MapView:
    """The reports of `flt` (whose bbox is the view) at `zoom`: clusters above `threshold`, else rows.

    `index` must have been synced by the caller (its version names the answer's ETag).
    """
    columns = index.columns
    positions = index.select(session, flt, places)
    total = len(positions)
    if total > threshold:
        x, y = mercator_columns.of(columns)
        lookup, slugs = theme_slugs(session)
        theme = lookup[columns["theme_id"][positions]]
        clusters = grid_clusters(x[positions], y[positions], theme, len(slugs), zoom)
        return MapView(total, True, cluster_features(clusters, zoom, slugs))
    # The status is checked again: a report hidden since the index's sync must not show.
    return MapView(total, False, plain_reports(session, columns["id"][positions].tolist(), flt.statuses))


def page_view(session: Session, index: ReportIndex, places, flt: ReportFilter) -> tuple[int, list, int | None]:
    """One page newest first (keyset on id), with the total of the filter; ids come from the index.

    The index already holds the selection the total needs; ordering its ids costs a sort of
    the selection in memory, where SQLite walked a status index over every row, then sorted.
    """
    positions = index.select(session, flt, places)
    ids = index.columns["id"][positions]  # ascending: the index is sorted by id
    if flt.cursor is not None:
        ids = ids[: np.searchsorted(ids, flt.cursor)]
    page = ids[::-1][: flt.limit + 1].tolist()
    rows = plain_reports(session, page[: flt.limit], flt.statuses)
    next_cursor = page[flt.limit - 1] if len(page) > flt.limit else None
    return len(positions), rows, next_cursor
