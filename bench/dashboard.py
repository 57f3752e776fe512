"""Benchmark: the facilitators' dashboard data endpoints over 100,000 reports.

Run from the repository root:
    .venv/bin/python bench/dashboard.py [--db instance/bench-dashboard.sqlite] [--n 100000] [--seed 7]

The SpatiaLite database is created with `flask carte generate` on first use, then reused.
A facilitator is logged in through the test client and every endpoint that a filter change
calls is timed over 20 varied filters, with the result cache cleared before each call (the
cost of a filter never seen before). "filter change" is the sum of all of them for one
filter state: the browser sends them in parallel, so this is an upper bound on the server
time a change costs; "map + tables + charts" leaves out the issue groups, which the page
draws when they arrive, after the rest. The goal is 300 ms at p95. Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.aggregation import COMMUNES, THEMES, ensure_data, percentile, varied_filters  # noqa: E402
from carte import create_app  # noqa: E402
from carte.extensions import db  # noqa: E402
from carte.web.aggregates import service  # noqa: E402

GOAL_MS = 300
PASSWORD = "bench-password-not-secret"


def login(app, client) -> None:
    from sqlalchemy import select

    from carte.accounts import create_user
    from carte.models.accounts import User

    email = "bench@example.org"
    with app.app_context():
        if db.session.scalar(select(User).where(User.email == email)) is None:
            create_user(db.session, email, PASSWORD, "facilitator")
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    response = client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)})
    assert response.status_code == 302, "login failed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "instance" / "bench-dashboard.sqlite"))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    db_path = Path(args.db).resolve()
    ensure_data(db_path, args.n, args.seed)

    app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "RATELIMIT_ENABLED": False})
    client = app.test_client()
    login(app, client)
    started = time.perf_counter()
    assert client.get("/api/v1/aggregates/territories?exact=1").status_code == 200  # loads the report index
    load_s = time.perf_counter() - started
    with app.app_context():
        total = len(service().index)

    filters = varied_filters()
    for i, q in enumerate(filters):  # the dashboard's status filter, sometimes
        if i % 6 == 5:
            q["status"] = "published,pending"
    levels = ["commune", "territoire", "departement"]
    calls = {
        "territories (map level)": lambda i, q: ("/api/v1/aggregates/territories", {**q, "level": levels[i % 3]}),
        "territories (table)": lambda i, q: ("/api/v1/aggregates/territories", {**q, "level": "territoire"}),
        "territories (ranking)": lambda i, q: ("/api/v1/aggregates/territories", {**q, "level": "metropole"}),
        "shared-needs": lambda i, q: ("/api/v1/aggregates/shared-needs", q),
        "hotspots": lambda i, q: ("/api/v1/aggregates/hotspots", q),
        "heatmap": lambda i, q: ("/api/v1/aggregates/heatmap", {**q, "zoom": 11}),
        "chronologie": lambda i, q: ("/api/v1/animation/chronologie", q),
        "issue-groups (one commune)": lambda i, q: (
            "/api/v1/aggregates/issue-groups",
            {**{k: v for k, v in q.items() if k not in ("territoire", "departement")}, "commune": COMMUNES[i]},
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    per_change: list[float] = []
    first_paint: list[float] = []  # everything but issue groups, which the page draws after the rest
    for i, query in enumerate(filters):
        change = 0.0
        for name, make in calls.items():
            path, params = make(i, dict(query))
            with app.app_context():
                service().clear_cache()
            t0 = time.perf_counter()
            response = client.get(path, query_string={**params, "exact": 1})
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200, (name, params, response.get_json())
            times[name].append(elapsed)
            change += elapsed
        per_change.append(change)
        first_paint.append(change - times["issue-groups (one commune)"][-1])

    print(
        f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()} · load average {os.getloadavg()[0]:.1f} at the end of the run"
    )
    print(
        f"SpatiaLite database {db_path.name}: {total:,} reports; report index loaded in {load_s:.2f} s (once per process)"
    )
    print(
        f"20 varied filters (themes {', '.join(THEMES[:2])}…, territories, départements, dates, tags, statuses), "
        "exact figures, cache cleared before each call.\n"
    )
    print(f"{'endpoint':<30}{'p50 ms':>9}{'p95 ms':>9}")
    for name, values in times.items():
        print(f"{name:<30}{percentile(values, 50):>9.1f}{percentile(values, 95):>9.1f}")
    for label, values in (("map + tables + charts (sum)", first_paint), ("all, with issue groups (sum)", per_change)):
        p95 = percentile(values, 95)
        verdict = "met" if p95 <= GOAL_MS else "MISSED"
        print(f"{label:<30}{percentile(values, 50):>9.1f}{p95:>9.1f}  goal ≤ {GOAL_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
