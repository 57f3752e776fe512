"""Heatmap: zoom -> resolution, intensities, small cells merged or dropped."""

from __future__ import annotations

import h3
import pytest

from carte.aggregation import heatmap, resolution_for_zoom

try:
    from aggregation_helpers import strict_json
except ImportError:  # pragma: no cover
    from tests.unit.aggregation_helpers import strict_json


@pytest.mark.parametrize("zoom, res", [(8, 7), (10, 7), (11, 8), (12, 8), (13, 9), (15, 10)])
def test_zoom_to_resolution(zoom, res):
    assert resolution_for_zoom(zoom) == res


def test_counts_are_coarsened_and_normalised():
    a9 = h3.latlng_to_cell(48.90, 2.35, 9)
    parent = h3.cell_to_parent(a9, 8)
    siblings = list(h3.cell_to_children(parent, 9))[:3]
    other = h3.latlng_to_cell(48.85, 2.30, 9)
    result = strict_json(heatmap(siblings + [other], [4, 5, 6, 3], zoom=12, exact=True))
    assert result["resolution"] == 8
    points = {p["cell"]: p for p in result["points"]}
    assert points[parent]["count"] == 15 and points[parent]["intensity"] == 1.0
    assert points[h3.cell_to_parent(other, 8)]["intensity"] == pytest.approx(3 / 15, abs=1e-4)
    lat, lon = h3.cell_to_latlng(parent)
    assert points[parent]["lat"] == pytest.approx(lat, abs=1e-6)


def test_public_heatmap_merges_then_drops_small_cells():
    parent = h3.latlng_to_cell(48.90, 2.35, 7)
    kids = list(h3.cell_to_children(parent, 8))
    lonely = h3.latlng_to_cell(48.80, 2.50, 8)
    cells = kids[:3] + [lonely, kids[3]]
    counts = [1, 1, 1, 2, 9]  # three 1s merge into the parent (3); the lonely 2 is dropped
    public = strict_json(heatmap(cells, counts, resolution=8))
    shown = {p["cell"]: p["count"] for p in public["points"]}
    assert shown == {kids[3]: 9, parent: 3}
    assert public["dropped_cells"] is True and public["exact"] is False
    assert min(p["count"] for p in public["points"]) >= 3


def test_empty():
    assert strict_json(heatmap([], zoom=11))["points"] == []


def test_integer_h3_ids_are_accepted():
    cell = h3.latlng_to_cell(48.9, 2.35, 8)
    as_int = h3.str_to_int(cell)
    result = heatmap([as_int, as_int, as_int], resolution=8)
    assert [(p["cell"], p["count"]) for p in result["points"]] == [(cell, 3)]
