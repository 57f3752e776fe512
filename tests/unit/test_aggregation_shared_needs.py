"""Shared-needs index on planted structure."""

from __future__ import annotations

import numpy as np

from carte.aggregation import CountTable, shared_needs

try:
    from aggregation_helpers import THEMES, strict_json, twelve_territories
except ImportError:  # pragma: no cover
    from tests.unit.aggregation_helpers import THEMES, strict_json, twelve_territories


def _planted():
    """36 communes in 12 territories. eclairage: 10 reports in every territory (even);
    bruit: 200 reports in one commune; voirie and proprete: random, in 4 territories only."""
    places = twelve_territories()
    rng = np.random.default_rng(3)
    commune, theme = [], []
    for t in range(12):  # eclairage, evenly
        commune += list(rng.integers(3 * t, 3 * t + 3, 10))
        theme += [0] * 10
    commune += [7] * 200  # bruit, one commune
    theme += [1] * 200
    for th in (2, 3):
        commune += list(rng.integers(0, 12, 60))  # territories 0..3 only
        theme += [th] * 60
    commune, theme = np.array(commune), np.array(theme)
    contributor = np.arange(len(commune))  # one report each
    return places, CountTable(commune, theme, np.ones(len(commune), dtype=np.int64), THEMES, contributor)


def test_even_theme_ranks_first_and_is_metropolitan():
    places, table = _planted()
    result = strict_json(shared_needs(table, places, exact=True))
    ranking = [r["theme"] for r in result["themes"]]
    rows = {r["theme"]: r for r in result["themes"]}
    assert ranking[0] == "eclairage"
    even = rows["eclairage"]
    assert even["metropolitan"] is True
    assert even["territoires_present"] == 12 and even["departements_present"] == 4
    assert even["entropy"] == 1.0  # exactly 10 reports in each of the 12 territories
    assert even["top_territory_share"] == round(10 / 120, 4)
    assert even["contributors"] == 120
    # 120 reports for 360,000 inhabitants: 3.3 per 10,000
    assert even["rate_per_10k"] == round(120 / 360_000 * 10_000, 4)
    assert even["sentence"].endswith("de 12 territoires sur 12 ; 3,3 signalements pour 10\u202f000 habitants.")
    assert even["sentence"].startswith(f"Signalé dans {even['communes_present']} communes")


def test_concentrated_theme_is_not_metropolitan():
    places, table = _planted()
    rows = {r["theme"]: r for r in shared_needs(table, places, exact=True)["themes"]}
    bruit = rows["bruit"]
    assert bruit["metropolitan"] is False
    assert bruit["communes_present"] == 1 and bruit["territoires_present"] == 1
    assert bruit["entropy"] == 0.0 and bruit["score"] == 0.0
    assert bruit["communes_significant"] == 1  # 200 of 440 reports in one commune
    assert bruit["sentence"].startswith("Signalé dans 1 commune de 1 territoire sur 12")
    # voirie: 4 territories of 12 meets coverage 1/3, but spread evenly over only 4 -> ranked below eclairage
    assert rows["voirie"]["territoires_present"] == 4
    assert rows["voirie"]["score"] < rows["eclairage"]["score"]


def test_metropolitan_needs_minimum_count():
    places, table = _planted()
    keep = table.theme == 0
    few = CountTable(table.commune[keep][::6], table.theme[keep][::6], table.count[keep][::6], THEMES)
    rows = {r["theme"]: r for r in shared_needs(few, places, exact=True)["themes"]}
    assert rows["eclairage"]["count"] == 20
    assert rows["eclairage"]["metropolitan"] is False  # below the 30-report minimum


def test_empty_selection():
    places = twelve_territories()
    result = strict_json(shared_needs(CountTable([], [], [], THEMES), places))
    assert [r["count"] for r in result["themes"]] == [0, 0, 0, 0]
    assert not any(r["metropolitan"] for r in result["themes"])


def test_badge_counts_contributors_and_says_why():
    places, table = _planted()
    # eclairage again, but its 120 reports come from 4 people: the badge needs 10 contributors
    few_people = np.where(table.theme == 0, table.commune % 4, 1000 + np.arange(len(table.commune)))
    loud = CountTable(table.commune, table.theme, table.count, THEMES, few_people)
    rows = {r["theme"]: r for r in shared_needs(loud, places, exact=True)["themes"]}
    assert rows["eclairage"]["metropolitan"] is False
    assert rows["eclairage"]["why"]["contributors"] == 4
    assert rows["eclairage"]["why"]["text"] == "Pas de badge : 4 contributeurs, il en faut au moins 10."
    rows = {r["theme"]: r for r in shared_needs(table, places, exact=True)["themes"]}
    even = rows["eclairage"]["why"]
    assert even["coverage"] == 1.0 and even["evenness"] == 1.0 and even["contributors"] == 120
    assert (
        even["text"] == "Besoin métropolitain : 120 contributeurs dans 12 territoires sur 12, "
        "répartis à 100 % comme la population."
    )


def test_evenness_is_the_likeness_to_the_population_by_hand():
    places, table = _planted()
    rows = {r["theme"]: r for r in shared_needs(table, places, exact=True)["themes"]}
    # voirie: 60 people in territories 0..3 (12 equal territories); by hand, from its counts
    counts = np.bincount(table.commune[table.theme == 2] // 3, minlength=12) / 60
    assert rows["voirie"]["why"]["evenness"] == round(1 - 0.5 * np.abs(counts - 1 / 12).sum(), 4)
    assert rows["voirie"]["why"]["coverage"] == round(4 / 12, 4)
    # coverage 1/3 is enough, but two thirds of the people would have to move: no badge
    assert rows["voirie"]["metropolitan"] is False
    assert "comme la population" in rows["voirie"]["why"]["text"]
    assert rows["bruit"]["why"]["text"] == (
        "Pas de badge : des contributeurs dans 1 territoire sur 12 seulement, il en faut au moins 4."
    )
