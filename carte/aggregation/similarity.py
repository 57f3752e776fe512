"""Places with the same needs: similar places, « passerelles » and the workshop's echo elsewhere.

Profile. Each place of a level gets one value per theme: the logarithm of its smoothed excess
risk, log(EB rate / metropolitan rate of the theme). 0 means « as its population predicts »,
positive « more », negative « less ». The empirical Bayes rate (Marshall 1991, see
``territories``) keeps a small commune with two reports from looking extreme; the logarithm
makes « twice as much » and « half as much » symmetric. Values are clipped to [-3, 3] (a factor
of 20) so that one empty theme does not dominate.

Similarity. The cosine of two profiles (method ``cosine_eb_excess_risk``): 1 when two places are
above and below expectation on the same themes in the same proportions, 0 when unrelated,
negative when opposite. Cosine rather than a distance because it compares the shape of the
needs, not how loudly a place reports; on population-relative values (rather than theme shares)
because the question is « which needs do residents raise more than their population predicts »,
the same question as ``excess_risk``. Every profile carries one more, constant component
``ANCHOR`` = log(1.25): without it an ordinary commune whose only deviation is +0.3 % on one
theme would point exactly in that theme's direction and get a cosine of 1 with a commune that
reports it three times too often. With it, deviations well below 25 % weigh little.

Shared themes are those with a smoothed excess risk above 1 in both places (the raw one then
is too); passerelles ask more: the theme is significant (``excess_significant``) in both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .inputs import SIMILAR_LEVELS, CountTable, Places, ReportArrays
from .serialise import fnum
from .territories import CountUnit, LevelStats, as_count_table, level_stats

METHOD = "cosine_eb_excess_risk"
CLIP = 3.0
ANCHOR = float(np.log(1.25))
MAX_PAIRS = 50
SENTENCES = {
    "commune": "{a} et {b}, dans deux territoires différents, signalent toutes deux plus que prévu : {themes}.",
    "territoire": "{a} et {b}, dans deux départements différents, signalent tous deux plus que prévu : {themes}.",
}
THEME_SEPARATOR = " ; "


def profiles(s: LevelStats) -> np.ndarray:
    """(P, T) log smoothed excess risks, 0 where undefined (no population, theme absent everywhere)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log(np.clip(s.eb_excess_risk, np.exp(-CLIP), np.exp(CLIP)))
    return np.where(np.isfinite(v), v, 0.0)


def cosine_matrix(a: np.ndarray, b: np.ndarray, anchor: float = ANCHOR) -> np.ndarray:
    """Cosine of every row of ``a`` with every row of ``b``, each with the constant ``anchor``
    appended (see the module docstring); 0 where a vector is zero."""
    if anchor:
        a = np.hstack([a, np.full((len(a), 1), anchor)])
        b = np.hstack([b, np.full((len(b), 1), anchor)])
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (a @ b.T) / np.outer(na, nb)
    return np.where(np.isfinite(out), np.clip(out, -1.0, 1.0), 0.0)


