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
