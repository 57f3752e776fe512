"""Territory statistics: counts, rates, shares, location quotients and over-representation tests.

Two questions, two tests, on every (place, theme):
* the mix of themes (``lq``, ``p_value``, ``q_value``, ``significant``): does this theme take a
  larger share of the place's reports than of the Métropole's? expected = n_p * n_t / n;
* the population (``excess_risk``, ``excess_p``, ``excess_q``, ``excess_significant``): does the
  place report this theme more than its population predicts? expected = n_t * pop_p / pop.
Raw rates of small populations swing wildly, so every rate also comes smoothed by global
empirical Bayes (``rate_eb_per_10k``, Marshall 1991), and legends get Fisher–Jenks breaks.

``count_unit="contributors"`` counts distinct contributors instead of reports (one person who
files ten reports of the same pavement then counts once, closer to the Poisson assumption).

Everything is computed on a (places x themes) count matrix, so the cost does not depend on the
number of reports once storage has rolled them up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .breaks import UNIT, class_breaks
from .inputs import COUNT_UNITS, LEVELS, CountTable, Places, ReportArrays
from .privacy import finish
from .serialise import fnum
from .stats import benjamini_hochberg, empirical_bayes_rates, poisson_upper_tail

FdrFamily = Literal["table", "theme"]
CountUnit = Literal["reports", "contributors"]


@dataclass(frozen=True)
class LevelStats:
    """The arrays behind :func:`territory_stats`, reused by the shared-needs index."""

    level: str
    codes: np.ndarray  # (P,)
    noms: np.ndarray  # (P,)
    population: np.ndarray  # (P,)
    themes: tuple[str, ...]
    counts: np.ndarray  # (P, T) int64
    contributors: np.ndarray | None  # (P, T) distinct contributors, if known
    place_contributors: np.ndarray | None  # (P,)
    theme_contributors: np.ndarray | None  # (T,) distinct contributors over the whole selection
    total_contributors: int | None
    expected: np.ndarray  # (P, T) n_p * n_t / n
    lq: np.ndarray  # (P, T) NaN where undefined
    p_value: np.ndarray  # (P, T) NaN where not tested
    q_value: np.ndarray  # (P, T) NaN where not tested
    significant: np.ndarray  # (P, T) bool
    expected_pop: np.ndarray  # (P, T) n_t * pop_p / pop(Métropole)
    excess_risk: np.ndarray  # (P, T) observed / expected_pop, NaN where undefined
    excess_p: np.ndarray  # (P, T)
    excess_q: np.ndarray  # (P, T)
    excess_significant: np.ndarray  # (P, T) bool
    rate_eb: np.ndarray  # (P, T) empirical Bayes rate per inhabitant
    place_rate_eb: np.ndarray  # (P,) empirical Bayes rate of all themes per inhabitant
    metro_population: float
    count_unit: str = "reports"

    @property
    def theme_rates(self) -> np.ndarray:
        """Metropolitan rate per inhabitant of each theme (the baseline of the excess risk)."""
        return (
            self.theme_totals / self.metro_population
            if self.metro_population > 0
            else np.full(len(self.themes), np.nan)
        )

    @property
    def eb_excess_risk(self) -> np.ndarray:
        """(P, T) smoothed excess risk: EB rate over the metropolitan rate (1 = as the population predicts)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.rate_eb / self.theme_rates[None, :]

    @property
    def place_totals(self) -> np.ndarray:
        return self.counts.sum(axis=1)

    @property
    def theme_totals(self) -> np.ndarray:
        return self.counts.sum(axis=0)


def as_count_table(data: CountTable | ReportArrays) -> CountTable:
    """Raw reports and rollups go through the same code: raw rows are rollups with count 1."""
    return CountTable.from_reports(data) if isinstance(data, ReportArrays) else data


def _test_family(observed: np.ndarray, expected: np.ndarray, tested: np.ndarray, fdr_family: str):
    """Poisson upper-tail p-values and BH q-values over the tested cells (whole table, or per theme)."""
    p_value = np.full(observed.shape, np.nan)
    q_value = np.full(observed.shape, np.nan)
    if tested.any():
        p_value[tested] = poisson_upper_tail(observed[tested], expected[tested])
        if fdr_family == "table":
            q_value[tested] = benjamini_hochberg(p_value[tested])
        else:
            for t in range(observed.shape[1]):
                col = tested[:, t]
                q_value[col, t] = benjamini_hochberg(p_value[col, t])
    return p_value, q_value


