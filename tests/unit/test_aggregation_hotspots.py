"""Gi* hotspots: no false alarms on uniform data, a planted cross-border cluster is found."""

from __future__ import annotations

import h3
import numpy as np
import pytest
from scipy import sparse

from carte.aggregation import cell_places_from_polygons, getis_ord_gi_star, hotspots, mark_robust

try:
    from aggregation_helpers import border_places, strict_json
except ImportError:  # pragma: no cover
    from tests.unit.aggregation_helpers import border_places, strict_json

BOX = (2.30, 48.87, 2.40, 48.93)  # lon_min, lat_min, lon_max, lat_max: about 50 km2


def _cells(lat, lon, res=8):
    return np.array([h3.latlng_to_cell(a, b, res) for a, b in zip(lat, lon)], dtype=object)


def _uniform(rng, n):
    return rng.uniform(BOX[1], BOX[3], n), rng.uniform(BOX[0], BOX[2], n)


def test_gi_star_matches_formula_on_a_line():
    # 5 cells in a row, binary weights self + neighbours; hand formula for the middle cell.
    x = np.array([0.0, 1.0, 10.0, 1.0, 0.0])
    rows = [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]
    cols = [0, 1, 0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4]
    w = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(5, 5))
    n, mean = 5, 12 / 5
    s = np.sqrt((0 + 1 + 100 + 1 + 0) / 5 - mean**2)
    expected_mid = (12 - mean * 3) / (s * np.sqrt((5 * 3 - 9) / (n - 1)))
    assert getis_ord_gi_star(x, w)[2] == pytest.approx(expected_mid, rel=1e-12)


def test_uniform_reports_give_no_hotspot_in_95_of_100_seeds():
    seeds_with_hotspots = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        n = 400 + 40 * (seed % 10)  # from sparse (~1 report per cell and theme) to denser
        lat, lon = _uniform(rng, n)
        theme = rng.integers(0, 4, n)
        cells = _cells(lat, lon)
        result = hotspots(cells[theme == 0], None, cells, exact=True)
        assert result["study_cells"] > 50
        seeds_with_hotspots += bool(result["features"])
    assert seeds_with_hotspots <= 5


def test_planted_cluster_on_the_border_is_found_and_cross_border():
    places, codes, polygons = border_places()
    rng = np.random.default_rng(42)
    lat, lon = _uniform(rng, 800)
    theme = rng.integers(0, 4, 800)
    # 40 extra "voirie" reports within ~250 m of a point of the border (lat 48.900, lon 2.34)
    k = 40
    c_lat = 48.900 + rng.normal(0, 0.0015, k)
    c_lon = 2.34 + rng.normal(0, 0.002, k)
    lat, lon, theme = np.r_[lat, c_lat], np.r_[lon, c_lon], np.r_[theme, np.zeros(k, dtype=int)]
    cells = _cells(lat, lon)
    result = hotspots(
        cells[theme == 0],
        None,
        cells,
        theme="voirie",
        cell_places=cell_places_from_polygons(codes, polygons),
        places=places,
        exact=True,
    )
    strict_json(result)
    assert len(result["features"]) == 1
    zone = result["features"][0]["properties"]
    assert zone["cross_border"] is True
    assert zone["communes"] == [{"code": "75056", "nom": "Paris"}, {"code": "93070", "nom": "Saint-Ouen-sur-Seine"}]
    assert zone["resolution"] == 8
    assert zone["territoires"] == ["200057867", "75056"]
    assert h3.latlng_to_cell(48.900, 2.34, 8) in zone["cells"]
    assert zone["count"] >= k // 2 and zone["max_z"] > 3
    assert result["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_cell_places_from_polygons_ignores_touching_edges():
    _, codes, polygons = border_places()
    lookup = cell_places_from_polygons(codes, polygons)
    assert lookup(h3.latlng_to_cell(48.92, 2.35, 8)) == {"93070"}
    assert lookup(h3.latlng_to_cell(48.88, 2.35, 8)) == {"75056"}
    straddling = [c for c in h3.grid_disk(h3.latlng_to_cell(48.900, 2.35, 8), 1) if len(lookup(c)) == 2]
    assert straddling  # the border runs through some of these cells


def test_empty_and_single_cell_inputs():
    assert strict_json(hotspots([], None))["features"] == []
    one = h3.latlng_to_cell(48.9, 2.35, 8)
    assert hotspots([one], [5])["features"] == []


def _zone(theme, cells, resolution):
    return {"type": "Feature", "properties": {"theme": theme, "cells": sorted(cells), "resolution": resolution}}


def test_robust_zones_by_hand():
    centre = h3.latlng_to_cell(48.90, 2.34, 9)
    far = h3.latlng_to_cell(48.80, 2.45, 9)
    zones = [
        _zone("voirie", {centre}, 9),  # inside the res-7 zone below
        _zone("voirie", {h3.cell_to_parent(centre, 7)}, 7),
        _zone("voirie", {h3.cell_to_parent(far, 8)}, 8),  # alone at its place
        _zone("bruit", {h3.cell_to_parent(centre, 8)}, 8),  # same place, another theme
    ]
    mark_robust(zones)
    assert [z["properties"]["robust"] for z in zones] == [True, True, False, False]


def test_planted_cluster_is_robust_across_resolutions_and_noise_zones_are_not():
    rng = np.random.default_rng(3)
    lat, lon = _uniform(rng, 3000)
    theme = rng.integers(0, 4, 3000)
    k = 120
    lat = np.r_[lat, 48.905 + rng.normal(0, 0.003, k)]
    lon = np.r_[lon, 2.36 + rng.normal(0, 0.004, k)]
    theme = np.r_[theme, np.zeros(k, dtype=int)]
    features = []
    for res in (7, 8, 9):
        cells = _cells(lat, lon, res)
        out = hotspots(cells[theme == 0], None, cells, theme="voirie", resolution=res, exact=True)
        for f in out["features"]:
            f["properties"]["theme"] = "voirie"
        features += out["features"]
    mark_robust(features)
    planted = h3.latlng_to_cell(48.905, 2.36, 8)
    around = set(h3.grid_disk(planted, 1))
    hits = [f for f in features if f["properties"]["resolution"] == 8 and around & set(f["properties"]["cells"])]
    assert hits and all(f["properties"]["robust"] for f in hits)
    assert {f["properties"]["resolution"] for f in features if f["properties"]["robust"]} >= {8}
