"""Benchmark: GET /api/v1/reports/similar (issue 13, « avant de déposer ») at a million reports.

Run from the repository root on a COPY of the 1M SpatiaLite file (migrated to 0008), and/or a
PostGIS database that is only read:
    cp /work/bench-data/1m.sqlite /work/bench-data/similar.sqlite
    DATABASE_URL=sqlite:////work/bench-data/similar.sqlite .venv/bin/flask --app wsgi db upgrade
    .venv/bin/python bench/similar.py --sqlite /work/bench-data/similar.sqlite [--pg postgresql+psycopg://...]

N random queries (seeded, default 200): a point 0–120 m from a random report (queries follow
the density of reports, as residents' pins do), that report's theme, and a title that is
either its own title, another report's title, or its title with a word added. Each query is
answered, side by side in the same run, in two ways:
  - index: the route itself through the Flask test client (server time, no network): the
    in-memory ReportIndex prefilter, then the candidates' texts read by id;
  - index (use case alone): the same without HTTP, routing and JSON (like the naive one);
  - naive: the reference without the index: an SQL bbox query on (lon, lat, theme, status)
    reading every candidate's text, then the same Python similarity and ranking.
Prints p50/p95/max in ms for each, how often both give the same ids, the candidates per query,
and the load average (`uptime`) before and after: the machine is shared, figures are noisy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import select  # noqa: E402

from carte import create_app  # noqa: E402
from carte.aggregation.similar_reports import degree_box, haversine_m, rank, text_scores  # noqa: E402
from carte.extensions import db  # noqa: E402
from carte.models import Report, Theme  # noqa: E402
from carte.reports.similar import LIMIT, MIN_SIMILARITY, RADIUS_M, SimilarQuery, similar_reports  # noqa: E402
from carte.web.aggregates import service as aggregates_service  # noqa: E402

EARTH_RADIUS_M = 6_371_008.8


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def stats(values) -> str:
    a = np.asarray(values, dtype=float)
    return f"p50 {np.percentile(a, 50):7.1f}  p95 {np.percentile(a, 95):7.1f}  max {a.max():7.1f}"


def naive(session, lat: float, lon: float, theme_id: int, title: str) -> list[str]:
    """The reference: a bbox query in SQL (the (lon, lat) index), every candidate's text, Python ranking."""
    dlat, dlon = degree_box(lat, RADIUS_M)
    t = Report.__table__.c
    rows = session.execute(
        select(t.id, t.public_id, t.title, t.description, t.lat, t.lon).where(
            t.lon.between(lon - dlon, lon + dlon),
            t.lat.between(lat - dlat, lat + dlat),
            t.theme_id == theme_id,
            t.status == "published",
            t.progress != "duplicate",
        )
    ).all()
    if not rows:
        return []
    dist = haversine_m(np.array([r.lat for r in rows]), np.array([r.lon for r in rows]), lat, lon)
    near = [i for i in range(len(rows)) if dist[i] <= RADIUS_M]
    rows = [rows[i] for i in near]
    dist = dist[near]
    if not rows:
        return []
    scores = text_scores(title, [r.title for r in rows], [r.description for r in rows])
    best = rank(scores, dist, [r.id for r in rows], min_similarity=MIN_SIMILARITY, limit=LIMIT)
    return [rows[i].public_id for i in best]


