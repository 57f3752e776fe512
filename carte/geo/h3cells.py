"""H3 (v4 API), the one module for it: the cells of a point, written with every report, and the helpers that
aggregation uses on them (normalising ids, coarsening counts, geometry).

Reports are counted per cell at a few resolutions (about 5 km², 0.7 km² and 0.1 km² for 7, 8 and 9), which gives
hotspots and privacy-friendly rollups without SQL geometry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import h3
import numpy as np

DEFAULT_RESOLUTIONS: tuple[int, ...] = (7, 8, 9)


def h3_cells(lat: float, lon: float, resolutions: Iterable[int] = DEFAULT_RESOLUTIONS) -> dict[int, str]:
    """{resolution: H3 cell id (hex string)} for one point (h3 v4 API)."""
    return {res: h3.latlng_to_cell(lat, lon, res) for res in resolutions}


def h3_cells_many(
    lats: Sequence[float] | np.ndarray,
    lons: Sequence[float] | np.ndarray,
    resolutions: Iterable[int] = DEFAULT_RESOLUTIONS,
) -> dict[int, list[str]]:
    """{resolution: [cell of each point]} for many points (bulk report generation, imports).

    Each resolution is computed from the point itself, exactly as `h3_cells` does: H3 is not
    perfectly nested, so the parent of a fine cell is not always the point's coarse cell.
    """
    lat_arr = np.asarray(lats, dtype=float)
    lon_arr = np.asarray(lons, dtype=float)
    if lat_arr.shape != lon_arr.shape:
        raise ValueError("lats and lons must have the same shape")
    pairs = list(zip(lat_arr.tolist(), lon_arr.tolist()))
    return {res: [h3.latlng_to_cell(lat, lon, res) for lat, lon in pairs] for res in resolutions}


def as_cells(values: Sequence | np.ndarray) -> np.ndarray:
    """H3 cells as an object array of str; int64 ids are converted (once per distinct cell)."""
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=object)
    if arr.dtype.kind in "iu":
        uniq, inverse = np.unique(arr, return_inverse=True)
        return np.asarray([h3.int_to_str(int(c)) for c in uniq], dtype=object)[inverse]
    return arr.astype(str).astype(object)


def resolution_of(cells: np.ndarray) -> int | None:
    return h3.get_resolution(str(cells[0])) if len(cells) else None


def sum_by_cell(
    cells: Sequence | np.ndarray, counts: Sequence | np.ndarray | None = None, resolution: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct cells and their summed counts, coarsened to ``resolution`` when the input is finer.

    Works on raw per-report cells (counts None = 1 each) or on per-cell rollups; the only Python
    loop is over distinct cells.
    """
    cells = as_cells(cells)
    counts = np.ones(len(cells), dtype=np.int64) if counts is None else np.asarray(counts)
    if len(cells) == 0:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)
    uniq, inverse = np.unique(cells.astype(str), return_inverse=True)
    if resolution is not None:
        parents = np.asarray(
            [c if h3.get_resolution(c) <= resolution else h3.cell_to_parent(c, resolution) for c in uniq],
            dtype=str,
        )
        uniq, parent_inv = np.unique(parents, return_inverse=True)
        inverse = parent_inv[inverse]
    summed = np.bincount(inverse, weights=counts, minlength=len(uniq))
    if counts.dtype.kind in "iub":
        summed = np.rint(summed).astype(np.int64)
    keep = summed > 0
    return uniq.astype(object)[keep], summed[keep]


def cell_centres(cells: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) arrays of cell centres."""
    pts = np.asarray([h3.cell_to_latlng(c) for c in cells], dtype=np.float64).reshape(-1, 2)
    return pts[:, 0], pts[:, 1]


def cells_geojson(cells: Sequence[str]) -> dict:
    """GeoJSON Polygon/MultiPolygon (lon, lat) of the union of cells."""
    geo = h3.cells_to_geo(list(cells))
    return {"type": geo["type"], "coordinates": _lists(geo["coordinates"])}


def _lists(value):
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (int, float)):
            return [round(float(v), 7) for v in value]
        return [_lists(v) for v in value]
    return value


def cell_polygon(cell: str):
    """The cell as a shapely Polygon in (lon, lat)."""
    from shapely.geometry import Polygon

    return Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])
