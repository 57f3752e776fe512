"""Heatmap layer: weighted points from H3 counts, at a resolution that follows the map zoom.

Zoom -> H3 resolution (a cell stays a few dozen screen pixels wide):
    zoom <= 10 -> 7 (about 5 km2 per cell), 11-12 -> 8 (0.7 km2), 13 -> 9 (0.1 km2), >= 14 -> 10.
Intensity is count / max count of the layer (0..1], linear, so that Leaflet.heat receives
``[lat, lon, intensity]`` triples directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import h3
import numpy as np

from carte.geo.h3cells import cell_centres, sum_by_cell

from .privacy import finish


def resolution_for_zoom(zoom: float) -> int:
    """The H3 resolution used for a Leaflet zoom level (see the module docstring)."""
    if zoom <= 10:
        return 7
    if zoom <= 12:
        return 8
    if zoom <= 13:
        return 9
    return 10


def heatmap(
    cells: Sequence | np.ndarray,
    counts: Sequence | np.ndarray | None = None,
    *,
    zoom: float | None = None,
    resolution: int | None = None,
    theme: str | None = None,
    exact: bool = False,
    min_count: int = 3,
) -> dict:
    """Weighted points for one layer.

    ``cells``/``counts``: per-cell rollup (or one cell per report with ``counts=None``) at a
    resolution at least as fine as the target, which is ``resolution`` or derived from ``zoom``.
    Public output (``exact=False``) merges cells below ``min_count`` into their parent cell and
    drops what stays below it (see :func:`merge_small_cells`).
    """
    if resolution is None:
        resolution = resolution_for_zoom(zoom if zoom is not None else 12)
    agg_cells, agg_counts = sum_by_cell(cells, counts, resolution)
    result = _layer(agg_cells, agg_counts, resolution, theme)
    result["zoom"] = zoom
    return finish(result, exact, min_count)


def _layer(cells: np.ndarray, counts: np.ndarray, resolution: int, theme: str | None) -> dict:
    lat, lon = cell_centres(cells)
    top = float(counts.max()) if len(counts) else 0.0
    points = []
    for c, la, lo, n in zip(cells.tolist(), lat.tolist(), lon.tolist(), counts.tolist()):
        points.append(
            {
                "cell": c,
                "lat": round(la, 6),
                "lon": round(lo, 6),
                "count": int(n),
                "intensity": round(n / top, 4) if top > 0 else 0.0,
                "resolution": h3.get_resolution(c),
            }
        )
    return {
        "kind": "heatmap",
        "theme": theme,
        "resolution": resolution,
        "max_count": int(top),
        "points": points,
        "exact": True,
    }


def merge_small_cells(result: dict, min_count: int) -> dict:
    """Public heatmap: a cell under ``min_count`` is merged with its small siblings into the parent
    cell (one resolution coarser) when their sum reaches ``min_count``; otherwise it is dropped.
    Intensities are recomputed; counts shown are all >= ``min_count``.
    """
    big = [p for p in result["points"] if p["count"] >= min_count]
    small = [p for p in result["points"] if p["count"] < min_count]
    merged: list[tuple[str, int]] = [(p["cell"], p["count"]) for p in big]
    dropped = 0
    if small:
        res = result["resolution"]
        parents: dict[str, int] = {}
        for p in small:
            parent = h3.cell_to_parent(p["cell"], res - 1) if res > 0 else p["cell"]
            parents[parent] = parents.get(parent, 0) + p["count"]
        for parent, n in parents.items():
            if n >= min_count:
                merged.append((parent, n))
            else:
                dropped += n
    cells = np.asarray([c for c, _ in merged], dtype=object)
    counts = np.asarray([n for _, n in merged], dtype=np.int64)
    out = _layer(cells, counts, result["resolution"], result.get("theme"))
    out["zoom"] = result.get("zoom")
    out["dropped_cells"] = dropped > 0
    for p in out["points"]:
        p["suppressed"] = False
    return out
