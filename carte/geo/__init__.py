"""Commune data for Carte, built from official sources, and fast point lookups.

Pure Python (shapely, numpy, h3): no Flask, no SQLAlchemy, so the web layer, the CLI,
the benchmarks and the tests all use the same code.
"""

from carte.geo.communes import BuildError, build_communes, build_data, read_geojson, simplify_for_web, write_geojson
from carte.geo.h3cells import h3_cells, h3_cells_many
from carte.geo.locate import PlaceLocator
from carte.geo.sources import SourceError, Sources, load_sources, resolve_mirror

__all__ = [
    "BuildError",
    "PlaceLocator",
    "SourceError",
    "Sources",
    "build_communes",
    "build_data",
    "h3_cells",
    "h3_cells_many",
    "load_sources",
    "read_geojson",
    "resolve_mirror",
    "simplify_for_web",
    "write_geojson",
]