def queries(app, n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    with app.app_context():
        index = aggregates_service().index
        index.sync(db.session)
        cols = index.columns
        slugs = dict(db.session.execute(select(Theme.id, Theme.slug)).all())
        picks = rng.integers(0, len(index), n)
        ids = cols["id"][picks].tolist()
        titles = dict(db.session.execute(select(Report.id, Report.title).where(Report.id.in_(ids))).all())
        others = [t for (t,) in db.session.execute(select(Report.title).distinct()).all()]
        out = []
        for k, p in enumerate(picks.tolist()):
            distance = rng.uniform(0, 120)
            bearing = rng.uniform(0, 2 * np.pi)
            lat0, lon0 = float(cols["lat"][p]), float(cols["lon"][p])
            lat = lat0 + np.degrees(distance * np.cos(bearing) / EARTH_RADIUS_M)
            lon = lon0 + np.degrees(distance * np.sin(bearing) / EARTH_RADIUS_M) / np.cos(np.radians(lat0))
            own = titles[int(cols["id"][p])]
            title = [own, others[int(rng.integers(0, len(others)))], f"{own} encore"][k % 3]
            out.append(
                {
                    "lat": f"{lat:.6f}",
                    "lon": f"{lon:.6f}",
                    "theme": slugs[int(cols["theme_id"][p])],
                    "title": title,
                    "theme_id": int(cols["theme_id"][p]),
                }
            )
        return out


def run(label: str, url: str, n: int, seed: int) -> None:
    app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    print(f"\n== {label}: {url.split('@')[-1]}")
    print(f"before: {uptime()}")
    t = time.perf_counter()
    with app.app_context():
        aggregates_service().index.sync(db.session)
        rows = len(aggregates_service().index)
    print(f"index load: {time.perf_counter() - t:.1f} s for {rows} reports")
    qs = queries(app, n, seed)
    client = app.test_client()
    for q in qs[:5]:  # warm-up: first requests compile templates, open connections
        client.get("/api/v1/reports/similar", query_string={k: q[k] for k in ("lat", "lon", "theme", "title")})
    fast, alone, slow, same, found, cands = [], [], [], 0, [], []
    for q in qs:
        params = {k: q[k] for k in ("lat", "lon", "theme", "title")}
        t = time.perf_counter()
        response = client.get("/api/v1/reports/similar", query_string=params)
        fast.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.get_json()
        ids = [r["id"] for r in response.get_json()["reports"]]
        found.append(len(ids))
        with app.app_context():
            query = SimilarQuery(float(q["lat"]), float(q["lon"]), q["theme"], q["title"])
            t = time.perf_counter()
            similar_reports(db.session, aggregates_service().index, query, q["theme_id"])
            alone.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            reference = naive(db.session, float(q["lat"]), float(q["lon"]), q["theme_id"], q["title"])
            slow.append((time.perf_counter() - t) * 1000)
            index = aggregates_service().index
            dlat, dlon = degree_box(float(q["lat"]), RADIUS_M)
            c = index.columns
            m = (
                (np.abs(c["lat"] - float(q["lat"])) <= dlat)
                & (np.abs(c["lon"] - float(q["lon"])) <= dlon)
                & (c["theme_id"] == q["theme_id"])
            )
            cands.append(int(m.sum()))
        same += ids == reference
    print(
        f"{len(qs)} queries; answers with 0..5 reports: {np.bincount(found, minlength=6).tolist()}; "
        f"candidates in the box p50 {np.percentile(cands, 50):.0f} p95 {np.percentile(cands, 95):.0f} max {max(cands)}"
    )
    print(f"index (route, test client) ms: {stats(fast)}")
    print(f"index (use case alone)     ms: {stats(alone)}")
    print(f"naive (SQL bbox + Python)  ms: {stats(slow)}")
    print(f"same ids as the reference: {same}/{len(qs)}")
    print(f"after: {uptime()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", help="path of a COPY of the 1M SpatiaLite file, migrated to 0008")
    parser.add_argument("--pg", help="PostGIS URL (only read)")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if not (args.sqlite or args.pg):
        parser.error("give --sqlite and/or --pg")
    os.environ.setdefault("CARTE_SOURCES", "/work/shared/data")
    if args.sqlite:
        run("SpatiaLite", f"sqlite:///{Path(args.sqlite).resolve()}", args.n, args.seed)
    if args.pg:
        run("PostGIS", args.pg, args.n, args.seed)


if __name__ == "__main__":
    main()
