"""Benchmark: the resident map's answer (GET /api/v1/reports?bbox=…&zoom=…) at a million reports.

Run from the repository root, on a COPY of the 1M database (the SQLite file is analysed here,
as `prepare_database` does at start-up) and/or a PostGIS database that is only read:
    cp /work/bench-data/1m.sqlite /tmp/1m.sqlite
    .venv/bin/python bench/map.py --sqlite /tmp/1m.sqlite --pg postgresql+psycopg://postgres@127.0.0.1:5432/carte_bench_1m

200 random views (seeded): zoom uniform in 10–17, a 1280×800 px viewport centred on a random
report (views follow the density of reports, as residents' do). Each view is asked, side by side
in the same run, in three ways, through the Flask test client (server time, no network):
  - zoom: the new answer (clusters above CARTE_MAP_POINT_THRESHOLD, else every report in view);
  - page: the paged answer without zoom (limit=500), as it is now (ids from the report index);
  - old: the query the map used before this change (limit=500, commune and arrondissement
    joined with their polygons, planner without statistics on SQLite), read and serialised the
    same way. It takes seconds a view on SQLite, so only `--old-views` views run it there.
Prints p50/p95/max in ms and the gzip size (level 6) of each answer, with the load average.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from flask import jsonify  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.orm import joinedload, undefer  # noqa: E402

from carte import create_app  # noqa: E402
from carte.extensions import db  # noqa: E402
from carte.models import Arrondissement, Commune, Report  # noqa: E402
from carte.reports.serialize import report_feature  # noqa: E402
from carte.storage.engine import optimize  # noqa: E402

WIDTH, HEIGHT = 1280, 800


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def view_bbox(lon: float, lat: float, zoom: int) -> tuple[float, float, float, float]:
    """The bbox of a WIDTH×HEIGHT px Web Mercator viewport centred on (lon, lat)."""
    world = 256 * 2**zoom
    x = (lon + 180) / 360 * world
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * world

    def lonlat(px, py):
        return px / world * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / world))))

    west, north = lonlat(x - WIDTH / 2, y - HEIGHT / 2)
    east, south = lonlat(x + WIDTH / 2, y + HEIGHT / 2)
    return west, south, east, north


def stats(values: list[float]) -> str:
    a = np.asarray(values)
    return f"p50 {np.percentile(a, 50):8.1f}  p95 {np.percentile(a, 95):8.1f}  max {a.max():8.1f}"


def old_query(bbox) -> bytes:
    """The map query before issue 10: joined loads carrying both polygons, status index, sort."""
    stmt = (
        select(Report)
        .options(
            joinedload(Report.commune).undefer(Commune.geom),
            joinedload(Report.arrondissement).undefer(Arrondissement.geom),
            undefer(Report.geom),
        )
        .where(Report.status.in_(("published",)))
        .where(Report.lon.between(bbox[0], bbox[2]), Report.lat.between(bbox[1], bbox[3]))
        .order_by(Report.id.desc())
        .limit(501)
    )
    rows = db.session.scalars(stmt).unique().all()[:500]
    body = jsonify({"type": "FeatureCollection", "features": [report_feature(r) for r in rows]}).get_data()
    db.session.rollback()
    return body


def run(url: str, views: int, old_views: int, seed: int, analyse: bool) -> None:
    app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    backend = "SpatiaLite" if url.startswith("sqlite") else "PostGIS"
    with app.app_context():
        n = db.session.scalar(text("SELECT COUNT(*) FROM reports"))
        sample = db.session.execute(text("SELECT lon, lat FROM reports WHERE id % 997 = 0")).all()
    rng = np.random.default_rng(seed)
    picks = [sample[i] for i in rng.integers(0, len(sample), views)]
    zooms = rng.integers(10, 18, views).tolist()
    boxes = [view_bbox(lon, lat, z) for (lon, lat), z in zip(picks, zooms)]
    print(
        f"\n== {backend}: {n:,} reports, {views} views (zoom 10–17), threshold "
        f"{app.config['CARTE_MAP_POINT_THRESHOLD']}; load average {os.getloadavg()}"
    )

    old_ms, old_kb = [], []
    with app.app_context():
        for box in boxes[:old_views]:
            t = time.perf_counter()
            body = old_query(box)
            old_ms.append((time.perf_counter() - t) * 1000)
            old_kb.append(len(gzip.compress(body, 6)) / 1024)
        if analyse:
            t = time.perf_counter()
            optimize(db.session)
            print(f"optimize() (ANALYZE): {time.perf_counter() - t:.1f} s")

    def bbox_param(box):
        return ",".join(f"{v:.5f}" for v in box)

    t = time.perf_counter()
    first = client.get("/api/v1/reports", query_string={"bbox": bbox_param(boxes[0]), "zoom": zooms[0]})
    assert first.status_code == 200, first.get_json()
    print(f"first request (loads the report index): {time.perf_counter() - t:.2f} s")

    results = {"zoom": ([], [], []), "page": ([], [], [])}
    for box, zoom in zip(boxes, zooms):
        for name, query in (("zoom", {"zoom": zoom}), ("page", {"limit": 500})):
            t = time.perf_counter()
            response = client.get("/api/v1/reports", query_string={"bbox": bbox_param(box), **query})
            elapsed = (time.perf_counter() - t) * 1000
            assert response.status_code == 200, response.get_json()
            ms, kb, meta = results[name]
            ms.append(elapsed)
            kb.append(len(gzip.compress(response.data, 6)) / 1024)
            body = response.get_json()
            meta.append((body["total"], body["clustered"], len(body["features"])))
    for name, label in (("zoom", "zoom (new answer)"), ("page", "limit=500, no zoom (paged, now)")):
        ms, kb, meta = results[name]
        print(f"{label:34s} ms: {stats(ms)} | gzip KB: {stats(kb)}")
    if old_ms:
        print(
            f"{'old query, limit=500 (' + str(len(old_ms)) + ' views)':34s} ms: {stats(old_ms)} | gzip KB: {stats(old_kb)}"
        )
    meta = results["zoom"][2]
    clustered = sum(1 for _, c, _ in meta if c)
    totals = [t for t, _, _ in meta]
    print(
        f"zoom answers: {clustered}/{len(meta)} clustered; total in view p50 {int(np.median(totals)):,}, "
        f"max {max(totals):,}; features max {max(f for _, _, f in meta)}"
    )
    by_zoom = {}
    for z, ms in zip(zooms, results["zoom"][0]):
        by_zoom.setdefault(z, []).append(ms)
    print(
        "zoom answer p95 by zoom: " + ", ".join(f"z{z} {np.percentile(v, 95):.0f}" for z, v in sorted(by_zoom.items()))
    )
    rss = int(Path(f"/proc/{os.getpid()}/status").read_text().split("VmRSS:")[1].split()[0]) // 1024
    print(f"RSS of this process after the run: {rss} MB; load average {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", help="a COPY of the 1M SpatiaLite file (it gets ANALYZEd)")
    parser.add_argument("--pg", help="a PostGIS URL (only read)")
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--old-views", type=int, default=None, help="views for the old query (SQLite default 10)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores (nproc), {cpu_model()}; python {platform.python_version()}")
    if args.sqlite:
        run(
            f"sqlite:///{Path(args.sqlite).resolve()}",
            args.views,
            10 if args.old_views is None else args.old_views,
            args.seed,
            analyse=True,
        )
    if args.pg:
        run(args.pg, args.views, args.views if args.old_views is None else args.old_views, args.seed, analyse=False)


if __name__ == "__main__":
    main()
