"""Small-number protection: no public output shows a count below 3."""

from __future__ import annotations

import h3
import numpy as np

from carte.aggregation import CountTable, heatmap, hotspots, issue_groups, protect, shared_needs, territory_stats

try:
    from aggregation_helpers import (
        THEMES,
        border_places,
        reports_from_points,
        strict_json,
        twelve_territories,
        walk_numbers,
    )
except ImportError:  # pragma: no cover
    from tests.unit.aggregation_helpers import (
        THEMES,
        border_places,
        reports_from_points,
        strict_json,
        twelve_territories,
        walk_numbers,
    )

COUNT_KEYS = ("count", "contributors", "size", "place_count", "total", "max_count", "reports")


def _small_counts(result) -> list[tuple[str, float]]:
    return [(path, v) for path, v in walk_numbers(result) if path.rsplit(".", 1)[-1] in COUNT_KEYS and 0 < v < 3]


def _sparse_table():
    rng = np.random.default_rng(11)
    places = twelve_territories()
    n = 150
    commune = rng.integers(0, len(places), n)
    theme = rng.choice(4, n, p=[0.6, 0.3, 0.08, 0.02])
    return places, CountTable(commune, theme, np.ones(n, dtype=np.int64), THEMES, rng.integers(0, 60, n))


def test_territory_stats_and_shared_needs_public_outputs_hide_small_counts():
    places, table = _sparse_table()
    for level in ("commune", "territoire", "departement", "metropole"):
        exact = strict_json(territory_stats(table, places, level, exact=True))
        public = strict_json(territory_stats(table, places, level))
        if level == "commune":
            assert _small_counts(exact)  # the data do contain small counts...
        assert _small_counts(public) == []  # ...which the public view hides
        for row in public["rows"]:
            if row["suppressed"] and row["count"] is None:
                assert row["rate_per_10k"] is None and row["share"] is None and row["lq"] is None
                assert row["p_value"] is None and row["count_label"] in ("< 3", "masqué")
    exact = strict_json(shared_needs(table, places, exact=True))
    public = strict_json(shared_needs(table, places))
    assert _small_counts(exact) and _small_counts(public) == []
    hidden = [r for r in public["themes"] if r["suppressed"] and r["count"] is None]
    assert hidden and all(r["sentence"] == "Moins de 3 signalements." for r in hidden)


def test_single_hidden_theme_cannot_be_recovered_by_subtraction():
    places, table = _sparse_table()
    public = territory_stats(table, places, "commune")
    by_place: dict[str, list[dict]] = {}
    for row in public["rows"]:
        by_place.setdefault(row["code"], []).append(row)
    checked = 0
    for rows in by_place.values():
        if rows[0]["place_count"] is not None:  # a public place total invites subtraction
            checked += 1
            assert sum(r["count"] is None for r in rows) != 1
    assert checked > 10


def test_hotspot_heatmap_and_issue_group_public_outputs():
    places, codes, polygons = border_places()
    rng = np.random.default_rng(5)
    lat = np.r_[rng.uniform(48.87, 48.93, 300), 48.9 + rng.normal(0, 0.001, 30)]
    lon = np.r_[rng.uniform(2.30, 2.40, 300), 2.34 + rng.normal(0, 0.0015, 30)]
    theme = np.r_[rng.integers(0, 4, 300), np.zeros(30, dtype=int)]
    cells = np.array([h3.latlng_to_cell(a, b, 9) for a, b in zip(lat, lon)], dtype=object)
    for result in (
        hotspots(cells[theme == 0], None, cells),
        heatmap(cells, zoom=13),
        heatmap(cells[theme == 3], zoom=12),
    ):
        assert _small_counts(strict_json(result)) == []
    assert _small_counts(heatmap(cells, zoom=13, exact=True))  # the exact layer has them
    titles = ["Nid de poule avenue de Saint-Ouen"] * 2 + ["Lampadaire en panne"] * 3
    near = reports_from_points(
        48.9 + np.arange(5) * 0.0003, np.full(5, 2.34), [0, 0, 1, 1, 1], ["75056"] * 5, titles=titles
    )
    public = strict_json(issue_groups(near, places))
    assert [g["size"] for g in public["groups"]] == [3] and _small_counts(public) == []
    assert [g["size"] for g in issue_groups(near, places, exact=True)["groups"]] == [3, 2]


def test_protect_is_idempotent_and_does_not_modify_its_input():
    places, table = _sparse_table()
    exact = territory_stats(table, places, exact=True)
    before = strict_json(exact)
    public = protect(exact)
    assert strict_json(exact) == before
    assert protect(public) is public
