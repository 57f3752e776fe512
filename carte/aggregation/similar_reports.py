"""Ranking the reports near a point by how much their text looks like a title being typed.

The text similarity is the one of the issue groups (``issue_groups``): texts accent-folded,
lowercased and stripped of French stop words (``text.normalise``), vectorised in character
n-grams of 3 to 5 letters (``issue_groups.tfidf_matrix``), compared by cosine, and a pair
counts as alike from ``inputs.MIN_SIMILARITY`` (shared with the issue groups). The typed title is compared with each
report's title and with its title and description together (the text issue groups compare);
the better of the two counts, so that a long description does not hide a title that says the
same thing. The vocabulary and IDF are learnt on the query and its candidates only (a few
dozen texts within 150 m), as issue groups learn them on the texts they compare.

Pure: numpy and scikit-learn on plain lists, no Flask and no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .inputs import EARTH_RADIUS_M, METRES_PER_DEGREE, MIN_SIMILARITY, RADIUS_M
from .text import normalise

__all__ = ["EARTH_RADIUS_M", "MIN_SIMILARITY", "RADIUS_M", "haversine_m", "degree_box", "text_scores", "rank"]


def haversine_m(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Great-circle distances in metres from (lat0, lon0) to each point (degrees)."""
    phi, phi0 = np.radians(lat), np.radians(lat0)
    dphi = phi - phi0
    dlmb = np.radians(lon) - np.radians(lon0)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi0) * np.cos(phi) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def degree_box(lat0: float, radius_m: float) -> tuple[float, float]:
    """Half-sides (in degrees of latitude and longitude) of a box holding the circle, with 1 % to spare."""
    dlat = radius_m / METRES_PER_DEGREE * 1.01
    return dlat, dlat / max(np.cos(np.radians(lat0)), 1e-6)


def text_scores(query: str, titles: Sequence[str], descriptions: Sequence[str]) -> np.ndarray:
    """For each report, the TF-IDF cosine of ``query`` with its title or with its title and
    description, whichever is higher (see the module docstring); 0 for an empty text."""
    n = len(titles)
    if n == 0:
        return np.zeros(0)
    q = normalise(query)
    if not q:
        return np.zeros(n)
    own = [normalise(t or "") for t in titles]
    full = [normalise(f"{t or ''} {d or ''}") for t, d in zip(titles, descriptions)]
    distinct, inverse = np.unique(np.asarray([q, *own, *full], dtype=object), return_inverse=True)
    inverse = inverse.ravel()
    from .issue_groups import tfidf_matrix  # scikit-learn loads on the first query, not at start-up

    vectors = tfidf_matrix(distinct.tolist())
    cosines = np.asarray((vectors @ vectors[inverse[0]].T).toarray()).ravel()
    per_text = cosines[inverse]
    return np.maximum(per_text[1 : 1 + n], per_text[1 + n :])


def rank(
    scores: np.ndarray, distances: np.ndarray, keys: Sequence, *, min_similarity: float = MIN_SIMILARITY, limit: int = 5
) -> list[int]:
    """Positions of the alike reports (score >= min_similarity), best first: higher score,
    then nearer, then ``keys`` (ids) for a stable order; at most ``limit``."""
    alike = [i for i in range(len(scores)) if scores[i] >= min_similarity]
    alike.sort(key=lambda i: (-round(float(scores[i]), 6), float(distances[i]), keys[i]))
    return alike[:limit]
