"""Territory statistics: counts, rates, shares, location quotients and over-representation tests.

Everything is computed on a (places x themes) count matrix, so the cost does not depend on the
number of reports once storage has rolled them up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .inputs import LEVELS, CountTable, Places, ReportArrays
from .privacy import finish
from .serialise import fnum
from .stats import benjamini_hochberg, poisson_upper_tail

FdrFamily = Literal["table", "theme"]


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

    @property
    def place_totals(self) -> np.ndarray:
        return self.counts.sum(axis=1)

    @property
    def theme_totals(self) -> np.ndarray:
        return self.counts.sum(axis=0)


def as_count_table(data: CountTable | ReportArrays) -> CountTable:
    """Raw reports and rollups go through the same code: raw rows are rollups with count 1."""
    return CountTable.from_reports(data) if isinstance(data, ReportArrays) else data


def level_stats(
    data: CountTable | ReportArrays,
    places: Places,
    level: str = "commune",
    *,
    alpha: float = 0.05,
    fdr_family: FdrFamily = "table",
    with_contributors: bool = True,
) -> LevelStats:
    """Compute the statistics arrays for one level (see :func:`territory_stats`)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")
    table = as_count_table(data)
    groups = places.groups(level)
    n_places, n_themes = len(groups.codes), len(table.themes)
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
    p_value = np.full(counts.shape, np.nan)
    q_value = np.full(counts.shape, np.nan)
    if tested.any():
        p_value[tested] = poisson_upper_tail(counts[tested], expected[tested])
        if fdr_family == "table":
            q_value[tested] = benjamini_hochberg(p_value[tested])
        else:
            for t in range(n_themes):
                col = tested[:, t]
                q_value[col, t] = benjamini_hochberg(p_value[col, t])
    significant = np.zeros(counts.shape, dtype=bool)
    significant[tested] = q_value[tested] < alpha

    contributors = place_contributors = None
    if with_contributors:
        contributors, place_contributors = table.contributor_matrix(places, level)
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
) -> dict:
    """Per (place, theme): reports, contributors, rate per 10,000, share, LQ and over-representation.

    ``exact=False`` (the default, for public pages) suppresses counts below ``min_count``; facilitators
    call it with ``exact=True``. Rows with a zero count are left out unless ``include_zero_rows``.
    """
    s = level_stats(data, places, level, alpha=alpha, fdr_family=fdr_family)
    n_p = s.place_totals
    n_t = s.theme_totals
    total = int(n_p.sum())

    themes_out = []
    for t, slug in enumerate(s.themes):
        themes_out.append({
            "theme": slug,
            "count": int(n_t[t]),
            "contributors": None if s.theme_contributors is None else int(s.theme_contributors[t]),
            "rate_per_10k": _rate(n_t[t], float(places.population.sum())),
            "share": fnum(n_t[t] / total) if total else None,
        })

    places_out = []
    for p in range(len(s.codes)):
        pop = float(s.population[p])
        places_out.append({
            "code": str(s.codes[p]),
            "nom": str(s.noms[p]),
            "population": int(round(pop)),
            "count": int(n_p[p]),
            "contributors": None if s.place_contributors is None else int(s.place_contributors[p]),
            "rate_per_10k": _rate(n_p[p], pop),
        })

    # Rows are built from whole arrays rounded at once: a Python loop only over the output rows.
    keep = np.ones(s.counts.shape, dtype=bool) if include_zero_rows else s.counts > 0
    pi, ti = np.nonzero(keep)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(s.population[pi] > 0, s.counts[pi, ti] / s.population[pi] * 10_000, np.nan)
        share = np.where(n_p[pi] > 0, s.counts[pi, ti] / n_p[pi], np.nan)
    columns = {
        "rate_per_10k": _column(rate, 4),
        "share": _column(share, 6),
        "lq": _column(s.lq[pi, ti], 4),
        "expected": _column(s.expected[pi, ti], 4),
        "p_value": _column(s.p_value[pi, ti], 12),
        "q_value": _column(s.q_value[pi, ti], 12),
    }
    contributors = None if s.contributors is None else s.contributors[pi, ti].tolist()
    codes, noms = s.codes.tolist(), s.noms.tolist()
    population = np.rint(s.population).astype(np.int64).tolist()
    place_count = n_p.tolist()
    count = s.counts[pi, ti].tolist()
    significant = s.significant[pi, ti].tolist()
    rows = []
    for k, (p, t) in enumerate(zip(pi.tolist(), ti.tolist())):
        rows.append({
            "code": codes[p],
            "nom": noms[p],
            "theme": s.themes[t],
            "count": count[k],
            "contributors": None if contributors is None else contributors[k],
            "population": population[p],
            "rate_per_10k": columns["rate_per_10k"][k],
            "place_count": place_count[p],
            "share": columns["share"][k],
            "lq": columns["lq"][k],
            "expected": columns["expected"][k],
            "p_value": columns["p_value"][k],
            "q_value": columns["q_value"][k],
            "significant": significant[k],
        })
    result = {
        "kind": "territory_stats",
        "level": level,
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
    return finish(result, exact, min_count)
