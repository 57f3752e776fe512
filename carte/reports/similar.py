"""« Ces signalements existent déjà près d'ici »: the published reports like the one being typed.

Before a resident files a report, the form asks for the reports of the same theme within
150 m (true metres, haversine) whose text looks like the typed title (the issue groups'
similarity, see ``carte.aggregation.similar_reports``), at most five, best first.

At a million reports this must answer in tens of milliseconds: the in-memory ``ReportIndex``
(shared with the aggregates and the map) finds the published reports of the theme in a small
box around the point with a few vectorised masks; only those candidates' texts are read from
the database, by id. Reports marked as duplicates are left out (their supports moved to the
report they duplicate, which is the one to support).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from carte.aggregation.similar_reports import MIN_SIMILARITY, RADIUS_M, degree_box, haversine_m, rank, text_scores
from carte.errors import CarteError
from carte.models import Report, Theme
from carte.reports.validation import TITLE_MAX, TITLE_MIN, _coordinate
from carte.storage.report_index import STATUSES, ReportIndex
from carte.text import clean_text

LIMIT = 5
# Beyond this many candidates in the circle (a hotspot), only the nearest are compared.
MAX_CANDIDATES = 400
PUBLISHED = STATUSES.index("published")


@dataclass(frozen=True)
class SimilarQuery:
    lat: float
    lon: float
    theme: str
    title: str


@dataclass(frozen=True)
class SimilarReport:
    public_id: str
    title: str
    distance_m: float
    support_count: int
    created_at: datetime
    progress: str | None
    similarity: float
    lat: float
    lon: float


def parse_query(args: Mapping, themes: Mapping[str, Theme], atlas) -> SimilarQuery:
    """The query string checked field by field: CarteError (422) naming the field otherwise."""
    lat = _coordinate(args, "lat", -90.0, 90.0)
    lon = _coordinate(args, "lon", -180.0, 180.0)
    if atlas.place(lon, lat) is None:
        raise CarteError("outside_area", "Ce point est en dehors de la Métropole du Grand Paris.", "lat")
    theme = clean_text(args.get("theme"), "theme", required=True, max_len=40)
    if theme not in themes:
        raise CarteError("unknown_theme", "Thème inconnu.", "theme")
    title = clean_text(args.get("title"), "title", required=True, min_len=TITLE_MIN, max_len=TITLE_MAX)
    return SimilarQuery(lat=lat, lon=lon, theme=theme, title=title)


def candidates(
    index: ReportIndex,
    theme_id: int,
    lat: float,
    lon: float,
    radius_m: float = RADIUS_M,
    max_candidates: int = MAX_CANDIDATES,
) -> tuple[np.ndarray, np.ndarray]:
    """Ids and distances (m) of the published reports of a theme within ``radius_m``, nearest first.

    The caller has synced the index. The database checks the status again when the rows are read.
    """
    c = index.columns
    dlat, dlon = degree_box(lat, radius_m)
    # The latitude band first (300 m of the Métropole's 35 km: about one report in a hundred), so
    # the other masks and the distances are computed on that few only. Two comparisons rather than
    # abs(lat - lat0) <= dlat: no temporary array of a million floats (ten times faster).
    lats = c["lat"]
    band = np.flatnonzero((lats >= lat - dlat) & (lats <= lat + dlat))
    lons = c["lon"][band]
    band = band[
        (lons >= lon - dlon)
        & (lons <= lon + dlon)
        & (c["theme_id"][band] == theme_id)
        & (c["status"][band] == PUBLISHED)
    ]
    distances = haversine_m(c["lat"][band], c["lon"][band], lat, lon)
    inside = distances <= radius_m
    ids, distances = c["id"][band][inside], distances[inside]
    order = np.lexsort((ids, distances))[:max_candidates]
    return ids[order], distances[order]


def similar_reports(
    session: Session,
    index: ReportIndex,
    query: SimilarQuery,
    theme_id: int,
    *,
    radius_m: float = RADIUS_M,
    min_similarity: float = MIN_SIMILARITY,
    limit: int = LIMIT,
) -> list[SimilarReport]:
    index.sync(session)
    ids, distances = candidates(index, theme_id, query.lat, query.lon, radius_m)
    if not len(ids):
        return []
    distance_of = dict(zip(ids.tolist(), distances.tolist()))
    t = Report.__table__.c
    # By primary key alone, the rest checked here: with more conditions, a planner with stale
    # statistics (seen on PostgreSQL) may AND the theme and status indexes over the whole table.
    rows = [
        r
        for r in session.execute(
            select(
                t.id,
                t.public_id,
                t.title,
                t.description,
                t.support_count,
                t.created_at,
                t.progress,
                t.lat,
                t.lon,
                t.status,
                t.theme_id,
            ).where(t.id.in_(list(distance_of)))
        ).all()
        if r.status == "published" and r.theme_id == theme_id and r.progress != "duplicate"
    ]
    if not rows:
        return []
    scores = text_scores(query.title, [r.title for r in rows], [r.description for r in rows])
    dist = np.array([distance_of[r.id] for r in rows])
    best = rank(scores, dist, [r.id for r in rows], min_similarity=min_similarity, limit=limit)
    return [
        SimilarReport(
            public_id=rows[i].public_id,
            title=rows[i].title,
            distance_m=float(dist[i]),
            support_count=int(rows[i].support_count or 0),
            created_at=rows[i].created_at,
            progress=rows[i].progress,
            similarity=float(scores[i]),
            lat=rows[i].lat,
            lon=rows[i].lon,
        )
        for i in best
    ]
