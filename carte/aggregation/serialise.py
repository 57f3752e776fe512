"""Turn numpy values into plain Python so that routes can return results with ``jsonify`` as they are."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """Recursively convert numpy scalars/arrays and tuples to JSON-friendly Python; NaN/inf become None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [plain(v) for v in items]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.datetime64):  # pragma: no cover - item() already handles most cases
        return str(value)
    return value


def fnum(value: float, digits: int = 6) -> float | None:
    """A rounded Python float, or None when the value is undefined (NaN, inf)."""
    value = float(value)
    if not math.isfinite(value):
        return None
    return round(value, digits)
