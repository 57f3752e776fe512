"""Aggregated views of reports: the use cases behind /api/v1/aggregates.

Storage's `ReportIndex` selects the reports of a filter as numpy positions; the pure
`carte.aggregation` package computes; results are cached per filter and data version,
so a new or moderated report invalidates them without any explicit call.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace

import h3
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from carte import aggregation
from carte.domain import ReportFilter
from carte.errors import CarteError
from carte.geo.atlas import Atlas
from carte.models import Report, Theme
from carte.storage.report_index import ReportIndex
from carte.storage.reports import apply_filter, theme_slugs_by_id

STORED_RESOLUTIONS = (7, 8, 9)
ISSUE_GROUPS_MAX_REPORTS = 50_000


class LazyLevels(Mapping):
    """level -> array, computed on first access: each level costs a pass over the selection."""

    def __init__(self, compute: Callable[[str], np.ndarray]):
        self._compute = compute
        self._done: dict[str, np.ndarray] = {}

    def __getitem__(self, level: str) -> np.ndarray:
        if level not in aggregation.LEVELS:
            raise KeyError(level)
        if level not in self._done:
            self._done[level] = self._compute(level)
        return self._done[level]

    def __iter__(self):
        return iter(aggregation.LEVELS)

    def __len__(self) -> int:
        return len(aggregation.LEVELS)


class Aggregates:
    """One per app: the report index, the cell-to-commune lookup and the result cache.

    `atlas` may be a callable: create_app builds the service before the data files need to
    exist (CLI commands), and the first use builds the places and the index under a lock, so
    the threads of a worker never build two.
    """

    def __init__(
        self,
        atlas: Atlas | Callable[[], Atlas],
        *,
        min_count: int = 3,
        hotspot_resolution: int = 8,
        cache_size: int = 256,
        snapshot_dir: str | None = None,
    ):
        self._atlas = atlas
        self.min_count = min_count
        self.hotspot_resolution = hotspot_resolution
        self._snapshot_dir = snapshot_dir
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._setup_lock = threading.Lock()
        self._ready = False

    def setup(self) -> None:
        """Take the atlas and build the places and the (empty) index; create_app calls it when the data is there."""
        with self._setup_lock:
            if self._ready:
                return
            if callable(self._atlas) and not isinstance(self._atlas, Atlas):
                self._atlas = self._atlas()
            self._places = self._atlas.aggregation_places
            self._index = ReportIndex(self._places.code.tolist(), self._snapshot_dir)
            self._ready = True

    @property
    def atlas(self) -> Atlas:
        self._ready or self.setup()
        return self._atlas

    @property
    def places(self):
        self._ready or self.setup()
        return self._places

    @property
    def index(self) -> ReportIndex:
        self._ready or self.setup()
        return self._index

    @property
    def cell_places(self):
        """The atlas's cell lookup, shared by every app on that atlas (built on first use)."""
        return self.atlas.cell_places

    def warm(self, session: Session, defaults: bool = True) -> None:
        """Load the index and build every distinct-contributor order, e.g. before gunicorn forks.

        Built in the master, these arrays are shared by all workers (copy-on-write pages);
        built lazily, each worker would pay the load and hold its own copy.
        """
        self.index.sync(session)
        for level in aggregation.LEVELS:
            groups = self.places.groups(level)
            for by_theme in (True, False):
                self.index.sorted_keys(groups.of_commune, by_theme)
        if defaults:
            # The unfiltered views everyone opens first; computing them also fills the
            # cell -> communes lookup of hotspots (shapely intersections), shared after the fork.
            flt = ReportFilter()
            for level in aggregation.LEVELS:
                self.territories(session, flt, level)
            self.shared_needs(session, flt)
            self.hotspots(session, flt, None)
            self.heatmap(session, flt, 11)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- plumbing ---------------------------------------------------------------------------------

    def _cached(self, session: Session, key: tuple, compute: Callable[[np.ndarray, dict], dict], flt: ReportFilter):
        version = self.index.sync(session)
        key = (*key, flt, version)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        themes = self._theme_slugs(session)
        result = compute(self.index.select(session, flt, self.places), themes)
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    @staticmethod
    def _theme_slugs(session: Session) -> dict[int, str]:
        return theme_slugs_by_id(session)

    def _counts(self, rows: np.ndarray, themes: dict[int, str]) -> aggregation.CountTable:
        """A (commune, theme) rollup of the selection, with exact distinct contributors per level."""
        cols = self.index.columns
        slugs = tuple(themes.values())
        theme_pos = np.zeros(max(themes, default=0) + 1, dtype=np.int64)
        theme_pos[list(themes)] = np.arange(len(themes))
        n_communes, n_themes = len(self.places), len(slugs)
        cell = cols["commune"][rows].astype(np.int64) * n_themes + theme_pos[cols["theme_id"][rows]]
        matrix = np.bincount(cell, minlength=n_communes * n_themes)
        nonzero = np.flatnonzero(matrix)
        commune, theme = np.divmod(nonzero, n_themes)

        def distinct(level: str, by_theme: bool) -> np.ndarray:
            groups = self.places.groups(level)
            return self.index.distinct_contributors(
                rows, groups.of_commune, len(groups.codes), theme_pos if by_theme else None, n_themes
            )

        return aggregation.CountTable(
            commune=commune,
            theme=theme,
            count=matrix[nonzero],
            themes=slugs,
            contributors=LazyLevels(lambda level: distinct(level, True)),
            place_contributors=LazyLevels(lambda level: distinct(level, False)),
        )

    def _cells(self, rows: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
        """Unique H3 cells (as strings) and their report counts, for the selected rows."""
        cells, counts = np.unique(self.index.columns[f"h3_{resolution}"][rows], return_counts=True)
        return np.asarray([h3.int_to_str(int(c)) for c in cells], dtype=object), counts

    # -- use cases --------------------------------------------------------------------------------

    def territories(
        self, session: Session, flt: ReportFilter, level: str, exact: bool = False, count_unit: str = "reports"
    ) -> dict:
        def compute(rows, themes):
            return aggregation.territory_stats(
                self._counts(rows, themes),
                self.places,
                level,
                exact=exact,
                min_count=self.min_count,
                count_unit=count_unit,
            )

        return self._cached(session, ("territories", level, exact, count_unit), compute, flt)

    # -- places with the same needs (stats helper) ---------------------------------------------------

    @staticmethod
    def _theme_labels(session: Session) -> dict[str, str]:
        return dict(session.execute(select(Theme.slug, Theme.label)).all())

    def centroids(self, level: str) -> dict[str, tuple[float, float]]:
        points = [self.atlas.representative_point(code) for code in self.places.code.tolist()]
        return aggregation.level_centroids(self.places, level, points)

    def similar_places(
        self,
        session: Session,
        flt: ReportFilter,
        code: str,
        level: str,
        exact: bool = False,
        count_unit: str = "reports",
    ) -> dict:
        """Raises CarteError 404 ``unknown_place`` for a code that is not a place of the level."""
        labels = self._theme_labels(session)
        if code not in self.places.groups(level).codes.tolist():
            raise CarteError(
                "unknown_place", "Lieu inconnu à ce niveau : %(code)s.", "code", status=404, params={"code": code[:20]}
            )

        def compute(rows, themes):
            return aggregation.similar_places(
                self._counts(rows, themes),
                self.places,
                code,
                level,
                labels=labels,
                exact=exact,
                min_count=self.min_count,
                count_unit=count_unit,
            )

        return self._cached(session, ("similar_places", code, level, exact, count_unit), compute, flt)

    def workshop_similar_places(self, session: Session, flt: ReportFilter, level: str, exact: bool = False) -> dict:
        """Places elsewhere sharing the needs of the workshop named by ``flt.workshop`` (its room's
        reports against every report matching the rest of the filter)."""
        labels = self._theme_labels(session)
        everyone = replace(flt, workshop=None)

        def compute(rows, themes):
            all_rows = self.index.select(session, everyone, self.places)
            return aggregation.workshop_similar_places(
                self._counts(rows, themes),
                self._counts(all_rows, themes),
                self.places,
                level,
                labels=labels,
                exact=exact,
                min_count=self.min_count,
            )

        out = self._cached(session, ("workshop_similar", level, exact), compute, flt)
        return {**out, "workshop": flt.workshop}

    def passerelles(
        self,
        session: Session,
        flt: ReportFilter,
        level: str,
        sentences: dict[str, str],
        separator: str,
        exact: bool = False,
        count_unit: str = "reports",
    ) -> dict:
        labels = self._theme_labels(session)
        centroids = self.centroids(level)

        def compute(rows, themes):
            return aggregation.passerelles(
                self._counts(rows, themes),
                self.places,
                level,
                labels=labels,
                centroids=centroids,
                sentences=sentences,
                theme_separator=separator,
                exact=exact,
                min_count=self.min_count,
                count_unit=count_unit,
            )

        key = (
            "passerelles",
            level,
            exact,
            count_unit,
            tuple(sorted(sentences.items())),
            separator,
            tuple(sorted(labels.items())),
        )
        return self._cached(session, key, compute, flt)

    def shared_needs(self, session: Session, flt: ReportFilter, exact: bool = False) -> dict:
        def compute(rows, themes):
            return aggregation.shared_needs(
                self._counts(rows, themes), self.places, exact=exact, min_count=self.min_count
            )

        return self._cached(session, ("shared_needs", exact), compute, flt)

    def hotspots(self, session: Session, flt: ReportFilter, resolution: int | None, exact: bool = False) -> dict:
        """Zones per theme: each theme of the filter (all themes when none is named) against all reports.

        The study area and its activity baseline come from the reports of every theme that match
        the rest of the filter: a theme is hot where it outweighs what residents report there.
        Zones are computed at H3 resolutions 7, 8 and 9 and marked ``robust`` when a zone of the
        same theme at another resolution overlaps them; ``resolution`` keeps only that one's zones
        (robustness is still judged against the other two).
        """
        wanted_themes = flt.themes

        def compute(rows, themes):
            wanted = wanted_themes or tuple(themes.values())
            by_slug = {slug: theme_id for theme_id, slug in themes.items()}
            theme_col = self.index.columns["theme_id"][rows]
            features: list[dict] = []
            tested = 0
            study_cells = {}
            for res in STORED_RESOLUTIONS:
                cells_all, counts_all = self._cells(rows, res)
                study = aggregation.StudyArea.from_cells(cells_all, counts_all, resolution=res)
                study_cells[res] = len(study)
                for slug in wanted:
                    theme_rows = rows[theme_col == by_slug[slug]]
                    if not len(theme_rows):
                        continue
                    cells, counts = self._cells(theme_rows, res)
                    one = aggregation.hotspots(
                        cells,
                        counts,
                        study,
                        theme=slug,
                        resolution=res,
                        cell_places=self.cell_places,
                        places=self.places,
                        exact=exact,
                        min_count=self.min_count,
                    )
                    tested += res == STORED_RESOLUTIONS[0]
                    for feature in one["features"]:
                        feature["properties"]["theme"] = slug
                        feature["id"] = f"{slug}-r{res}-{feature['id']}"
                    features.extend(one["features"])
            aggregation.mark_robust(features)
            features.sort(
                key=lambda f: (
                    not f["properties"]["robust"],
                    not f["properties"]["cross_border"],
                    -(f["properties"].get("max_z") or 0),
                )
            )
            return {
                "type": "FeatureCollection",
                "kind": "hotspots",
                "resolutions": list(STORED_RESOLUTIONS),
                "themes_tested": tested,
                "study_cells": study_cells[self.hotspot_resolution if self.hotspot_resolution in study_cells else 8],
                "study_cells_by_resolution": {str(r): n for r, n in study_cells.items()},
                "exact": exact,
                "features": features,
            }

        full = self._cached(session, ("hotspots", exact, wanted_themes), compute, replace(flt, themes=()))
        if resolution is None:
            return {**full, "resolution": None}
        kept = [f for f in full["features"] if f["properties"]["resolution"] == resolution]
        return {
            **full,
            "resolution": resolution,
            "features": kept,
            "study_cells": full["study_cells_by_resolution"][str(resolution)],
        }

    def heatmap(self, session: Session, flt: ReportFilter, zoom: float, exact: bool = False) -> dict:
        resolution = min(aggregation.resolution_for_zoom(zoom), max(STORED_RESOLUTIONS))

        def compute(rows, _themes):
            cells, counts = self._cells(rows, resolution)
            return aggregation.heatmap(
                cells, counts, zoom=zoom, resolution=resolution, exact=exact, min_count=self.min_count
            )

        return self._cached(session, ("heatmap", resolution, exact), compute, flt)

    def issue_groups(self, session: Session, flt: ReportFilter, exact: bool = False) -> dict:
        """Texts are read from the database: only the selected reports, so the filter must be narrow."""

        def compute(rows, _themes):
            if len(rows) > ISSUE_GROUPS_MAX_REPORTS:
                raise CarteError(
                    "selection_too_large",
                    "Trop de signalements (%(n)s) : choisissez une commune, un territoire ou un thème.",
                    "commune",
                    params={"n": len(rows)},
                )
            stmt = apply_filter(
                select(
                    Report.public_id,
                    Report.commune_code,
                    Theme.slug,
                    Report.contributor,
                    Report.lat,
                    Report.lon,
                    Report.title,
                    Report.description,
                ).join(Theme),
                flt,
            )
            fetched = session.execute(stmt).all()
            cols = list(zip(*fetched)) if fetched else [()] * 8
            reports = aggregation.ReportArrays(
                id=np.asarray(cols[0], dtype=object),
                commune=np.asarray(cols[1], dtype=object),
                theme=np.asarray(cols[2], dtype=object),
                contributor=np.asarray([c or "" for c in cols[3]], dtype=object),
                lat=np.asarray(cols[4], dtype=np.float64),
                lon=np.asarray(cols[5], dtype=np.float64),
                themes=tuple(sorted(set(cols[2]))),
                title=np.asarray(cols[6], dtype=object),
                description=np.asarray(cols[7], dtype=object),
            )
            return aggregation.issue_groups(reports, self.places, exact=exact, min_count=self.min_count)

        return self._cached(session, ("issue_groups", exact), compute, flt)


def install(app) -> None:
    """Give the app its one Aggregates service at start-up, after the atlas (`carte.geo.atlas.install`).

    Built here, not on a request's first use, so two threads of a worker never build two. When
    create_app found no data to load, the service gets the atlas on first use, under its lock.
    The index itself is read from the database on first use or by `warm` (gunicorn's master).
    """
    from carte.geo.atlas import get_atlas

    atlas = app.extensions.get("carte_atlas")
    service = app.extensions["carte_aggregates"] = Aggregates(
        atlas if atlas is not None else (lambda: get_atlas(app)),
        min_count=app.config["CARTE_MIN_PUBLIC_COUNT"],
        hotspot_resolution=app.config["CARTE_HOTSPOT_RESOLUTION"],
        snapshot_dir=app.config.get("CARTE_INDEX_SNAPSHOT_DIR") or None,
    )
    if atlas is not None:
        service.setup()
