"""Distinct contributor counts of the in-memory report index, against a plain set count."""

from __future__ import annotations

import numpy as np

from carte.storage.report_index import _COLUMNS, _DTYPES, ReportIndex

CODES = ["75056", "93048", "93066", "94080"]
GROUP_OF_COMMUNE = np.array([0, 1, 1, 2])  # e.g. Paris, Est Ensemble x2, Paris Est Marne et Bois


def rows(rng, start_id: int, n: int) -> dict[str, np.ndarray]:
    data = {name: np.zeros(n, dtype=_DTYPES[name]) for name in _COLUMNS}
    data["id"] = np.arange(start_id, start_id + n, dtype=np.int64)
    data["commune"] = rng.integers(0, len(CODES), n).astype(np.int16)
    data["theme_id"] = rng.integers(1, 5, n).astype(np.int32)
    data["contributor"] = rng.integers(0, 40, n).astype(np.int64)
    return data


def reference(index: ReportIndex, positions, by_theme: bool) -> dict:
    c = index.columns
    seen: dict = {}
    for p in positions:
        cell = (
            (int(GROUP_OF_COMMUNE[c["commune"][p]]), int(c["theme_id"][p]))
            if by_theme
            else int(GROUP_OF_COMMUNE[c["commune"][p]])
        )
        seen.setdefault(cell, set()).add(int(c["contributor"][p]))
    return {cell: len(people) for cell, people in seen.items()}


def as_dict(matrix: np.ndarray, by_theme: bool, theme_ids) -> dict:
    if not by_theme:
        return {g: int(v) for g, v in enumerate(matrix) if v}
    return {(g, theme_ids[t]): int(v) for (g, t), v in np.ndenumerate(matrix) if v}


def test_distinct_contributors_match_a_set_count_before_and_after_new_rows():
    rng = np.random.default_rng(4)
    index = ReportIndex(CODES)
    index._update_sorted_keys(index._merge(rows(rng, 1, 500)))
    theme_ids = [1, 2, 3, 4]
    theme_pos = np.zeros(5, dtype=np.int64)
    theme_pos[theme_ids] = np.arange(4)
    for _ in range(3):
        selection = np.flatnonzero(rng.random(len(index)) < 0.6)
        for by_theme in (True, False):
            got = index.distinct_contributors(selection, GROUP_OF_COMMUNE, 3, theme_pos if by_theme else None, 4)
            assert as_dict(got, by_theme, theme_ids) == reference(index, selection, by_theme)
        # New reports arrive: the sorted keys are extended in place, not rebuilt.
        appended = index._merge(rows(rng, len(index) + 1, 37))
        assert appended is not None and len(appended) == 37
        index._update_sorted_keys(appended)
        assert len(index._sorted_keys) == 2
    everything = np.arange(len(index))
    got = index.distinct_contributors(everything, GROUP_OF_COMMUNE, 3, None, 4)
    assert as_dict(got, False, theme_ids) == reference(index, everything, False)
