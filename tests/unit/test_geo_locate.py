"""Point -> commune / arrondissement lookup: exact against brute force, and known places."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from carte.geo import PlaceLocator

try:
    from geo_helpers import brute_force_codes, built, geometries, shapes_of
except ImportError:  # tests/unit imported as a package
    from tests.unit.geo_helpers import brute_force_codes, built, geometries, shapes_of

KNOWN = [
    # (lon, lat, commune, arrondissement or None)
    (2.2945, 48.8584, "75056", "75107"),  # Tour Eiffel
    (2.3499, 48.8530, "75056", "75104"),  # Notre-Dame de Paris
    (2.3597, 48.9356, "93066", None),  # Basilique de Saint-Denis
    (2.3601, 48.9245, "93066", None),  # Stade de France
    (2.3614, 48.9652, "93066", None),  # Mairie de Pierrefitte-sur-Seine (merged into Saint-Denis)
    (2.4415, 48.8617, "93048", None),  # Mairie de Montreuil
    (2.2470, 48.9474, "95018", None),  # Argenteuil centre
    (2.1301, 48.8049, None, None),  # Versailles: outside the MGP
]


@pytest.fixture(scope="module")
def communes():
    return built()[1]


@pytest.fixture(scope="module")
def commune_locator(communes):
    return PlaceLocator.from_features(communes["features"], key="code")


@pytest.fixture(scope="module")
def arrondissement_locator():
    return PlaceLocator.from_features(built()[2])


@pytest.mark.parametrize("lon, lat, commune, arrondissement", KNOWN)
def test_known_places(commune_locator, arrondissement_locator, lon, lat, commune, arrondissement) -> None:
    assert commune_locator.locate(lon, lat) == commune
    assert arrondissement_locator.locate(lon, lat) == arrondissement
    assert list(commune_locator.locate_many(np.array([lon]), np.array([lat]))) == [commune]


def test_codes(commune_locator, communes) -> None:
    assert commune_locator.codes == tuple(f["properties"]["code"] for f in communes["features"])


def test_exact_on_random_points(commune_locator, communes) -> None:
    rng = np.random.default_rng(20240601)
    minx, miny, maxx, maxy = shapely.total_bounds(geometries(communes))
    lons = rng.uniform(minx - 0.01, maxx + 0.01, 200_000)
    lats = rng.uniform(miny - 0.01, maxy + 0.01, 200_000)
    got = commune_locator.locate_many(lons, lats)
    expected = brute_force_codes(communes, lons, lats)
    assert got.dtype == object
    assert 0.3 < np.mean(expected != None) < 0.9  # noqa: E711 (elementwise) - both inside and outside sampled
    assert np.array_equal(got, expected)


def test_scalar_locate_matches_bulk(commune_locator, communes) -> None:
    rng = np.random.default_rng(9)
    coords = shapely.get_coordinates(shapely.boundary(geometries(communes)))
    picks = coords[rng.integers(0, len(coords), 3000)]
    lons = np.r_[picks[:, 0] + rng.normal(0, 3e-5, len(picks)), rng.uniform(2.1, 2.7, 3000)]
    lats = np.r_[picks[:, 1] + rng.normal(0, 3e-5, len(picks)), rng.uniform(48.6, 49.05, 3000)]
    expected = brute_force_codes(communes, lons, lats)
    assert [commune_locator.locate(x, y) for x, y in zip(lons, lats)] == list(expected)


def test_exact_near_borders(commune_locator, communes) -> None:
    """Points within a few metres of the borders, where the grid must fall back to exact tests."""
    rng = np.random.default_rng(7)
    coords = shapely.get_coordinates(shapely.boundary(geometries(communes)))
    picks = coords[rng.integers(0, len(coords), 100_000)]
    lons = picks[:, 0] + rng.normal(0, 3e-5, len(picks))
    lats = picks[:, 1] + rng.normal(0, 3e-5, len(picks))
    lons[:1000], lats[:1000] = picks[:1000, 0], picks[:1000, 1]  # exactly on border vertices
    assert np.array_equal(commune_locator.locate_many(lons, lats), brute_force_codes(communes, lons, lats))


def test_matches_a_per_polygon_scan(commune_locator, communes) -> None:
    """A second reference without any index: scan every polygon, first match wins."""
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = shapely.total_bounds(geometries(communes))
    lons, lats = rng.uniform(minx, maxx, 20_000), rng.uniform(miny, maxy, 20_000)
    expected = np.full(len(lons), None, dtype=object)
    for feature, geom in zip(reversed(communes["features"]), reversed(geometries(communes))):
        expected[shapely.intersects_xy(geom, lons, lats)] = feature["properties"]["code"]
    assert np.array_equal(commune_locator.locate_many(lons, lats), expected)


def test_arrondissements_exact(arrondissement_locator) -> None:
    arrondissements = built()[2]
    rng = np.random.default_rng(11)
    minx, miny, maxx, maxy = shapely.total_bounds(geometries(arrondissements))
    lons, lats = rng.uniform(minx, maxx, 50_000), rng.uniform(miny, maxy, 50_000)
    assert np.array_equal(
        arrondissement_locator.locate_many(lons, lats), brute_force_codes(arrondissements, lons, lats)
    )


def test_shared_border_goes_to_the_first_feature() -> None:
    squares, codes = shapes_of("shared-border")
    assert codes == ["B", "A", "C"]
    locator = PlaceLocator(squares, codes, cell_m=10_000)
    assert locator.locate(1.0, 0.5) == "B"  # on the B|A edge: B comes first
    assert locator.locate(1.5, 1.0) == "A"  # on the A|C edge
    assert locator.locate(1.0, 1.0) == "B"  # the corner shared by all three
    assert locator.locate(1.5, 0.5) == "A"
    assert locator.locate(0.0, 0.0) == "B"  # outer boundary counts as inside
    assert locator.locate(2.5, 0.5) is None


def test_large_extent_gets_a_bounded_grid() -> None:
    """Squares of 1 degree with the default 40 m cells would need 100 million cells."""
    locator = PlaceLocator(*shapes_of("large-extent"))
    assert locator.stats.nx * locator.stats.ny <= 1_100_000
    rng = np.random.default_rng(5)
    lons, lats = rng.uniform(-1, 11, 10_000), rng.uniform(-1, 6, 10_000)
    expected = np.where((lats < 0) | (lats > 5) | (lons < 0) | (lons > 10), None, np.where(lons <= 5, "west", "east"))
    assert np.array_equal(locator.locate_many(lons, lats), expected.astype(object))


def test_overlapping_input_first_feature_wins() -> None:
    locator = PlaceLocator(*shapes_of("overlapping"), cell_m=5_000)
    lons = np.array([1.5, 2.5, 0.5, 3.5])
    lats = np.array([1.5, 2.5, 0.5, 3.5])
    assert list(locator.locate_many(lons, lats)) == ["first", "second", "first", None]


def test_outside_and_invalid_input(commune_locator) -> None:
    lons = np.array([np.nan, 2.35, 200.0, -np.inf, 2.35])
    lats = np.array([48.85, np.nan, 48.85, 48.85, 48.86])
    assert list(commune_locator.locate_many(lons, lats)) == [None, None, None, None, "75056"]
    assert list(commune_locator.locate_indices(lons, lats)) == [-1, -1, -1, -1, 0]
    with pytest.raises(ValueError):
        commune_locator.locate_many(np.zeros(2), np.zeros(3))


def test_holes_are_outside() -> None:
    shapes, codes = shapes_of("holes")
    assert codes == ["ring", "inner"] and len(shapes[0].interiors) == 1
    locator = PlaceLocator(shapes, codes, cell_m=20_000)
    lons = np.array([0.5, 1.2, 2.0, 3.5])
    lats = np.array([0.5, 1.2, 2.0, 3.5])
    assert list(locator.locate_many(lons, lats)) == ["ring", None, "inner", "ring"]


def test_build_is_fast(commune_locator) -> None:
    assert commune_locator.stats.build_seconds < 5.0
    assert commune_locator.stats.boundary_cells < commune_locator.stats.nx * commune_locator.stats.ny / 5
