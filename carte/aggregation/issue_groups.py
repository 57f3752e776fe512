"""Issue groups: reports of one theme that describe the same thing in the same place.

Two reports are linked when they share a theme, lie within ``radius_m`` metres (haversine) and
their texts have a TF-IDF cosine of at least ``min_similarity``. Groups are the connected
components of that graph with at least ``min_size`` members; commune borders play no role. Because linking is transitive, a chain of close reports can stretch a group beyond
``radius_m``; ``extent_m`` reports how far its members lie from the centroid.

Texts (title + description) are accent-folded, lowercased and stripped of French stop words, then
vectorised with character n-grams (3 to 5 letters, within words): robust to plurals, typos and
"nid-de-poule" / "nids de poules" variants, which word tokens would miss on short texts.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

from .inputs import EARTH_RADIUS_M, METRES_PER_DEGREE, MIN_SIMILARITY, RADIUS_M, Places, ReportArrays
from .privacy import finish
from .text import normalise

MIN_SIZE = 2
DENSE_TEXTS = 3000  # distinct texts up to which all their cosines are precomputed (36 MB)


def _texts(reports: ReportArrays) -> list[str]:
    titles = reports.title if reports.title is not None else np.full(len(reports), "", dtype=object)
    descriptions = reports.description if reports.description is not None else np.full(len(reports), "", dtype=object)
    return [normalise(f"{t or ''} {d or ''}") for t, d in zip(titles.tolist(), descriptions.tolist())]


def tfidf_matrix(texts: list[str]) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows (one per text), so that a dot product is a cosine similarity."""
    if not any(texts):
        return sparse.csr_matrix((len(texts), 1))
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=False)
    return vectoriser.fit_transform(texts).tocsr()


def issue_groups(
    reports: ReportArrays,
    places: Places | None = None,
    *,
    radius_m: float = RADIUS_M,
    min_similarity: float = MIN_SIMILARITY,
    min_size: int = MIN_SIZE,
    exact: bool = False,
    min_count: int = 3,
) -> dict:
    """Groups of near-duplicate reports; cross-commune groups first, then by size.

    ``places`` is needed only when ``reports.commune`` holds row indices rather than INSEE codes.
    Public output (``exact=False``) withholds groups smaller than ``min_count``.
    """
    result = {
        "kind": "issue_groups",
        "radius_m": radius_m,
        "min_similarity": min_similarity,
        "reports": len(reports),
        "groups": [],
        "exact": True,
    }
    if len(reports) >= 2:
        result["groups"] = _groups(reports, places, radius_m, min_similarity, min_size)
    return finish(result, exact, min_count)


def _commune_codes(reports: ReportArrays, places: Places | None) -> np.ndarray:
    if reports.commune.dtype.kind in "iu":
        if places is None:
            return reports.commune.astype(str).astype(object)
        return places.code[reports.commune]
    return reports.commune.astype(str).astype(object)


