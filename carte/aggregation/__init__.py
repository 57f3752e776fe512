"""Spatial aggregation for Carte: pure numpy/scipy/scikit-learn/h3/shapely, no Flask, no SQLAlchemy.

Storage feeds plain arrays; every function returns JSON-ready dicts (no numpy scalars) that a
route can return as they are. An empty selection gives an empty result, never an exception.
Public output is the default: counts below ``min_count`` (3) are hidden (see ``privacy``);
facilitator pages pass ``exact=True``.

Inputs (``inputs.py``)
----------------------
``Places(code, nom, territoire_code, territoire_nom, departement, population)``
    The commune reference, one row per commune (130 in production). Territories are EPT SIRENs,
    or "75056" for Paris. Levels: "commune", "territoire", "departement", "metropole".
``CountTable(commune, theme, count, themes, contributor=None, contributors=None, place_contributors=None)``
    Report counts by (commune row index or INSEE code, theme index or slug). Raw reports are rows
    with count 1 (``CountTable.from_reports``); rollups may repeat a pair (e.g. per day) and are
    summed. Distinct contributors come from ``contributor`` (one id per row: exact at every level)
    or from ``contributors[level]`` (places x themes) / ``place_contributors[level]`` (places,)
    precomputed by storage; otherwise they are None.
``ReportArrays(id, commune, theme, contributor, lat, lon, themes, created_at=None, h3=None,
title=None, description=None)``
    One row per report, for issue groups and small selections (accepted wherever a CountTable is).

Functions
---------
``territory_stats(data, places, level="commune", *, alpha=0.05, fdr_family="table", include_zero_rows=False, exact=False, min_count=3, count_unit="reports")``
``similar_places(data, places, code, level="commune", *, labels=None, ...)``, ``workshop_similar_places(room, data, places, level)``
``passerelles(data, places, level="commune", *, labels=None, centroids=None, sentences=None, max_pairs=50, ...)``
``mark_robust(features)``: hotspot zones of several H3 resolutions get ``robust``
``shared_needs(data, places, *, alpha=0.05, min_reports=30, min_contributors=10, min_territory_coverage=1/3, max_top_share=0.5, exact=False, min_count=3)``
``hotspots(cells, counts=None, study=None, *, theme=None, resolution=None, ring=0, alpha=0.05, cell_places=None, places=None, exact=False, min_count=3)``
``StudyArea.from_cells(cells, ring=0, resolution=None)`` and ``cell_places_from_polygons(codes, polygons)``
``issue_groups(reports, places=None, *, radius_m=150, min_similarity=0.35, min_size=2, exact=False, min_count=3)``
``heatmap(cells, counts=None, *, zoom=None, resolution=None, theme=None, exact=False, min_count=3)`` and ``resolution_for_zoom(zoom)``
``protect(result, min_count=3)`` (alias ``suppress_small``): the public copy of an exact result.

Outputs (every result carries ``"kind"`` and ``"exact"``; public ones also ``"min_count"``)
-----------------------------------------------------------------------------------------
territory_stats -> {kind, level, count_unit, total, contributors, population, alpha, fdr_family,
    themes: [{theme, count, contributors, rate_per_10k, share}],
    places: [{code, nom, population, count, contributors, rate_per_10k, rate_eb_per_10k}],
    rows: [{code, nom, theme, count, contributors, population, rate_per_10k, rate_eb_per_10k, place_count,
            share, lq, expected, p_value, q_value, significant, excess_risk, excess_expected, excess_p,
            excess_q, excess_significant}],                       (rows with count 0 omitted)
    breaks: {rate_eb_per_10k: [edges], rate_per_10k: [edges], method, digits, unit}}
similar_places -> {code, nom, level, territoire, method, count_unit, places: [{code, nom, territoire: {code, nom},
    similarity, shared_themes: [{theme, label, excess_risk, other_excess_risk, both_significant, suppressed}],
    other_territory}]}                                        (public: withheld_places)
passerelles -> {kind, level, method, pairs: [{a, b, similarity, shared_themes: [{theme, label}], sentence, line}]}
shared_needs -> {kind, total, territoires, thresholds: {...}, themes: [{rank, theme, count,
    contributors, rate_per_10k, communes_present, territoires_present, departements_present,
    population_present, communes_significant, territoires_significant, departements_significant,
    population_significant, entropy, top_territory, top_territory_nom, top_territory_share, score,
    metropolitan, why: {coverage, evenness, contributors, text}, sentence}]}   (sorted by score)
hotspots -> GeoJSON FeatureCollection + {kind, theme, resolution, alpha, study_cells, reports,
    reports_outside_study}; feature = {type, id, geometry (Polygon|MultiPolygon, lon/lat),
    properties: {zone, count, n_cells, cells, max_z, min_q, communes, territoires, cross_border}}
issue_groups -> {kind, radius_m, min_similarity, reports, groups: [{theme, size, ids,
    centroid: [lon, lat], extent_m, communes: [{code, nom}], cross_border, title, representative_id,
    mean_similarity}]}                     (cross-commune first, then by size; public: withheld_groups)
heatmap -> {kind, theme, resolution, zoom, max_count, points: [{cell, lat, lon, count, intensity,
    resolution}]}                                             (public: dropped_cells)
Public rows add ``suppressed`` (bool) and, when hiding, ``suppressed_fields`` and ``count_label``
("< 3", or "masqué" for secondary suppression); hidden values are None.

Methods, thresholds and limits: docs/aggregation.md.
"""

import sys
from importlib import import_module
from types import ModuleType

from .inputs import LEVELS, CountTable, Places, ReportArrays

# The other functions are loaded on first use: their modules import scipy and scikit-learn (about
# a second and 100 MB), which the app, its command line and most requests never need.
_LAZY = {
    "heatmap": "heatmap",
    "resolution_for_zoom": "heatmap",
    "StudyArea": "hotspots",
    "cell_places_from_polygons": "hotspots",
    "getis_ord_gi_star": "hotspots",
    "hotspots": "hotspots",
    "mark_robust": "hotspots",
    "issue_groups": "issue_groups",
    "protect": "privacy",
    "suppress_small": "privacy",
    "shared_needs": "shared_needs",
    "level_centroids": "similarity",
    "passerelles": "similarity",
    "similar_places": "similarity",
    "workshop_similar_places": "similarity",
    "level_stats": "territories",
    "territory_stats": "territories",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    setattr(sys.modules[__name__], name, value)
    return value


class _Package(ModuleType):
    """Importing a submodule that shares a function's name (hotspots, heatmap...) must not hide the function."""

    def __setattr__(self, name, value):
        if isinstance(value, ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "LEVELS",
    "CountTable",
    "Places",
    "ReportArrays",
    "StudyArea",
    "cell_places_from_polygons",
    "getis_ord_gi_star",
    "heatmap",
    "level_centroids",
    "mark_robust",
    "passerelles",
    "similar_places",
    "workshop_similar_places",
    "hotspots",
    "issue_groups",
    "level_stats",
    "protect",
    "resolution_for_zoom",
    "shared_needs",
    "suppress_small",
    "territory_stats",
]
