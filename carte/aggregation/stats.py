"""Small statistical building blocks shared by the aggregation modules."""

from __future__ import annotations

import numpy as np
from scipy import stats


def poisson_upper_tail(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """P(X >= observed) for X ~ Poisson(expected): the over-representation p-value.

    Poisson rather than binomial because it needs only the expected count and is slightly
    conservative when one place holds a large share of all reports.
    """
    observed = np.asarray(observed, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    return stats.poisson.sf(observed - 1, expected)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (q-values); an empty input gives an empty output."""
    p_values = np.asarray(p_values, dtype=np.float64)
    if p_values.size == 0:
        return p_values.copy()
    return stats.false_discovery_control(p_values, method="bh")


def normalised_entropy(counts: np.ndarray, n_categories: int | None = None) -> float:
    """Shannon entropy of a count distribution divided by log(K): 0 = all in one category, 1 = even.

    K is the number of possible categories (e.g. the 12 territories), not only those observed.
    """
    counts = np.asarray(counts, dtype=np.float64)
    k = len(counts) if n_categories is None else n_categories
    total = counts.sum()
    if total <= 0 or k <= 1:
        return 0.0
    p = counts[counts > 0] / total
    return float(-(p * np.log(p)).sum() / np.log(k))


def empirical_bayes_rates(counts: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Global empirical Bayes rates (Marshall 1991), one column per theme when ``counts`` is 2-D.

    Each place's raw rate r_i = y_i / n_i is pulled towards the pooled rate b = sum y / sum n with
    weight C_i = a / (a + b / n_i), where a = s^2 - b / mean(n) is the between-place variance left
    once Poisson noise is removed (s^2 = sum n_i (r_i - b)^2 / sum n). Small populations tell
    little, so their rates move most. Same formulas as ``esda.smoothing.Empirical_Bayes``.
    Places without population get NaN; zeros are included (they are information too).
    Rates are per inhabitant: multiply by 10 000 for the figures shown.
    """
    y = np.asarray(counts, dtype=np.float64)
    one_d = y.ndim == 1
    if one_d:
        y = y[:, None]
    n = np.asarray(population, dtype=np.float64)
    out = np.full(y.shape, np.nan)
    live = n > 0
    if not live.any():
        return out[:, 0] if one_d else out
    y, n_live = y[live], n[live][:, None]
    n_sum = float(n_live.sum())
    b = y.sum(axis=0) / n_sum  # (T,)
    rate = y / n_live
    s2 = (n_live * (rate - b) ** 2).sum(axis=0) / n_sum
    a = np.maximum(s2 - b / (n_sum / len(n_live)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(a > 0, a / (a + b / n_live), 0.0)
    out[live] = weight * rate + (1.0 - weight) * b
    return out[:, 0] if one_d else out
