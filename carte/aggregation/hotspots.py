"""Hotspots that ignore commune borders: Getis-Ord Gi* on H3 cells, BH FDR, merged into zones.

Study area. By default the study area is the set of cells holding at least one report of ANY theme
(the footprint of reporting activity) and neighbours outside it are simply absent from the
weights. Padding it with a ring of empty cells (``ring=1``) makes every busy district look "hot"
against empty surroundings (Seine, parks, the edge of the metropole): with uniformly random
reports and no activity baseline, 44-62 % of trials raised false hotspots. The option is kept
for comparison. Always pass the all-theme counts per cell (``study``/``study_counts``): without
them the baseline is uniform and 12-17 % of uniform trials raise a false hotspot.

P-values. Gi* is asymptotically normal, but with a few reports per cell its right tail is much
heavier than the normal one, and raw counts are also high wherever people simply report more
(dense districts, cells cut by the edge of the area). Each cell's one-sided p-value is therefore
the larger of
  * the normal tail of its Gi* z-score, and
  * the exact binomial tail of its neighbourhood sum S_i ~ Binomial(N_t, A_i / A), where N_t is
    the theme's reports, A_i the reports of all themes in the neighbourhood and A their total
    (the "activity"; one per cell when the caller gives no activity counts: uniform allocation).
A zone is kept only if the theme is both locally dense and denser than overall activity predicts.
Either p-value is valid under its own assumptions; the maximum is valid under both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import h3
import numpy as np
from scipy import sparse, stats
from scipy.sparse.csgraph import connected_components

from carte.geo.h3cells import cell_polygon, cells_geojson, resolution_of, sum_by_cell

from .inputs import Places
from .privacy import finish
from .serialise import fnum
from .stats import benjamini_hochberg

CellPlaces = Callable[[str], Iterable[str]] | Mapping[str, Iterable[str]]
DEFAULT_RESOLUTION = 8


@dataclass(frozen=True)
class StudyArea:
    """Cells tested and their binary Gi* weights (the cell itself + its ring-1 neighbours inside)."""

    cells: np.ndarray  # (n,) str
    index: dict[str, int]
    weights: sparse.csr_matrix  # (n, n) 0/1, diagonal included
    resolution: int | None
    activity: np.ndarray  # (n,) reports of all themes per cell (1 per cell when unknown, 0 in the ring)

    @classmethod
    def from_cells(
        cls,
        cells: Sequence | np.ndarray,
        counts: Sequence | np.ndarray | None = None,
        *,
        ring: int = 0,
        resolution: int | None = None,
        uniform: bool = False,
    ) -> StudyArea:
        """Study area from the cells holding reports of any theme.

        ``cells`` is one cell per report (``counts=None``) or a per-cell rollup of all themes; those
        counts become the activity baseline unless ``uniform``. ``ring`` pads the area with empty
        cells (see the module docstring for why the default is 0).
        """
        uniq, activity_counts = sum_by_cell(cells, counts, resolution)
        base = set(uniq.tolist())
        if ring > 0:
            for c in list(base):
                base.update(h3.grid_disk(c, ring))
        ordered = np.asarray(sorted(base), dtype=object)
        index = {c: i for i, c in enumerate(ordered)}
        rows, cols = [], []
        for i, c in enumerate(ordered):
            for nb in h3.grid_disk(c, 1):
                j = index.get(nb)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        n = len(ordered)
        w = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        activity = np.zeros(n, dtype=np.float64)
        for c, v in zip(uniq.tolist(), activity_counts.tolist()):
            activity[index[c]] = 1.0 if uniform else v
        return cls(ordered, index, w, resolution_of(ordered), activity)

    def __len__(self) -> int:
        return len(self.cells)

    def values(self, cells: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, int]:
        """Counts laid out on the study cells, and how many reports fell outside the study area."""
        x = np.zeros(len(self.cells), dtype=np.float64)
        outside = 0
        for c, v in zip(cells.tolist(), counts.tolist()):
            i = self.index.get(c)
            if i is None:
                outside += v
            else:
                x[i] += v
        return x, int(outside)


def getis_ord_gi_star(x: np.ndarray, weights: sparse.csr_matrix) -> np.ndarray:
    """Gi* z-scores with binary weights (Getis & Ord 1992, Ord & Getis 1995)."""
    n = len(x)
    if n < 2:
        return np.zeros(n)
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean()
    s = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    w_sum = np.asarray(weights.sum(axis=1)).ravel()
    numerator = weights @ x - mean * w_sum
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = s * np.sqrt((n * w_sum - w_sum**2) / (n - 1))
        z = np.where(denominator > 0, numerator / denominator, 0.0)
    return z


def gi_star_p_values(
    x: np.ndarray, weights: sparse.csr_matrix, z: np.ndarray, activity: np.ndarray | None = None
) -> np.ndarray:
    """One-sided p-values: max(normal tail of z, binomial tail of the neighbourhood sum vs activity)."""
    n = len(x)
    p_normal = stats.norm.sf(z)
    total = int(round(float(x.sum())))
    if n == 0 or total == 0:
        return np.ones(n)
    activity = np.ones(n) if activity is None else np.asarray(activity, dtype=np.float64)
    # a theme report outside the recorded activity still counts as activity
    activity = np.maximum(activity, x)
    local_activity = weights @ activity
    local = np.rint(weights @ x)
    p_binom = stats.binom.sf(local - 1, total, np.clip(local_activity / activity.sum(), 0, 1))
    return np.maximum(p_normal, p_binom)


def hotspots(
    cells: Sequence | np.ndarray,
    counts: Sequence | np.ndarray | None = None,
    study: StudyArea | Sequence | np.ndarray | None = None,
    study_counts: Sequence | np.ndarray | None = None,
    *,
    theme: str | None = None,
    resolution: int | None = None,
    ring: int = 0,
    alpha: float = 0.05,
    cell_places: CellPlaces | None = None,
    places: Places | None = None,
    exact: bool = False,
    min_count: int = 3,
) -> dict:
    """Significant hot zones of one theme, as a GeoJSON FeatureCollection.

    ``cells``/``counts``: the theme's reports per H3 cell (a rollup), or one cell per report with
    ``counts=None``. ``study``/``study_counts``: a prebuilt :class:`StudyArea`, or the cells
    holding reports of any theme (one per report, or a rollup with ``study_counts``), whose counts
    are the activity baseline. Without it, the theme's own cells with a uniform baseline.
    ``cell_places`` gives the commune codes a cell touches; ``places`` maps communes to territories.
    """
    theme_cells, theme_counts = sum_by_cell(cells, counts, resolution)
    if not isinstance(study, StudyArea):
        study = StudyArea.from_cells(
            theme_cells if study is None else study,
            theme_counts if study is None else study_counts,
            ring=ring,
            resolution=resolution or resolution_of(theme_cells),
            uniform=study is None,
        )
    x, outside = study.values(theme_cells, theme_counts)
    result = {
        "kind": "hotspots",
        "type": "FeatureCollection",
        "theme": theme,
        "resolution": study.resolution,
        "alpha": alpha,
        "study_cells": len(study),
        "reports": int(x.sum()),
        "reports_outside_study": outside,
        "features": [],
        "exact": True,
    }
    if len(study) >= 2 and x.sum() > 0:
        z = getis_ord_gi_star(x, study.weights)
        p = gi_star_p_values(x, study.weights, z, study.activity)
        q = benjamini_hochberg(p)
        hot = np.flatnonzero((q < alpha) & (z > 0))
        result["features"] = _zones(study, x, z, q, hot, cell_places, places)
    return finish(result, exact, min_count)


def _lookup(cell_places: CellPlaces | None, cell: str) -> set[str]:
    if cell_places is None:
        return set()
    if callable(cell_places):
        return set(cell_places(cell))
    return set(cell_places.get(cell, ()))


def _zones(study: StudyArea, x, z, q, hot: np.ndarray, cell_places, places: Places | None) -> list[dict]:
    if len(hot) == 0:
        return []
    adjacency = study.weights[hot][:, hot]
    n_zones, label = connected_components(adjacency, directed=False)
    territoire_of = places.territoire_of_code if places is not None else {}
    nom_of = dict(zip(places.code.tolist(), places.nom.tolist())) if places is not None else {}
    features = []
    for k in range(n_zones):
        members = hot[label == k]
        zone_cells = sorted(study.cells[members].tolist())
        communes: set[str] = set()
        for c in zone_cells:
            communes |= _lookup(cell_places, c)
        territoires = {territoire_of[c] for c in communes if c in territoire_of}
        features.append(
            {
                "type": "Feature",
                "geometry": cells_geojson(zone_cells),
                "properties": {
                    "count": int(round(float(x[members].sum()))),
                    "resolution": study.resolution,
                    "robust": False,
                    "n_cells": len(zone_cells),
                    "cells": zone_cells,
                    "max_z": fnum(z[members].max(), 4),
                    "min_q": fnum(q[members].min(), 12),
                    "communes": [{"code": c, "nom": nom_of.get(c, c)} for c in sorted(communes)],
                    "territoires": sorted(territoires),
                    "cross_border": len(communes) >= 2,
                },
            }
        )
    features.sort(key=lambda f: (-f["properties"]["max_z"], f["properties"]["cells"][0]))
    for i, f in enumerate(features, start=1):
        f["id"] = i
        f["properties"]["zone"] = i
    return features


def mark_robust(features: list[dict]) -> list[dict]:
    """Set ``properties.robust``: true when a zone of the same theme found at another resolution
    overlaps this one. A zone seen at one resolution only may be an artefact of where the grid
    falls; one that persists from 7 to 9 (about 5 km² to 0.1 km² cells) is a place, not a grid effect.

    Overlap is decided on the coarser grid: the finer zone's cells are replaced by their parents
    (H3 children nearly tile their parent), and the two zones overlap when they share a cell.
    Features need ``properties.cells``, ``properties.resolution`` and, when several themes are
    mixed, ``properties.theme``.
    """
    parents: list[dict[int, set[str]]] = []
    for f in features:
        props = f["properties"]
        res = int(props["resolution"])
        cells = props["cells"]
        parents.append(
            {r: ({h3.cell_to_parent(c, r) for c in cells} if r < res else set(cells)) for r in range(res + 1)}
        )
    for i, f in enumerate(features):
        props = f["properties"]
        res, theme = int(props["resolution"]), props.get("theme")
        robust = False
        for j, g in enumerate(features):
            other = g["properties"]
            other_res = int(other["resolution"])
            if other_res == res or other.get("theme") != theme:
                continue
            coarse = min(res, other_res)
            if coarse in parents[i] and coarse in parents[j] and parents[i][coarse] & parents[j][coarse]:
                robust = True
                break
        props["robust"] = robust
    return features


def cell_places_from_polygons(
    codes: Sequence[str], polygons: Sequence, *, min_overlap: float = 0.001
) -> Callable[[str], frozenset[str]]:
    """A cached ``cell -> commune codes`` lookup from shapely commune polygons (lon, lat), via STRtree.

    A commune counts when it covers at least ``min_overlap`` of the cell's area, so that shared
    edges and simplification slivers do not turn every border cell into a two-commune cell.
    """
    from shapely import STRtree

    codes = [str(c) for c in codes]
    polygons = list(polygons)
    tree = STRtree(polygons)

    @lru_cache(maxsize=65536)
    def lookup(cell: str) -> frozenset[str]:
        poly = cell_polygon(cell)
        area = poly.area
        found = set()
        for i in tree.query(poly, predicate="intersects"):
            if area == 0 or polygons[i].intersection(poly).area >= min_overlap * area:
                found.add(codes[int(i)])
        return frozenset(found)

    return lookup
