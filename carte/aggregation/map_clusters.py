"""Map clusters with true counts: a grid on Web Mercator pixels, computed with numpy.

A view at zoom 10–12 holds up to a million reports; the browser can draw a few thousand.
The map therefore gets one cluster per grid cell of `CELL_PX` screen pixels at the asked
zoom, with the exact count, mean position, theme mix and extent of the reports in it.
A grid keyed on the zoom needs no precomputed hierarchy: cells of a view are a few
hundred, so counting is one `bincount` over the selected reports (measured in
bench/map.py against H3-like alternatives: sorting keys with `np.unique` is several
times slower at 10^6 rows).

Pure numpy: no Flask, no SQLAlchemy. Singletons are clusters of one, so that the counts
of an answer always add up to its total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CELL_PX = 64  # a cluster icon is about 40 px wide: one per 64 px cell never overlaps much
TILE_PX = 256
# Mercator positions are kept as 32-bit fractions of the world (about 1 cm): a cell at zoom z is
# then a right shift, and the columns gathered per request are half the size of float64 ones.
_BITS = 32
_MAX_LAT = 85.05112878
# Above this many cells in the view's grid, cells are numbered by sorting instead of a dense table.
_DENSE_CELLS_MAX = 1 << 22


def mercator(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator position as uint32 fractions of the world (x to the east, y to the south)."""
    x = (np.asarray(lon, dtype=np.float64) + 180.0) / 360.0
    phi = np.radians(np.clip(np.asarray(lat, dtype=np.float64), -_MAX_LAT, _MAX_LAT))
    y = 0.5 - np.log(np.tan(np.pi / 4 + phi / 2)) / (2 * np.pi)
    scale = float(1 << _BITS)
    top = (1 << _BITS) - 1
    return (
        np.minimum(x * scale, top).astype(np.uint32),
        np.minimum(np.maximum(y, 0.0) * scale, top).astype(np.uint32),
    )


def lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of `mercator` (x, y as floats in the same 32-bit units)."""
    scale = float(1 << _BITS)
    lon = np.asarray(x, dtype=np.float64) / scale * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * np.asarray(y, dtype=np.float64) / scale))))
    return lon, lat


def zoom_shift(zoom: int) -> int:
    """Bits to drop from a 32-bit position to get its cell at `zoom` (2**(zoom + 2) cells an axis)."""
    return _BITS - (zoom + (TILE_PX // CELL_PX).bit_length() - 1)


def cells_per_axis(zoom: int) -> int:
    return TILE_PX * (1 << zoom) // CELL_PX


@dataclass(frozen=True)
class Clusters:
    """One row per occupied cell; `themes[i, t]` counts theme position t in cell i."""

    cell: np.ndarray  # int64: cx * cells_per_axis(zoom) + cy
    count: np.ndarray
    lon: np.ndarray  # mean position (of the Mercator positions, like the map draws them)
    lat: np.ndarray
    min_lon: np.ndarray
    min_lat: np.ndarray
    max_lon: np.ndarray
    max_lat: np.ndarray
    themes: np.ndarray

    def __len__(self) -> int:
        return len(self.cell)


def grid_clusters(x: np.ndarray, y: np.ndarray, theme: np.ndarray, n_themes: int, zoom: int) -> Clusters:
    """Group reports by grid cell at `zoom` (0–30).

    `x`, `y` are the reports' `mercator` positions (callers keep them precomputed: the
    logarithm is the costliest step at 10^6 rows); `theme` holds positions in [0, n_themes).
    """
    n_axis = cells_per_axis(zoom)
    shift = zoom_shift(zoom)
    if not len(x):
        empty = np.zeros(0)
        return Clusters(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            empty,
            empty,
            empty,
            empty,
            empty,
            empty,
            np.zeros((0, n_themes), np.int64),
        )
    # int32 and in-place arithmetic: at 10^6 rows each new temporary array costs more in page
    # faults than the arithmetic itself.
    cx = (x >> shift).view(np.int32)  # fresh arrays (>> copies), below 2**31 since shift >= 1
    cy = (y >> shift).view(np.int32)
    x0, y0 = int(cx.min()), int(cy.min())
    width, height = int(cx.max()) - x0 + 1, int(cy.max()) - y0 + 1
    if width * height <= _DENSE_CELLS_MAX:
        # Dense numbering of the view's cells, then of the occupied ones: linear, no sort.
        local = cx
        local -= x0
        local *= height
        cy -= y0
        local += cy
        counts = np.bincount(local, minlength=width * height)
        occupied = np.flatnonzero(counts)
        dense = np.zeros(width * height, dtype=np.int32)
        dense[occupied] = np.arange(len(occupied), dtype=np.int32)
        group = dense[local]
        cell = (occupied // height + x0) * n_axis + (occupied % height + y0)
        count = counts[occupied]
    else:
        cell, group = np.unique(cx.astype(np.int64) * n_axis + cy, return_inverse=True)
        count = np.bincount(group, minlength=len(cell))
    k = len(cell)
    mean_lon, mean_lat = lonlat(
        np.bincount(group, weights=x, minlength=k) / count, np.bincount(group, weights=y, minlength=k) / count
    )
    lo_x, lo_y = np.full(k, np.iinfo(np.uint32).max, np.uint32), np.full(k, np.iinfo(np.uint32).max, np.uint32)
    hi_x, hi_y = np.zeros(k, np.uint32), np.zeros(k, np.uint32)
    np.minimum.at(lo_x, group, x)
    np.minimum.at(lo_y, group, y)
    np.maximum.at(hi_x, group, x)
    np.maximum.at(hi_y, group, y)
    min_lon, max_lat = lonlat(lo_x, lo_y)  # y grows southwards
    max_lon, min_lat = lonlat(hi_x, hi_y)
    group *= n_themes  # group is not needed any more: reuse it for the (cell, theme) key
    group += theme
    themes = np.bincount(group, minlength=k * n_themes).reshape(k, n_themes)
    return Clusters(cell, count, mean_lon, mean_lat, min_lon, min_lat, max_lon, max_lat, themes)


def cluster_features(clusters: Clusters, zoom: int, theme_slugs: Sequence[str], digits: int = 6) -> list[dict]:
    """GeoJSON features of clusters; positions rounded to `digits` decimals (about 10 cm)."""
    r = lambda a: np.round(a, digits).tolist()  # noqa: E731 — one C pass per column, not per value
    lon, lat = r(clusters.lon), r(clusters.lat)
    boxes = zip(r(clusters.min_lon), r(clusters.min_lat), r(clusters.max_lon), r(clusters.max_lat))
    slugs = list(theme_slugs)
    features = []
    for cell, count, x, y, box, mix in zip(
        clusters.cell.tolist(), clusters.count.tolist(), lon, lat, boxes, clusters.themes.tolist()
    ):
        features.append(
            {
                "type": "Feature",
                "id": f"c:{zoom}:{cell}",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {
                    "cluster": True,
                    "count": count,
                    "themes": {slugs[t]: n for t, n in enumerate(mix) if n},
                    "bbox": list(box),
                },
            }
        )
    return features
