"""Territory statistics against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carte.aggregation import CountTable, Places, ReportArrays, territory_stats

try:
    from aggregation_helpers import strict_json
except ImportError:  # pragma: no cover - when tests/unit becomes a package
    from tests.unit.aggregation_helpers import strict_json

THEMES = ("voirie", "proprete")
PLACES = Places(
    code=["93001", "93002", "92001"],
    nom=["Alpha", "Beta", "Gamma"],
    territoire_code=["200000001", "200000001", "200000002"],
    territoire_nom=["T1", "T1", "T2"],
    departement=["93", "93", "92"],
    population=[12_345, 67_890, 4_321],
)
# (commune, theme) -> count; n = 40, voirie 15, proprete 25; Alpha 10, Beta 10, Gamma 20
COUNTS = {(0, 0): 8, (0, 1): 2, (1, 0): 3, (1, 1): 7, (2, 0): 4, (2, 1): 16}


def _table() -> CountTable:
    keys = list(COUNTS)
    return CountTable([k[0] for k in keys], [k[1] for k in keys], list(COUNTS.values()), THEMES)


def _row(result, code, theme):
    return next(r for r in result["rows"] if r["code"] == code and r["theme"] == theme)


def _poisson_sf_by_hand(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu), from the series."""
    return 1.0 - sum(math.exp(-mu) * mu**i / math.factorial(i) for i in range(k))


def _bh_by_hand(p: list[float]) -> list[float]:
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        q[i] = running
    return q


def test_rates_per_10k_match_hand_computation():
    result = territory_stats(_table(), PLACES, "commune", exact=True)
    assert _row(result, "93001", "voirie")["rate_per_10k"] == pytest.approx(8 * 10_000 / 12_345, abs=1e-4)
    assert _row(result, "93002", "proprete")["rate_per_10k"] == pytest.approx(7 * 10_000 / 67_890, abs=1e-4)
    assert _row(result, "92001", "proprete")["rate_per_10k"] == pytest.approx(16 * 10_000 / 4_321, abs=1e-4)
    totals = {p["code"]: p for p in result["places"]}
    assert totals["93001"]["rate_per_10k"] == pytest.approx(10 * 10_000 / 12_345, abs=1e-4)
    assert totals["92001"]["count"] == 20


def test_share_lq_and_bh_match_hand_computation():
    result = territory_stats(_table(), PLACES, "commune", exact=True)
    n, n_theme = 40, {"voirie": 15, "proprete": 25}
    n_place = {"93001": 10, "93002": 10, "92001": 20}
    codes = ["93001", "93002", "92001"]
    cells = [(c, t) for c in codes for t in THEMES]
    count = {(codes[p], THEMES[t]): v for (p, t), v in COUNTS.items()}
    p_hand = [_poisson_sf_by_hand(count[c], n_place[c[0]] * n_theme[c[1]] / n) for c in cells]
    q_hand = _bh_by_hand(p_hand)
    for (code, theme), p, q in zip(cells, p_hand, q_hand):
        row = _row(result, code, theme)
        assert row["share"] == pytest.approx(count[(code, theme)] / n_place[code], abs=1e-6)
        lq = (count[(code, theme)] / n_place[code]) / (n_theme[theme] / n)
        assert row["lq"] == pytest.approx(lq, abs=1e-4)
        assert row["expected"] == pytest.approx(n_place[code] * n_theme[theme] / n, abs=1e-4)
        assert row["p_value"] == pytest.approx(p, rel=1e-6)
        assert row["q_value"] == pytest.approx(q, rel=1e-6)
        assert row["significant"] is (q < 0.05)
    # Alpha/voirie: LQ 2.13, expected 3.75, observed 8: p = 0.0224 by hand; 6 tests -> not significant.
    assert _row(result, "93001", "voirie")["lq"] == pytest.approx(2.1333, abs=1e-4)


def test_territory_level_sums_communes_and_counts_distinct_contributors():
    # contributor 1 reports in Alpha and Beta (same territory T1): counted once for T1.
    reports = ReportArrays(
        id=["a", "b", "c", "d", "e"],
        commune=["93001", "93002", "93002", "92001", "92001"],
        theme=["voirie", "voirie", "voirie", "proprete", "voirie"],
        contributor=[1, 1, 2, 3, 3],
        lat=np.zeros(5),
        lon=np.zeros(5),
        themes=THEMES,
    )
    communes = territory_stats(reports, PLACES, "commune", exact=True)
    territoires = territory_stats(reports, PLACES, "territoire", exact=True)
    metropole = territory_stats(reports, PLACES, "metropole", exact=True)
    assert _row(communes, "93002", "voirie")["contributors"] == 2
    t1 = _row(territoires, "200000001", "voirie")
    assert (t1["count"], t1["contributors"], t1["population"]) == (3, 2, 12_345 + 67_890)
    assert territoires["contributors"] == 3
    assert {t["theme"]: t["contributors"] for t in metropole["themes"]} == {"voirie": 3, "proprete": 1}
    assert _row(metropole, "200054781", "voirie")["p_value"] is None  # no test against itself


def test_rollup_and_raw_rows_give_the_same_answer():
    rng = np.random.default_rng(7)
    commune = rng.integers(0, 3, 500)
    theme = rng.integers(0, 2, 500)
    raw = CountTable(commune, theme, np.ones(500, dtype=np.int64), THEMES)
    # the same data as a (commune, theme, day) rollup: split every pair over two "days"
    keys, counts = np.unique(commune * 2 + theme, return_counts=True)
    half = counts // 2
    rollup = CountTable(np.r_[keys // 2, keys // 2], np.r_[keys % 2, keys % 2], np.r_[half, counts - half], THEMES)
    a = territory_stats(raw, PLACES, "departement", exact=True)
    b = territory_stats(rollup, PLACES, "departement", exact=True)
    assert a == b
    assert sum(r["count"] for r in a["rows"]) == 500


def test_empty_selection_and_json():
    empty = CountTable([], [], [], THEMES)
    for level in ("commune", "territoire", "departement", "metropole"):
        result = strict_json(territory_stats(empty, PLACES, level))
        assert result["rows"] == [] and result["total"] == 0
    assert strict_json(territory_stats(_table(), PLACES, "territoire")) is not None
