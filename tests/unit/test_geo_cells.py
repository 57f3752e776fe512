"""H3 cells of report points."""

from __future__ import annotations

import h3
import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from carte.geo import h3_cells, h3_cells_many

EIFFEL = (48.8584, 2.2945)


def test_cells_contain_the_point_at_each_resolution() -> None:
    cells = h3_cells(*EIFFEL)
    assert sorted(cells) == [7, 8, 9]
    for res, cell in cells.items():
        assert h3.is_valid_cell(cell) and h3.get_resolution(cell) == res
        hexagon = Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])
        assert hexagon.contains(Point(EIFFEL[1], EIFFEL[0]))


def test_custom_resolutions() -> None:
    assert sorted(h3_cells(*EIFFEL, resolutions=(5, 10))) == [5, 10]


def test_bulk_matches_single_points() -> None:
    rng = np.random.default_rng(1)
    lats, lons = rng.uniform(48.7, 49.0, 300), rng.uniform(2.2, 2.6, 300)
    bulk = h3_cells_many(lats, lons)
    for i in range(len(lats)):
        assert {res: bulk[res][i] for res in bulk} == h3_cells(lats[i], lons[i])


def test_bulk_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        h3_cells_many([48.8], [2.3, 2.4])
