"""Benchmark: Open311 servicerequestupdates, GET (a full page of 1000 updates) and POST, on SpatiaLite.

Run from the repository root:
    .venv/bin/python bench/open311_updates.py [--reports 500] [--updates 100000] [--calls 20]

A fresh SpatiaLite file is prepared in a temporary folder; reports are filed through the API,
updates are inserted in bulk, spread over the last 90 days. GET runs `--calls` windows of 30
days (each one returns a full page); POST goes through the route and `post_update`. Figures are
medians and 95th percentiles in milliseconds; no goal is set by the brief.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from carte import create_app  # noqa: E402
from carte.extensions import db  # noqa: E402
from carte.geo.atlas import get_atlas  # noqa: E402
from carte.models import Report  # noqa: E402
from carte.models.followup import ReportUpdate  # noqa: E402
from carte.open311.keys import issue_key  # noqa: E402
from carte.storage.setup import prepare_database  # noqa: E402

SAINT_DENIS = (2.3597, 48.9356)


def quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(ordered):7.1f} ms, p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("config.TestConfig", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})
        prepare_database(app)
        client = app.test_client()
        for n in range(args.reports):
            lon, lat = SAINT_DENIS[0] + rng.uniform(-0.005, 0.005), SAINT_DENIS[1] + rng.uniform(-0.003, 0.003)
            response = client.post(
                "/api/v1/reports",
                json={
                    "theme": "mobilite",
                    "title": f"Signalement {n}",
                    "description": "Banc d'essai.",
                    "lat": lat,
                    "lon": lon,
                },
            )
            assert response.status_code == 201, response.get_json()
        now = datetime.now(UTC)
        with app.app_context():
            ids = list(db.session.scalars(select(Report.id)))
            public_ids = list(db.session.scalars(select(Report.public_id)))
            rows = [
                {
                    "report_id": rng.choice(ids),
                    "progress": rng.choice(["acknowledged", "in_progress", "fixed"]),
                    "text": f"Étape {i}",
                    "body_code": "93066",
                    "author_kind": "api",
                    "created_at": now - timedelta(seconds=rng.uniform(0, 89 * 86400)),
                }
                for i in range(args.updates)
            ]
            for start in range(0, len(rows), 10_000):
                db.session.execute(insert(ReportUpdate), rows[start : start + 10_000])
            db.session.commit()
            key = issue_key(db.session, "bench", "93066", get_atlas(app).bodies)

        for fmt in ("json", "xml"):
            timings = []
            for _ in range(args.calls):
                end = now - timedelta(days=rng.uniform(0, 55))
                params = {"start_date": (end - timedelta(days=30)).isoformat(), "end_date": end.isoformat()}
                started = time.perf_counter()
                response = client.get(f"/open311/v2/servicerequestupdates.{fmt}", query_string=params)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            print(f"GET servicerequestupdates.{fmt} (1000 of {args.updates} updates): {quantiles(timings)}")
        timings = []
        for n in range(args.calls):
            started = time.perf_counter()
            response = client.post(
                "/open311/v2/servicerequestupdates.json",
                data={
                    "api_key": key,
                    "service_request_id": rng.choice(public_ids),
                    "status": "in_progress",
                    "description": f"Passage {n}",
                },
            )
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.data
        print(f"POST servicerequestupdates.json: {quantiles(timings)}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