class TextSimilarity:
    """Cosine similarity between the texts of reports, computed once per distinct text.

    Reports repeat themselves (the same complaint, a service's category as a title), so
    vectors are built for the distinct texts only, and their IDF is learnt on those: a
    complaint repeated a hundred times does not make its own words less telling. Up to
    DENSE_TEXTS distinct texts, every cosine is precomputed once and pairs are looked up.
    """

    def __init__(self, texts: list[str]):
        distinct, self.text_of = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
        self.text_of = self.text_of.ravel()
        self.vectors = tfidf_matrix(distinct.tolist())
        self.table = (
            (self.vectors @ self.vectors.T).toarray().astype(np.float32) if len(distinct) <= DENSE_TEXTS else None
        )

    def report_vectors(self, rows: np.ndarray) -> sparse.csr_matrix:
        return self.vectors[self.text_of[rows]]

    def block(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """(len(rows), len(columns)) cosines between two sets of reports."""
        if self.table is not None:
            return self.table[np.ix_(self.text_of[rows], self.text_of[columns])]
        return (self.report_vectors(rows) @ self.report_vectors(columns).T).toarray()


def linked_pairs(
    reports: ReportArrays, similarity: TextSimilarity, radius_m: float, min_similarity: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of the same theme, within ``radius_m`` and at least ``min_similarity`` alike.

    Reports are bucketed on a grid of cells as wide as the radius, so a report's possible
    partners lie in its own cell and the eight around it. Each cell's reports are compared with
    those candidates at once: one vectorised haversine block and one block of cosines.
    """
    found_i, found_j = [], []
    lat, lon = np.radians(reports.lat), np.radians(reports.lon)
    gy = np.floor(reports.lat * METRES_PER_DEGREE / radius_m).astype(np.int64)
    gx = np.floor(reports.lon * METRES_PER_DEGREE * np.cos(np.radians(reports.lat.mean())) / radius_m).astype(np.int64)
    for theme in np.unique(reports.theme):
        members = np.flatnonzero(reports.theme == theme)
        if len(members) < 2:
            continue
        uniq, inverse = np.unique(np.stack([gx[members], gy[members]], axis=1), axis=0, return_inverse=True)
        inverse = inverse.ravel()
        order = np.argsort(inverse, kind="stable")
        bounds = np.r_[0, np.cumsum(np.bincount(inverse, minlength=len(uniq)))]
        cells = {(cx, cy): members[order[bounds[k] : bounds[k + 1]]] for k, (cx, cy) in enumerate(uniq.tolist())}
        for (cx, cy), rows in cells.items():
            around = [cells[c] for c in ((cx + dx, cy + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)) if c in cells]
            candidates = np.concatenate(around)
            near = _haversine_block(lat[rows], lon[rows], lat[candidates], lon[candidates]) <= radius_m
            near &= rows[:, None] < candidates[None, :]
            if not near.any():
                continue
            a, b = np.nonzero(near & (similarity.block(rows, candidates) >= min_similarity))
            found_i.append(rows[a])
            found_j.append(candidates[b])
    if not found_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(found_i), np.concatenate(found_j)


def _haversine_block(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Distances in metres between every point of a block (radians) and every point of a set."""
    dphi = lat2[None, :] - lat1[:, None]
    dlmb = lon2[None, :] - lon1[:, None]
    a = np.sin(dphi / 2) ** 2 + np.cos(lat1)[:, None] * np.cos(lat2)[None, :] * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _groups(reports: ReportArrays, places, radius_m, min_similarity, min_size) -> list[dict]:
    similarity = TextSimilarity(_texts(reports))
    i, j = linked_pairs(reports, similarity, radius_m, min_similarity)
    if len(i) == 0:
        return []
    involved = np.unique(np.concatenate([i, j]))
    local = np.full(len(reports), -1, dtype=np.int64)
    local[involved] = np.arange(len(involved))
    sub = reports.subset(involved)
    vectors = similarity.report_vectors(involved)
    li, lj = local[i], local[j]
    n = len(involved)
    graph = sparse.coo_matrix((np.ones(len(li)), (li, lj)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    sizes = np.bincount(label)
    codes = _commune_codes(sub, places)
    nom_of = dict(zip(places.code.tolist(), places.nom.tolist())) if places is not None else {}
    # Mean similarity of each report to the other members of its group, without per-group matrix
    # products: rows are L2-normalised, so v_i . (sum of the group's vectors) = 1 + sum of its
    # similarities to the others (0 + ... for an empty text).
    n_groups = len(sizes)
    indicator = sparse.csr_matrix((np.ones(n), (label, np.arange(n))), shape=(n_groups, n))
    group_sums = (indicator @ vectors).tocsr()
    self_sim = np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel()
    to_group = np.asarray(vectors.multiply(group_sums[label]).sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_sim_all = np.where(sizes[label] > 1, (to_group - self_sim) / (sizes[label] - 1), 0.0)
    order = np.argsort(label, kind="stable")
    bounds = np.r_[0, np.cumsum(sizes)]
    groups = []
    for k in np.flatnonzero(sizes >= min_size):
        members = order[bounds[k] : bounds[k + 1]]
        mean_sim = mean_sim_all[members]
        best = members[int(np.argmax(mean_sim))]
        lat, lon = sub.lat[members], sub.lon[members]
        c_lat, c_lon = float(lat.mean()), float(lon.mean())
        extent = _haversine_m(lat, lon, c_lat, c_lon).max()
        communes = sorted(set(codes[members].tolist()))
        title = sub.title[best] if sub.title is not None else None
        groups.append(
            {
                "theme": sub.themes[int(sub.theme[best])],
                "size": int(len(members)),
                "ids": sorted(str(x) for x in sub.id[members].tolist()),
                "centroid": [round(c_lon, 7), round(c_lat, 7)],
                "extent_m": round(float(extent), 1),
                "communes": [{"code": c, "nom": nom_of.get(c, c)} for c in communes],
                "cross_border": len(communes) >= 2,
                "title": None if title is None else str(title),
                "representative_id": str(sub.id[best]),
                "mean_similarity": round(float(mean_sim.mean()), 4),
            }
        )
    groups.sort(key=lambda g: (-(len(g["communes"]) > 1), -g["size"], g["ids"][0]))
    return groups


def _haversine_m(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(lat0)
    dphi, dlmb = p2 - p1, np.radians(lon0 - lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
