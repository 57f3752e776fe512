"""Synthetic places and reports for the aggregation tests (fixed seeds, planted structure)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from shapely.geometry import Point, shape

from carte.aggregation import Places, ReportArrays

THEMES = ("eclairage", "bruit", "voirie", "proprete")
BORDER_PLACES = Path(__file__).resolve().parents[1] / "data" / "border_places.geojson"


def twelve_territories(communes_per_territory: int = 3, population: int = 10_000) -> Places:
    """12 territories (Paris + 11 fake EPTs) of equal communes, spread over four départements."""
    codes, noms, tcodes, tnoms, deps = [], [], [], [], []
    for t in range(12):
        tcode = "75056" if t == 0 else f"2000000{t:02d}"
        dep = ["75", "92", "93", "94"][0 if t == 0 else 1 + (t - 1) % 3]
        for c in range(communes_per_territory):
            codes.append(f"{dep}{t:01x}{c:02d}")
            noms.append(f"Commune {t}-{c}")
            tcodes.append(tcode)
            tnoms.append("Paris" if t == 0 else f"Territoire {t}")
            deps.append(dep)
    n = len(codes)
    return Places(codes, noms, tcodes, tnoms, deps, np.full(n, population))


def border_places() -> tuple[Places, list[str], list]:
    """Two adjacent rectangles along lat 48.900: Saint-Ouen-sur-Seine (north) and Paris (south),
    from tests/data/border_places.geojson."""
    features = json.loads(BORDER_PLACES.read_text(encoding="utf-8"))["features"]
    props = [f["properties"] for f in features]
    places = Places(
        **{
            name: [p[name] for p in props]
            for name in ("code", "nom", "territoire_code", "territoire_nom", "departement", "population")
        }
    )
    return places, [p["code"] for p in props], [shape(f["geometry"]) for f in features]


def commune_of_points(lat: np.ndarray, lon: np.ndarray, codes: list[str], polygons: list) -> np.ndarray:
    out = np.empty(len(lat), dtype=object)
    for k, (la, lo) in enumerate(zip(lat, lon)):
        pt = Point(lo, la)
        out[k] = next((c for c, poly in zip(codes, polygons) if poly.covers(pt)), codes[-1])
    return out


def reports_from_points(lat, lon, theme, communes, titles=None, contributors=None, themes=THEMES) -> ReportArrays:
    n = len(lat)
    return ReportArrays(
        id=[f"r{k}" for k in range(n)],
        commune=communes,
        theme=theme,
        contributor=np.arange(n) if contributors is None else contributors,
        lat=lat,
        lon=lon,
        themes=themes,
        title=titles,
    )


def _assert_builtin(value, path="$"):
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) is str, f"{path}: key {k!r}"
            _assert_builtin(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _assert_builtin(v, f"{path}[{i}]")
    else:
        assert type(value) in (str, int, float, bool, type(None)), f"{path}: {type(value).__name__}"


def strict_json(result) -> dict:
    """Round-trip through strict JSON after checking every leaf is a builtin (numpy float64 would
    pass json.dumps silently)."""
    _assert_builtin(result)
    return json.loads(json.dumps(result, allow_nan=False))


def walk_numbers(value, path=""):
    """Yield (path, value) for every int/float leaf of a JSON-like structure."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk_numbers(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_numbers(v, f"{path}[{i}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, value