def _parents(places: Places, level: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each place of ``level``: the code and name of its territory, and the group deciding
    « another territory » (the territory for communes, the département for territories)."""
    if level == "commune":
        return places.territoire_code, places.territoire_nom, places.territoire_code
    groups = places.groups(level)
    first = np.array([int(np.flatnonzero(groups.of_commune == g)[0]) for g in range(len(groups.codes))], dtype=np.int64)
    return groups.codes, groups.noms, places.departement[first]


def _check_level(level: str) -> None:
    if level not in SIMILAR_LEVELS:
        raise ValueError(f"level {level!r}: expected one of {SIMILAR_LEVELS}")


def _ref(s: LevelStats, tcode, tnom, p: int) -> dict:
    return {
        "code": str(s.codes[p]),
        "nom": str(s.noms[p]),
        "territoire": {"code": str(tcode[p]), "nom": str(tnom[p])},
    }


def _small(value: float, exact: bool, min_count: int) -> bool:
    return not exact and 0 < value < min_count


def similar_places(
    data: CountTable | ReportArrays,
    places: Places,
    code: str,
    level: str = "commune",
    *,
    labels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    count_unit: CountUnit = "reports",
    limit: int | None = None,
    exact: bool = False,
    min_count: int = 3,
) -> dict:
    """The other places of ``level`` ranked by the cosine of their profiles with ``code``'s.

    Raises KeyError for an unknown code. Public output (``exact=False``) leaves out places with
    fewer than ``min_count`` reports in all, and hides the figures of a shared theme counted
    fewer than ``min_count`` times in either place (an excess risk times its expectation is a count).
    """
    _check_level(level)
    s = level_stats(as_count_table(data), places, level, alpha=alpha, count_unit=count_unit, with_contributors=False)
    codes = s.codes.tolist()
    if code not in codes:
        raise KeyError(code)
    me = codes.index(code)
    v = profiles(s)
    sim = cosine_matrix(v[me : me + 1], v)[0]
    return _ranked(
        s,
        places,
        level,
        me,
        None,
        v[me],
        sim,
        labels or {},
        exact,
        min_count,
        limit,
        {"code": code, "nom": str(s.noms[me])},
    )


def workshop_similar_places(
    room: CountTable | ReportArrays,
    data: CountTable | ReportArrays,
    places: Places,
    level: str = "commune",
    *,
    labels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    limit: int | None = 10,
    exact: bool = False,
    min_count: int = 3,
) -> dict:
    """Places whose needs look like those raised in a workshop room (« ailleurs aussi »).

    The room has no population, so its profile compares its mix of themes with the Métropole's:
    log((c_t + 1/2) / (c + T/2) / (n_t / n)), the share smoothed by half a report per theme so
    that a room of twelve reports does not claim that absent themes are infinitely rare; only its
    positive part is kept (a room raises needs; a theme nobody mentioned that evening says little).
    Places keep their usual profiles; shared themes are those above 1 in both.
    """
    _check_level(level)
    s = level_stats(as_count_table(data), places, level, alpha=alpha, with_contributors=False)
    room_counts = as_count_table(room).matrix(places).sum(axis=0).astype(np.float64)
    themes = s.themes
    n_t = s.theme_totals.astype(np.float64)
    n = float(n_t.sum())
    c = float(room_counts.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ((room_counts + 0.5) / (c + 0.5 * len(themes))) / (n_t / n)
        room_v = np.log(np.clip(ratio, np.exp(-CLIP), np.exp(CLIP)))
    room_v = np.where(np.isfinite(room_v) & (n_t > 0), np.maximum(room_v, 0.0), 0.0)
    v = profiles(s)
    sim = cosine_matrix(room_v[None, :], v)[0]
    out = _ranked(
        s,
        places,
        level,
        None,
        np.exp(room_v),
        room_v,
        sim,
        labels or {},
        exact,
        min_count,
        limit,
        {"code": None, "nom": None},
    )
    out["workshop_reports"] = int(c) if not _small(c, exact, min_count) else None
    return out


def _ranked(s, places, level, me, room_ratio, my_v, sim, labels, exact, min_count, limit, head) -> dict:
    tcode, tnom, group = _parents(places, level)
    v_eb = s.eb_excess_risk
    raw = s.excess_risk
    totals = s.place_totals
    order = sorted(
        (p for p in range(len(s.codes)) if p != me),
        key=lambda p: (-sim[p], str(s.codes[p])),
    )
    out_places, withheld = [], 0
    for p in order:
        if _small(float(totals[p]), exact, min_count) or (not exact and totals[p] == 0):
            withheld += 1
            continue
        shared = []
        for t, slug in enumerate(s.themes):
            mine = room_ratio[t] if me is None else v_eb[me, t]
            if not (mine > 1 and v_eb[p, t] > 1):
                continue
            entry = {
                "theme": slug,
                "label": labels.get(slug, slug),
                "excess_risk": None if me is None else fnum(raw[me, t], 4),
                "other_excess_risk": fnum(raw[p, t], 4),
                "both_significant": bool(me is not None and s.excess_significant[me, t] and s.excess_significant[p, t]),
            }
            if me is None:
                entry["room_ratio"] = fnum(room_ratio[t], 4)
            hidden = _small(float(s.counts[p, t]), exact, min_count) or (
                me is not None and _small(float(s.counts[me, t]), exact, min_count)
            )
            if hidden:
                entry["excess_risk"] = entry["other_excess_risk"] = None
            entry["suppressed"] = bool(hidden)
            entry["_weight"] = float((my_v[t] if me is None else np.log(v_eb[me, t])) + np.log(v_eb[p, t]))
            shared.append(entry)
        shared.sort(key=lambda e: (-e["_weight"], e["theme"]))
        for e in shared:
            del e["_weight"]
        other = True if me is None else bool(group[p] != group[me])
        out_places.append(
            {
                **_ref(s, tcode, tnom, p),
                "similarity": fnum(sim[p], 4),
                "shared_themes": shared,
                "other_territory": other,
            }
        )
        if limit is not None and len(out_places) >= limit:
            break
    result = {
        **head,
        "kind": "similar_places",
        "level": level,
        "method": METHOD,
        "count_unit": s.count_unit,
        "places": out_places,
        "exact": exact,
    }
    if me is not None:
        result["territoire"] = {"code": str(tcode[me]), "nom": str(tnom[me])}
    if not exact:
        result["min_count"] = min_count
        result["withheld_places"] = withheld
    return result


def passerelles(
    data: CountTable | ReportArrays,
    places: Places,
    level: str = "commune",
    *,
    labels: Mapping[str, str] | None = None,
    centroids: Mapping[str, tuple[float, float]] | None = None,
    sentences: Mapping[str, str] | None = None,
    theme_separator: str = THEME_SEPARATOR,
    alpha: float = 0.05,
    count_unit: CountUnit = "reports",
    max_pairs: int = MAX_PAIRS,
    exact: bool = False,
    min_count: int = 3,
) -> dict:
    """Pairs of places in different territories (départements, at territory level) sharing at
    least one significant need (``excess_significant`` in both), by decreasing similarity.

    ``sentences[level]`` is a template with ``{a}``, ``{b}`` and ``{themes}`` (French by default;
    the route passes translated ones); ``centroids`` maps a code to (lon, lat) for the line.
    Public output (``exact=False``) only keeps themes counted at least ``min_count`` times in both.
    """
    _check_level(level)
    labels = labels or {}
    template = (sentences or SENTENCES)[level]
    s = level_stats(as_count_table(data), places, level, alpha=alpha, count_unit=count_unit, with_contributors=False)
    tcode, tnom, group = _parents(places, level)
    sig = s.excess_significant.copy()
    if not exact:
        sig &= s.counts >= min_count
    v = profiles(s)
    sim = cosine_matrix(v, v)
    shared_n = sig.astype(np.int64) @ sig.T.astype(np.int64)
    group = np.asarray(group, dtype=object)
    apart = group[:, None] != group[None, :]
    upper = np.triu(np.ones(sim.shape, dtype=bool), k=1)
    ii, jj = np.nonzero(upper & apart & (shared_n > 0))
    order = np.lexsort((jj, ii, -shared_n[ii, jj], -sim[ii, jj]))[:max_pairs]
    pairs = []
    for k in order.tolist():
        i, j = int(ii[k]), int(jj[k])
        both = np.flatnonzero(sig[i] & sig[j])
        both = sorted(both.tolist(), key=lambda t: -(np.log(s.eb_excess_risk[i, t]) + np.log(s.eb_excess_risk[j, t])))
        shared = [{"theme": s.themes[t], "label": labels.get(s.themes[t], s.themes[t])} for t in both]
        words = theme_separator.join(_lower_first(e["label"]) for e in shared)
        a, b = _ref(s, tcode, tnom, i), _ref(s, tcode, tnom, j)
        line = None
        if centroids is not None and a["code"] in centroids and b["code"] in centroids:
            line = [[fnum(x, 6) for x in centroids[a["code"]]], [fnum(x, 6) for x in centroids[b["code"]]]]
        pairs.append(
            {
                "a": a,
                "b": b,
                "similarity": fnum(sim[i, j], 4),
                "shared_themes": shared,
                "sentence": template.format(a=a["nom"], b=b["nom"], themes=words),
                "line": line,
            }
        )
    result = {
        "kind": "passerelles",
        "level": level,
        "method": METHOD,
        "count_unit": s.count_unit,
        "alpha": alpha,
        "pairs": pairs,
        "candidates": int(len(ii)),
        "exact": exact,
    }
    if not exact:
        result["min_count"] = min_count
    return result


def _lower_first(label: str) -> str:
    """« Emploi et insertion » -> « emploi et insertion » inside a sentence (acronyms kept)."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def level_centroids(
    places: Places, level: str, points: Sequence[tuple[float, float]]
) -> dict[str, tuple[float, float]]:
    """(lon, lat) of each place of ``level``: communes' representative points, population-weighted
    for territories (a point to draw a line to, not a geometric centre)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    groups = places.groups(level)
    w = np.maximum(places.population, 1.0)
    out = {}
    for g, code in enumerate(groups.codes.tolist()):
        m = groups.of_commune == g
        out[str(code)] = (float(np.average(pts[m, 0], weights=w[m])), float(np.average(pts[m, 1], weights=w[m])))
    return out