def level_stats(
    data: CountTable | ReportArrays,
    places: Places,
    level: str = "commune",
    *,
    alpha: float = 0.05,
    fdr_family: FdrFamily = "table",
    with_contributors: bool = True,
    count_unit: CountUnit = "reports",
) -> LevelStats:
    """Compute the statistics arrays for one level (see :func:`territory_stats`)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")
    if count_unit not in COUNT_UNITS:
        raise ValueError(f"unknown count unit {count_unit!r}; expected one of {COUNT_UNITS}")
    table = as_count_table(data)
    groups = places.groups(level)
    n_places, n_themes = len(groups.codes), len(table.themes)
    contributors = place_contributors = None
    if with_contributors or count_unit == "contributors":
        contributors, place_contributors = table.contributor_matrix(places, level)
    if count_unit == "contributors":
        if contributors is None:
            raise ValueError("count_unit='contributors' needs contributor ids or precomputed contributors")
        counts = np.asarray(contributors, dtype=np.int64).reshape(n_places, n_themes)
    else:
        by_commune = table.matrix(places)
        counts = np.zeros((n_places, n_themes), dtype=np.int64)
        np.add.at(counts, groups.of_commune, by_commune)

    n_p = counts.sum(axis=1).astype(np.float64)
    n_t = counts.sum(axis=0).astype(np.float64)
    n = float(n_p.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.outer(n_p, n_t) / n if n > 0 else np.zeros_like(counts, dtype=np.float64)
        lq = (counts / n_p[:, None]) / (n_t / n)[None, :] if n > 0 else np.full(counts.shape, np.nan)

    # A test is only meaningful when the place and the theme both have reports and there is more
    # than one place to compare (the metropole level is its own baseline).
    tested = (expected > 0) & (n_places > 1)
    p_value, q_value = _test_family(counts, expected, tested, fdr_family)
    significant = np.zeros(counts.shape, dtype=bool)
    significant[tested] = q_value[tested] < alpha

    # The population question: expected from the place's share of the Métropole's inhabitants.
    metro_population = float(places.population.sum())
    pop = groups.population.astype(np.float64)
    expected_pop = np.outer(pop, n_t) / metro_population if metro_population > 0 else np.zeros(counts.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess_risk = np.where(expected_pop > 0, counts / expected_pop, np.nan)
    tested_pop = (expected_pop > 0) & (n_places > 1)
    excess_p, excess_q = _test_family(counts, expected_pop, tested_pop, fdr_family)
    excess_significant = np.zeros(counts.shape, dtype=bool)
    excess_significant[tested_pop] = (excess_q[tested_pop] < alpha) & (excess_risk[tested_pop] > 1)

    # Places count once per contributor in the contributor unit (not once per theme they raised).
    place_counts = n_p if count_unit == "reports" else np.asarray(place_contributors, dtype=np.float64)
    if n_places > 1:
        rate_eb = empirical_bayes_rates(counts, pop)
        place_rate_eb = empirical_bayes_rates(place_counts, pop)
    else:  # the Métropole is its own mean: nothing to shrink towards
        with np.errstate(divide="ignore", invalid="ignore"):
            rate_eb = np.where(pop[:, None] > 0, counts / pop[:, None], np.nan)
            place_rate_eb = np.where(pop > 0, place_counts / pop, np.nan)

    if count_unit == "reports" and not with_contributors:
        contributors = place_contributors = None
    theme_contributors, metro_contributors = table.contributor_matrix(places, "metropole")
    return LevelStats(
        level=level,
        codes=groups.codes,
        noms=groups.noms,
        population=groups.population,
        themes=table.themes,
        counts=counts,
        contributors=contributors,
        place_contributors=place_contributors,
        theme_contributors=None if theme_contributors is None else theme_contributors[0],
        total_contributors=None if metro_contributors is None else int(metro_contributors[0]),
        expected=expected,
        lq=lq,
        p_value=p_value,
        q_value=q_value,
        significant=significant,
        expected_pop=expected_pop,
        excess_risk=excess_risk,
        excess_p=excess_p,
        excess_q=excess_q,
        excess_significant=excess_significant,
        rate_eb=rate_eb,
        place_rate_eb=place_rate_eb,
        metro_population=metro_population,
        count_unit=count_unit,
    )


def _column(values: np.ndarray, digits: int) -> list[float | None]:
    """Rounded Python floats, None where undefined (NaN/inf)."""
    rounded = np.round(np.asarray(values, dtype=np.float64), digits)
    return [v if math.isfinite(v) else None for v in rounded.tolist()]


def _rate(count: float, population: float) -> float | None:
    return fnum(count / population * 10_000, 4) if population > 0 else None


def territory_stats(
    data: CountTable | ReportArrays,
    places: Places,
    level: str = "commune",
    *,
    alpha: float = 0.05,
    fdr_family: FdrFamily = "table",
    include_zero_rows: bool = False,
    exact: bool = False,
    min_count: int = 3,
    count_unit: CountUnit = "reports",
) -> dict:
    """Per (place, theme): count, contributors, raw and smoothed rates, LQ test and excess-risk test.

    ``exact=False`` (the default, for public pages) suppresses counts below ``min_count``; facilitators
    call it with ``exact=True``. Rows with a zero count are left out unless ``include_zero_rows``.
    ``count_unit`` is what is counted: "reports" or distinct "contributors".
    """
    s = level_stats(data, places, level, alpha=alpha, fdr_family=fdr_family, count_unit=count_unit)
    n_p = s.place_totals
    n_t = s.theme_totals
    total = int(n_p.sum())
    by_contributors = count_unit == "contributors"
    if by_contributors and s.total_contributors is not None:
        total = s.total_contributors

    themes_out = []
    for t, slug in enumerate(s.themes):
        themes_out.append(
            {
                "theme": slug,
                "count": int(n_t[t]),
                "contributors": None if s.theme_contributors is None else int(s.theme_contributors[t]),
                "rate_per_10k": _rate(n_t[t], float(places.population.sum())),
                "share": fnum(n_t[t] / n_t.sum()) if n_t.sum() else None,
            }
        )

    place_eb = _column(s.place_rate_eb * 10_000, 4)
    places_out = []
    for p in range(len(s.codes)):
        pop = float(s.population[p])
        place_count = int(s.place_contributors[p]) if by_contributors else int(n_p[p])
        places_out.append(
            {
                "code": str(s.codes[p]),
                "nom": str(s.noms[p]),
                "population": int(round(pop)),
                "count": place_count,
                "contributors": None if s.place_contributors is None else int(s.place_contributors[p]),
                "rate_per_10k": _rate(place_count, pop),
                "rate_eb_per_10k": place_eb[p],
            }
        )

    # Rows are built from whole arrays rounded at once: a Python loop only over the output rows.
    keep = np.ones(s.counts.shape, dtype=bool) if include_zero_rows else s.counts > 0
    pi, ti = np.nonzero(keep)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(s.population[pi] > 0, s.counts[pi, ti] / s.population[pi] * 10_000, np.nan)
        share = np.where(n_p[pi] > 0, s.counts[pi, ti] / n_p[pi], np.nan)
    columns = {
        "rate_per_10k": _column(rate, 4),
        "rate_eb_per_10k": _column(s.rate_eb[pi, ti] * 10_000, 4),
        "share": _column(share, 6),
        "lq": _column(s.lq[pi, ti], 4),
        "expected": _column(s.expected[pi, ti], 4),
        "p_value": _column(s.p_value[pi, ti], 12),
        "q_value": _column(s.q_value[pi, ti], 12),
        "excess_risk": _column(s.excess_risk[pi, ti], 4),
        "excess_expected": _column(s.expected_pop[pi, ti], 4),
        "excess_p": _column(s.excess_p[pi, ti], 12),
        "excess_q": _column(s.excess_q[pi, ti], 12),
    }
    contributors = None if s.contributors is None else s.contributors[pi, ti].tolist()
    codes, noms = s.codes.tolist(), s.noms.tolist()
    population = np.rint(s.population).astype(np.int64).tolist()
    place_count = n_p.tolist()
    count = s.counts[pi, ti].tolist()
    significant = s.significant[pi, ti].tolist()
    excess_significant = s.excess_significant[pi, ti].tolist()
    rows = []
    for k, (p, t) in enumerate(zip(pi.tolist(), ti.tolist())):
        rows.append(
            {
                "code": codes[p],
                "nom": noms[p],
                "theme": s.themes[t],
                "count": count[k],
                "contributors": None if contributors is None else contributors[k],
                "population": population[p],
                "rate_per_10k": columns["rate_per_10k"][k],
                "rate_eb_per_10k": columns["rate_eb_per_10k"][k],
                "place_count": place_count[p],
                "share": columns["share"][k],
                "lq": columns["lq"][k],
                "expected": columns["expected"][k],
                "p_value": columns["p_value"][k],
                "q_value": columns["q_value"][k],
                "significant": significant[k],
                "excess_risk": columns["excess_risk"][k],
                "excess_expected": columns["excess_expected"][k],
                "excess_p": columns["excess_p"][k],
                "excess_q": columns["excess_q"][k],
                "excess_significant": excess_significant[k],
            }
        )
    result = {
        "kind": "territory_stats",
        "level": level,
        "count_unit": count_unit,
        "total": total,
        "contributors": s.total_contributors,
        "population": int(round(float(places.population.sum()))),
        "alpha": alpha,
        "fdr_family": fdr_family,
        "themes": themes_out,
        "places": places_out,
        "rows": rows,
        "exact": True,
    }
    result = finish(result, exact, min_count)
    # Breaks come last, on the values a reader of this answer can see (hidden ones are None).
    eb = class_breaks(p["rate_eb_per_10k"] for p in result["places"])
    raw = class_breaks(p["rate_per_10k"] for p in result["places"])
    result["breaks"] = {
        "rate_eb_per_10k": eb["edges"],
        "rate_per_10k": raw["edges"],
        "method": eb["method"],
        "digits": max(eb["digits"], raw["digits"]),
        "unit": UNIT if not by_contributors else "contributeurs pour 10 000 habitants",
    }
    return result
