"""Shared helpers for the geo unit tests: where the data mirror is, and a once-per-session build.

The mirror is read at test time (never copied into the repository): CARTE_SOURCES, or
../shared/data next to the repository root.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = REPO_ROOT / "tests" / "data"


def mirror_dir() -> Path:
    return Path(os.environ.get("CARTE_SOURCES") or REPO_ROOT.parent / "shared" / "data")


def require_mirror() -> Path:
    folder = mirror_dir()
    if not folder.is_dir():
        pytest.skip(f"data mirror not found at {folder} (set CARTE_SOURCES); it always exists in CI")
    return folder


def raw(relative: str) -> Any:
    """A mirror file parsed as is, to compare our output with the source data."""
    return json.loads((require_mirror() / relative).read_text(encoding="utf-8"))


def raw_boundary(code: str) -> shapely.Geometry:
    """The commune polygon with this code in the mirror's GEOFLA file, untouched."""
    fc = raw("boundaries/communes-ile-de-france-geofla.geojson")
    return next(shape(f["geometry"]) for f in fc["features"] if f["properties"]["code"] == code)


@functools.lru_cache(maxsize=1)
def _built(folder: str):
    from carte.geo import build_communes, load_sources

    sources = load_sources(folder)
    communes, arrondissements = build_communes(sources)
    return sources, communes, arrondissements


def built():
    """(sources, communes, arrondissements) from the real mirror, built once per session."""
    return _built(str(require_mirror()))


def geometries(fc: dict) -> np.ndarray:
    return np.array([shape(f["geometry"]) for f in fc["features"]], dtype=object)


def brute_force_codes(fc: dict, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Reference answer, independent of the grid: STRtree 'intersects' query (closed polygons),
    first feature in order wins, None outside."""
    geoms = geometries(fc)
    codes = [f["properties"]["code"] for f in fc["features"]]
    pi, gi = shapely.STRtree(geoms).query(shapely.points(lons, lats), predicate="intersects")
    first = np.full(len(lons), len(codes), dtype=np.int64)
    np.minimum.at(first, pi, gi)
    return np.array(codes + [None], dtype=object)[first]


def shapes_of(case: str) -> tuple[list, list[str]]:
    """(geometries, codes) of one case of tests/data/locate_shapes.geojson, in the file's order."""
    features = json.loads((TEST_DATA / "locate_shapes.geojson").read_text(encoding="utf-8"))["features"]
    chosen = [f for f in features if f["properties"]["case"] == case]
    assert chosen, f"no shapes for {case!r}"
    return [shape(f["geometry"]) for f in chosen], [f["properties"]["code"] for f in chosen]
