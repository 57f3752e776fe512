"""Class edges for choropleth legends: Fisher–Jenks natural breaks, merged when equal.

Fisher–Jenks (through ``jenkspy``, a small C extension: mapclassify would pull pandas, networkx
and scikit-learn for the same computation) minimises the variance inside classes, so classes
follow gaps in the data instead of equal steps that a few tiny communes would stretch. With
too few distinct values, or without jenkspy, edges are quantiles. Edges are rounded to the
precision the legend shows and deduplicated, so that a legend never reads « 1,6 – 1,6 ».
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

try:
    import jenkspy
except ImportError:  # pragma: no cover - quantiles then
    jenkspy = None

MAX_CLASSES = 5
UNIT = "signalements pour 10 000 habitants"


def display_digits(values: np.ndarray) -> int:
    """Decimals the legend needs: 1 from 10 upwards, 2 below, 3 under 0.1."""
    top = float(np.max(np.abs(values))) if len(values) else 0.0
    return 1 if top >= 10 else 2 if top >= 0.1 else 3


def class_breaks(values: Iterable[float | None], k: int = MAX_CLASSES) -> dict:
    """``{"edges": [e0, ..., ek], "method", "digits"}``: k <= ``k`` classes, edges strictly increasing.

    ``None``/NaN values (hidden or undefined) are ignored. One distinct value gives one edge.
    """
    arr = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    if arr.size == 0:
        return {"edges": [], "method": "quantiles", "digits": 1}
    digits = display_digits(arr)
    distinct = np.unique(np.round(arr, digits))
    n_classes = min(k, len(distinct))
    if n_classes >= 2 and len(distinct) > n_classes and jenkspy is not None:
        edges = np.asarray(jenkspy.jenks_breaks(arr.tolist(), n_classes=n_classes), dtype=np.float64)
        method = "fisher_jenks"
    elif n_classes >= 2 and len(distinct) > n_classes:  # pragma: no cover - without jenkspy
        edges = np.quantile(arr, np.linspace(0, 1, n_classes + 1))
        method = "quantiles"
    else:
        edges = distinct  # every distinct value is its own edge
        method = "quantiles"
    rounded = np.round(edges, digits).tolist()
    # Lower edge rounded down and upper edge up, so that every value falls inside the legend.
    scale = 10.0**digits
    low = math.floor(round(float(arr.min()) * scale, 6)) / scale
    high = math.ceil(round(float(arr.max()) * scale, 6)) / scale
    rounded = [low] + rounded[1:-1] + [high] if len(rounded) > 1 else [low, high]
    out: list[float] = []
    for e in rounded:
        e = round(e, digits)
        if not out or e > out[-1]:
            out.append(e)
    return {"edges": out, "method": method, "digits": digits}
