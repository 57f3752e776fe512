"""H3 cells of a point: reports are counted per cell at a few resolutions (about 5 km², 0.7 km²
and 0.1 km² for 7, 8 and 9), which gives hotspots and privacy-friendly rollups without SQL geometry.
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
