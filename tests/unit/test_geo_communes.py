"""The commune layer built from the real mirror data."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, shape

from carte.geo import BuildError, build_communes, build_data, read_geojson, simplify_for_web, write_geojson

try:
    from geo_helpers import built, geometries, raw, raw_boundary, require_mirror
except ImportError:  # tests/unit imported as a package
    from tests.unit.geo_helpers import built, geometries, raw, raw_boundary, require_mirror

PIERREFITTE_MAIRIE = (2.3614, 48.9652)
MGP_DEPARTEMENTS = {"75", "92", "93", "94", "91", "95"}


def by_code(fc: dict) -> dict[str, dict]:
    return {f["properties"]["code"]: f for f in fc["features"]}


def test_exactly_the_130_members() -> None:
    _, communes, _ = built()
    members = {m["code"] for m in raw("cog/epci-metropole-du-grand-paris.json")[0]["membres"]}
    codes = [f["properties"]["code"] for f in communes["features"]]
    assert len(codes) == 130 == len(set(codes))
    assert set(codes) == members


def test_properties_and_territories() -> None:
    _, communes, _ = built()
    ept = raw("cog/ept.json")
    expected_territory = {m["code"]: (e["code"], e["nom"]) for e in ept for m in e["membres"]}
    for feature in communes["features"]:
        props = feature["properties"]
        assert set(props) >= {
            "code",
            "nom",
            "departement",
            "territoire_code",
            "territoire_nom",
            "population",
            "rep_point",
        }
        assert isinstance(props["population"], int) and props["population"] > 0
        assert props["departement"] in MGP_DEPARTEMENTS and props["code"].startswith(props["departement"])
        if props["code"] != "75056":
            assert (props["territoire_code"], props["territoire_nom"]) == expected_territory[props["code"]]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        geom = shape(feature["geometry"])
        assert geom.is_valid and not geom.is_empty
        assert geom.contains(Point(props["rep_point"]))
    paris = by_code(communes)["75056"]["properties"]
    assert (paris["territoire_code"], paris["territoire_nom"]) == ("75056", "Paris")
    assert len({f["properties"]["territoire_code"] for f in communes["features"]}) == 12
    cog_population = {
        c["code"]: c["population"] for c in raw("cog/communes-ile-de-france.json") if c["type"] == "commune-actuelle"
    }
    assert paris["population"] == cog_population["75056"]


def test_rfc7946_orientation_and_lonlat() -> None:
    _, communes, _ = built()
    for feature in communes["features"]:
        geom = shape(feature["geometry"])
        for part in shapely.get_parts(geom):
            assert part.exterior.is_ccw
        minx, miny, maxx, maxy = geom.bounds
        assert 2.0 < minx < maxx < 2.8 and 48.6 < miny < maxy < 49.1


def test_paris_is_one_feature_made_of_its_arrondissements() -> None:
    _, communes, arrondissements = built()
    paris = [f for f in communes["features"] if f["properties"]["code"].startswith("75")]
    assert [f["properties"]["code"] for f in paris] == ["75056"]
    assert sorted(f["properties"]["code"] for f in arrondissements["features"]) == [str(c) for c in range(75101, 75121)]
    assert all(f["properties"]["commune"] == "75056" for f in arrondissements["features"])
    paris_area = shape(paris[0]["geometry"]).area
    assert paris_area == pytest.approx(shapely.area(geometries(arrondissements)).sum(), rel=1e-9)
    source_area = sum(shape(f["geometry"]).area for f in raw("boundaries/arrondissements-paris.geojson")["features"])
    assert paris_area == pytest.approx(source_area, rel=1e-6)


def test_pierrefitte_is_merged_into_saint_denis() -> None:
    _, communes, _ = built()
    features = by_code(communes)
    assert "93059" not in features
    old_saint_denis, old_pierrefitte = raw_boundary("93066"), raw_boundary("93059")
    assert old_pierrefitte.contains(Point(PIERREFITTE_MAIRIE))  # the point is in old Pierrefitte
    saint_denis = shape(features["93066"]["geometry"])
    assert saint_denis.area > old_saint_denis.area
    assert saint_denis.area == pytest.approx(old_saint_denis.area + old_pierrefitte.area, rel=0.02)
    assert saint_denis.contains(Point(PIERREFITTE_MAIRIE))
    assert features["93066"]["properties"]["nom"] == "Saint-Denis"


def test_communes_form_a_clean_coverage() -> None:
    """No overlaps and identical shared edges: what keeps borders shared when simplified."""
    _, communes, _ = built()
    assert bool(shapely.coverage_is_valid(geometries(communes)))


def test_missing_member_raises_build_error() -> None:
    sources, _, _ = built()
    features = [
        f for f in sources.communes_geojson["features"] if f["properties"]["code"] not in ("93048", "93066", "93059")
    ]
    broken = dataclasses.replace(sources, communes_geojson={"type": "FeatureCollection", "features": features})
    with pytest.raises(BuildError, match=r"93048, 93066"):
        build_communes(broken)


def test_paris_without_arrondissements_file_uses_boundary_pieces() -> None:
    sources, communes, _ = built()
    no_arr = dataclasses.replace(sources, arrondissements_geojson={"type": "FeatureCollection", "features": []})
    rebuilt, arrondissements = build_communes(no_arr)
    assert arrondissements["features"] == []
    paris = shape(by_code(rebuilt)["75056"]["geometry"])
    # Same Paris polygons; only the small gaps along its border may now go to Paris itself.
    assert paris.area == pytest.approx(shape(by_code(communes)["75056"]["geometry"]).area, rel=5e-3)
    without_paris = dataclasses.replace(
        no_arr,
        communes_geojson={
            "type": "FeatureCollection",
            "features": [
                f for f in sources.communes_geojson["features"] if not f["properties"]["code"].startswith("75")
            ],
        },
    )
    with pytest.raises(BuildError, match="75056"):
        build_communes(without_paris)


def test_invalid_geometry_is_repaired() -> None:
    sources, _, _ = built()
    features = []
    for f in sources.communes_geojson["features"]:
        if f["properties"]["code"] == "94080":  # Vincennes drawn as a bow-tie (self-intersecting)
            x0, y0, x1, y1 = shape(f["geometry"]).bounds
            bowtie = [[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]
            f = {**f, "geometry": {"type": "Polygon", "coordinates": [bowtie]}}
        features.append(f)
    communes, _ = build_communes(
        dataclasses.replace(sources, communes_geojson={"type": "FeatureCollection", "features": features})
    )
    vincennes = shape(by_code(communes)["94080"]["geometry"])
    assert vincennes.is_valid and vincennes.geom_type in ("Polygon", "MultiPolygon") and vincennes.area > 0


def test_simplified_web_layer(tmp_path: Path) -> None:
    _, communes, _ = built()
    web = simplify_for_web(communes)
    size = write_geojson(tmp_path / "web.geojson", web)
    assert size == (tmp_path / "web.geojson").stat().st_size
    assert size < 400_000, f"web layer is {size} bytes"
    assert [f["properties"]["code"] for f in web["features"]] == [f["properties"]["code"] for f in communes["features"]]
    full, light = geometries(communes), geometries(web)
    assert shapely.get_num_coordinates(light).sum() < 0.75 * shapely.get_num_coordinates(full).sum()
    assert bool(shapely.coverage_is_valid(light))  # shared borders are still shared
    assert shapely.is_valid(light).all()
    rel_area = np.abs(shapely.area(light) - shapely.area(full)) / shapely.area(full)
    assert rel_area.max() < 0.05
    coords = shapely.get_coordinates(light)
    assert np.array_equal(coords, np.round(coords, 5))


def test_write_read_roundtrip(tmp_path: Path) -> None:
    _, _, arrondissements = built()
    write_geojson(tmp_path / "a" / "arr.geojson", arrondissements)
    assert read_geojson(tmp_path / "a" / "arr.geojson") == json.loads(json.dumps(arrondissements))


def test_build_data_writes_the_three_files(tmp_path: Path) -> None:
    summary = build_data(require_mirror(), tmp_path)
    assert (summary["communes"], summary["arrondissements"], summary["territoires"]) == (130, 20, 12)
    for name in ("communes.geojson", "arrondissements.geojson", "communes.web.geojson"):
        assert summary["bytes"][name] == (tmp_path / name).stat().st_size > 0
    assert len(read_geojson(tmp_path / "communes.web.geojson")["features"]) == 130
    epci = raw("cog/epci-metropole-du-grand-paris.json")[0]
    cog = {
        c["code"]: c.get("population")
        for c in raw("cog/communes-ile-de-france.json")
        if c["type"] == "commune-actuelle"
    }
    assert summary["population"] == sum(cog[m["code"]] for m in epci["membres"])
