"""Small-number protection for public outputs.

Representation (the same in every output): a row-like dict always carries ``"suppressed": bool``.
When it is true, every hidden field is ``None``, ``"suppressed_fields"`` lists their names, and
``"count_label"`` holds the display text (``"< 3"``) when the count itself is hidden. The result
itself says ``"exact": false`` and ``"min_count": 3``. Facilitators get ``exact=True`` outputs,
which carry ``"suppressed": false`` nowhere and are not passed through here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

MIN_COUNT = 3


def label(min_count: int = MIN_COUNT) -> str:
    return f"< {min_count}"


def _hide(row: dict, fields: Iterable[str], min_count: int, count_field: str | None = None) -> None:
    hidden = row.setdefault("suppressed_fields", [])
    for name in fields:
        if name in row and name not in hidden:
            row[name] = None
            hidden.append(name)
    row["suppressed"] = bool(hidden)
    if count_field is not None and count_field in hidden:
        row["count_label"] = label(min_count)


def _small(value, min_count: int) -> bool:
    return value is not None and 0 < value < min_count


def _finish(row: dict) -> dict:
    row.setdefault("suppressed", False)
    if not row.get("suppressed_fields"):
        row.pop("suppressed_fields", None)
    return row


ROW_COUNT_DERIVED = (
    "count",
    "rate_per_10k",
    "rate_eb_per_10k",
    "share",
    "lq",
    "p_value",
    "q_value",
    "contributors",
    "excess_risk",
    "excess_p",
    "excess_q",
)


TOP_LEVEL_COUNTS = ("total", "contributors", "reports", "reports_outside_study", "max_count")


def _protect_top_level(result: dict, min_count: int) -> None:
    hidden = [k for k in TOP_LEVEL_COUNTS if _small(result.get(k), min_count)]
    for k in hidden:
        result[k] = None
    if hidden:
        result["suppressed_fields"] = hidden


def _protect_territory_stats(result: dict, min_count: int) -> dict:
    for row in result["themes"] + result["places"]:
        if _small(row["count"], min_count):
            _hide(row, ("count", "rate_per_10k", "rate_eb_per_10k", "share", "contributors"), min_count, "count")
        if _small(row.get("contributors"), min_count):
            _hide(row, ("contributors",), min_count)
        _finish(row)
    by_place: dict[str, list[dict]] = defaultdict(list)
    for row in result["rows"]:
        if _small(row["count"], min_count):
            _hide(row, ROW_COUNT_DERIVED, min_count, "count")
        if _small(row["place_count"], min_count):
            _hide(row, ("place_count", "expected", "share", "lq"), min_count)
        if _small(row.get("contributors"), min_count):
            _hide(row, ("contributors",), min_count)
        by_place[row["code"]].append(row)
    # Secondary suppression: when the place total is public and exactly one theme of the place is
    # hidden, it could be recovered by subtraction; hide the next smallest count of that place too.
    for rows in by_place.values():
        hidden = [r for r in rows if r["count"] is None]
        visible = [r for r in rows if r["count"] is not None and r["count"] > 0]
        if len(hidden) == 1 and visible and rows[0]["place_count"] is not None:
            smallest = min(visible, key=lambda r: r["count"])
            _hide(smallest, ROW_COUNT_DERIVED, min_count, "count")
            smallest["count_label"] = "masqué"
    for row in result["rows"]:
        _finish(row)
    return result


def _protect_shared_needs(result: dict, min_count: int) -> dict:
    for row in result["themes"]:
        if _small(row["count"], min_count):
            _hide(
                row,
                ("count", "rate_per_10k", "contributors", "score", "entropy", "top_territory_share"),
                min_count,
                "count",
            )
            row["sentence"] = f"Moins de {min_count} signalements."
            if "why" in row:
                row["why"] = {
                    "coverage": None,
                    "evenness": None,
                    "contributors": None,
                    "text": f"Pas de badge : moins de {min_count} signalements.",
                }
        if _small(row.get("contributors"), min_count):
            _hide(row, ("contributors",), min_count)
            if "why" in row:
                row["why"] = {
                    **row["why"],
                    "contributors": None,
                    "text": f"Pas de badge : moins de {min_count} contributeurs.",
                }
        _finish(row)
    return result


def _protect_hotspots(result: dict, min_count: int) -> dict:
    for feature in result["features"]:
        props = feature["properties"]
        if _small(props["count"], min_count):
            _hide(props, ("count",), min_count, "count")
        _finish(props)
    return result


def _protect_issue_groups(result: dict, min_count: int) -> dict:
    kept = [g for g in result["groups"] if g["size"] >= min_count]
    result["withheld_groups"] = len(result["groups"]) - len(kept)
    result["groups"] = [_finish(g) for g in kept]
    return result


def _protect_heatmap(result: dict, min_count: int) -> dict:
    from .heatmap import merge_small_cells

    return merge_small_cells(result, min_count)


_PROTECTORS = {
    "territory_stats": _protect_territory_stats,
    "shared_needs": _protect_shared_needs,
    "hotspots": _protect_hotspots,
    "issue_groups": _protect_issue_groups,
    "heatmap": _protect_heatmap,
}


def _copy(value):
    """Copy of a JSON-like structure (much faster than copy.deepcopy, which keeps a memo)."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


def finish(result: dict, exact: bool, min_count: int = MIN_COUNT) -> dict:
    """What every builder returns: its fresh exact result for facilitators, protected in place otherwise."""
    return result if exact else protect(result, min_count=min_count, copy=False)


def protect(result: dict, min_count: int = MIN_COUNT, *, copy: bool = True) -> dict:
    """Public copy of an exact result: no count (or value revealing one) below ``min_count``.

    Dispatches on ``result["kind"]``; the input is not modified unless ``copy=False`` (used by
    the builders on their own fresh results). Zero counts are not hidden: an absence identifies
    nobody.
    """
    if not result.get("exact", True):
        return result
    out = _copy(result) if copy else result
    out = _PROTECTORS[out["kind"]](out, min_count)
    _protect_top_level(out, min_count)
    out["exact"] = False
    out["min_count"] = min_count
    return out


suppress_small = protect
