"""Reports over time by theme, from the in-memory report index (for the facilitators' chart)."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from carte.domain import ReportFilter

DAY = 86_400


def timeline(session: Session, aggregates, flt: ReportFilter, themes: dict[int, str], max_buckets: int = 60) -> dict:
    """Counts per theme in equal buckets (day, week or 30 days: whichever keeps ≤ max_buckets)."""
    index = aggregates.index
    index.sync(session)
    rows = index.select(session, flt, aggregates.places)
    created = index.columns["created"][rows]
    theme_ids = index.columns["theme_id"][rows]
    if not len(rows):
        return {"kind": "timeline", "bucket_days": 1, "starts": [], "series": []}
    first = int(created.min()) // DAY * DAY
    span_days = (int(created.max()) - first) // DAY + 1
    bucket_days = next(d for d in (1, 7, 30, 365) if span_days / d <= max_buckets or d == 365)
    width = bucket_days * DAY
    buckets = (created - first) // width
    n = int(buckets.max()) + 1
    series = []
    for theme_id, slug in themes.items():
        mine = buckets[theme_ids == theme_id]
        if len(mine):
            series.append({"theme": slug, "counts": np.bincount(mine, minlength=n).tolist(), "total": int(len(mine))})
    series.sort(key=lambda s: -s["total"])
    return {
        "kind": "timeline",
        "bucket_days": bucket_days,
        "starts": [first + i * width for i in range(n)],
        "series": series,
    }
