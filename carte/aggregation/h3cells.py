"""H3 helpers (h3 v4 API): normalising cell ids, coarsening counts, geometry."""

from __future__ import annotations

from collections.abc import Sequence

import h3
import numpy as np


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


def sum_by_cell(cells: Sequence | np.ndarray, counts: Sequence | np.ndarray | None = None,
                resolution: int | None = None) -> tuple[np.ndarray, np.ndarray]:
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
