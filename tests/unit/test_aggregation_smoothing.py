"""Empirical Bayes rates, excess risk and legend breaks against hand computations and esda."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carte.aggregation import CountTable, Places, territory_stats
from carte.aggregation.breaks import class_breaks
from carte.aggregation.stats import empirical_bayes_rates

COUNTS = [0, 3, 12, 1, 40, 7, 0, 25]
POPULATION = [1200, 5400, 20000, 800, 61000, 9000, 3000, 15000]
# esda 2.9.0, `esda.smoothing.Empirical_Bayes(np.array(COUNTS), np.array(POPULATION)).r * 10000`,
# run in a separate virtualenv (esda pulls geopandas and pandas, too heavy for the project).
ESDA_PER_10K = [
    6.690416631000074,
    6.8262993315085945,
    6.48821491824043,
    8.041173871065391,
    6.689167580602829,
    7.703511190341156,
    5.650858495242406,
    13.375838119046705,
]


def _marshall_by_hand(y: list[int], n: list[int]) -> list[float]:
    """Marshall (1991) global EB, written out with plain Python sums."""
    total_y, total_n = sum(y), sum(n)
    b = total_y / total_n
    s2 = sum(ni * (yi / ni - b) ** 2 for yi, ni in zip(y, n)) / total_n
    a = max(s2 - b / (total_n / len(n)), 0.0)
    out = []
    for yi, ni in zip(y, n):
        c = a / (a + b / ni)
        out.append(b + c * (yi / ni - b))
    return out


def test_eb_rates_match_hand_computation_and_esda():
    ours = empirical_bayes_rates(np.array(COUNTS), np.array(POPULATION)) * 10_000
    hand = [r * 10_000 for r in _marshall_by_hand(COUNTS, POPULATION)]
    assert ours.tolist() == pytest.approx(hand, rel=1e-12)
    assert ours.tolist() == pytest.approx(ESDA_PER_10K, rel=1e-9)


def test_eb_pulls_small_places_most():
    ours = empirical_bayes_rates(np.array(COUNTS), np.array(POPULATION))
    raw = np.array(COUNTS) / np.array(POPULATION)
    pooled = sum(COUNTS) / sum(POPULATION)
    moved = np.abs(raw - ours) / np.maximum(np.abs(raw - pooled), 1e-12)
    # the share of the gap to the pooled rate that is removed decreases with population
    order = np.argsort(POPULATION)
    assert np.all(np.diff(moved[order]) <= 1e-12)
    # the commune of 800 inhabitants with 1 report (12.5 per 10,000) is no longer an extreme
    assert ours[3] * 10_000 < 9


def test_eb_with_no_extra_variance_gives_the_pooled_rate():
    # counts exactly proportional to population: s^2 < b / mean(n), a = 0, every place gets b
    pop = np.array([1000, 2000, 4000])
    ours = empirical_bayes_rates(np.array([1, 2, 4]), pop)
    assert ours.tolist() == pytest.approx([7 / 7000] * 3)


THEMES = ("voirie", "proprete")
PLACES = Places(
    code=["93001", "93002", "92001", "92002"],
    nom=["Alpha", "Beta", "Gamma", "Delta"],
    territoire_code=["200000001", "200000001", "200000002", "200000002"],
    territoire_nom=["T1", "T1", "T2", "T2"],
    departement=["93", "93", "92", "92"],
    population=[10_000, 30_000, 5_000, 55_000],
)
CELLS = {(0, 0): 30, (0, 1): 5, (1, 0): 10, (1, 1): 20, (2, 0): 2, (2, 1): 6, (3, 0): 18, (3, 1): 49}


def _table() -> CountTable:
    keys = list(CELLS)
    return CountTable([k[0] for k in keys], [k[1] for k in keys], list(CELLS.values()), THEMES, contributor=None)


def _poisson_sf(k: int, mu: float) -> float:
    return 1.0 - sum(math.exp(-mu) * mu**i / math.factorial(i) for i in range(k))


def _bh(p: list[float]) -> list[float]:
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    q, running = [0.0] * m, 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        q[i] = running
    return q


def test_excess_risk_and_bh_match_hand_computation():
    result = territory_stats(_table(), PLACES, "commune", exact=True)
    pop = [10_000, 30_000, 5_000, 55_000]
    total_pop = sum(pop)
    n_theme = [sum(v for (c, t), v in CELLS.items() if t == k) for k in range(2)]
    keys = sorted(CELLS)
    expected = {(c, t): n_theme[t] * pop[c] / total_pop for c, t in keys}
    p = [_poisson_sf(CELLS[k], expected[k]) for k in keys]
    q = dict(zip(keys, _bh(p)))
    rows = {(PLACES.code.tolist().index(r["code"]), THEMES.index(r["theme"])): r for r in result["rows"]}
    for k in keys:
        row = rows[k]
        assert row["excess_expected"] == pytest.approx(expected[k], abs=1e-4)
        assert row["excess_risk"] == pytest.approx(CELLS[k] / expected[k], abs=1e-4)
        assert row["excess_p"] == pytest.approx(p[keys.index(k)], abs=1e-10)
        assert row["excess_q"] == pytest.approx(q[k], abs=1e-10)
        assert row["excess_significant"] == (q[k] < 0.05 and CELLS[k] > expected[k])
    # Alpha (10 % of the population, 30 of 70 voirie reports) is the clear population excess
    assert rows[(0, 0)]["excess_significant"] is True
    # Delta (55 % of the inhabitants, 18 of 60 voirie reports) reports voirie less than expected
    assert rows[(3, 0)]["excess_risk"] == pytest.approx(18 / (60 * 0.55), abs=1e-4)
    assert rows[(3, 0)]["excess_significant"] is False


def test_rows_and_places_carry_eb_rates_computed_over_all_places_zeros_included():
    cells = dict(CELLS)
    cells.pop((2, 0))  # Gamma has no voirie report: the zero still enters the EB of voirie
    keys = list(cells)
    table = CountTable([k[0] for k in keys], [k[1] for k in keys], list(cells.values()), THEMES)
    result = territory_stats(table, PLACES, "commune", exact=True)
    pop = [10_000, 30_000, 5_000, 55_000]
    voirie = [cells.get((c, 0), 0) for c in range(4)]
    hand = [r * 10_000 for r in _marshall_by_hand(voirie, pop)]
    for r in result["rows"]:
        if r["theme"] == "voirie":
            assert r["rate_eb_per_10k"] == pytest.approx(hand[PLACES.code.tolist().index(r["code"])], abs=1e-4)
    totals = [sum(v for (c, _t), v in cells.items() if c == k) for k in range(4)]
    hand_places = [r * 10_000 for r in _marshall_by_hand(totals, pop)]
    assert [p["rate_eb_per_10k"] for p in result["places"]] == pytest.approx(hand_places, abs=1e-4)
    assert [p["rate_per_10k"] for p in result["places"]] == pytest.approx(
        [t / n * 10_000 for t, n in zip(totals, pop)], abs=1e-4
    )


def test_contributors_as_the_count():
    # Alpha's 30 voirie reports come from 3 people; everything else is one report per person
    communes, themes, contributors = [], [], []
    for (c, t), v in CELLS.items():
        for i in range(v):
            communes.append(c)
            themes.append(t)
            contributors.append(f"alpha-{i % 3}" if (c, t) == (0, 0) else f"{c}-{t}-{i}")
    table = CountTable(communes, themes, np.ones(len(communes)), THEMES, contributor=np.array(contributors))
    by_reports = territory_stats(table, PLACES, "commune", exact=True)
    by_people = territory_stats(table, PLACES, "commune", exact=True, count_unit="contributors")
    assert by_people["count_unit"] == "contributors"
    row = next(r for r in by_people["rows"] if r["code"] == "93001" and r["theme"] == "voirie")
    assert row["count"] == 3
    n_voirie = 3 + 10 + 2 + 18
    assert row["excess_expected"] == pytest.approx(n_voirie * 10_000 / 100_000, abs=1e-4)
    assert row["excess_significant"] is False
    assert (
        next(r for r in by_reports["rows"] if r["code"] == "93001" and r["theme"] == "voirie")["excess_significant"]
        is True
    )
    alpha = next(p for p in by_people["places"] if p["code"] == "93001")
    assert alpha["count"] == 3 + 5


def test_breaks_never_collapse_and_cover_every_value():
    values = [1.61, 1.62, 1.63, 1.64, 1.6]
    out = class_breaks(values)
    assert out["edges"] == sorted(set(out["edges"]))
    assert len(out["edges"]) >= 2
    assert out["edges"][0] <= min(values) and out["edges"][-1] >= max(values)
    assert class_breaks([2.0, 2.0, 2.0])["edges"] == [2.0]
    assert class_breaks([None, float("nan")])["edges"] == []


def test_fisher_jenks_follows_the_gaps():
    values = [1.0, 1.1, 1.2, 5.0, 5.1, 5.2, 9.0, 9.1, 20.0, 20.5, 21.0, 40.0]
    out = class_breaks(values, k=5)
    assert out["method"] == "fisher_jenks"
    edges = out["edges"]
    assert len(edges) == 6
    # no class boundary falls inside a cluster: each cluster sits in one class
    for cluster in ([1.0, 1.1, 1.2], [5.0, 5.1, 5.2], [9.0, 9.1], [20.0, 20.5, 21.0]):
        classes = {int(np.searchsorted(edges[1:-1], v, side="left")) for v in cluster}
        assert len(classes) == 1, (cluster, edges)


def test_territories_answer_has_breaks_on_the_places_values():
    result = territory_stats(_table(), PLACES, "commune", exact=True)
    b = result["breaks"]
    assert b["unit"] == "signalements pour 10 000 habitants"
    eb = [p["rate_eb_per_10k"] for p in result["places"]]
    assert b["rate_eb_per_10k"][0] <= min(eb) and b["rate_eb_per_10k"][-1] >= max(eb)
    assert len(b["rate_eb_per_10k"]) <= 6 and b["rate_eb_per_10k"] == sorted(set(b["rate_eb_per_10k"]))
