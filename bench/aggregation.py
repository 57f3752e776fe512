"""Benchmark: the aggregates endpoints over many synthetic reports, against a naive SQL scan.

Run from the repository root:
    .venv/bin/python bench/aggregation.py [--db instance/bench.sqlite] [--n 1000000] [--seed 42]

The database is created and filled with `flask carte generate` on first use (about a quarter
of an hour for a million reports on SpatiaLite), then reused. Each endpoint runs 20 varied
filters through the Flask test client with the result cache cleared, so every call computes.
The naive figures read the filtered rows from SQL on every call and feed the same
aggregation functions: the ratio shows what the in-memory report index buys.
Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from carte import aggregation, create_app  # noqa: E402
from carte.domain import ReportFilter  # noqa: E402
from carte.extensions import db  # noqa: E402
from carte.models import Report, Theme  # noqa: E402
from carte.storage.reports import apply_filter  # noqa: E402
from carte.web.aggregates import service  # noqa: E402

GOALS_MS = {
    "territories": 100,
    "shared-needs": 200,
    "hotspots": 1000,
    "issue-groups": 1000,
    "heatmap": None,
    "similar-places": 200,
    "passerelles": 300,
}
THEMES = ["mobilite", "logement", "espaces-publics-proprete", "environnement-nature", "sante-services"]
TERRITOIRES = ["75056", "200057867", "200057875", "200057941", "200058014"]
DEPARTEMENTS = ["75", "92", "93", "94"]
COMMUNES = [
    "93048",
    "94080",
    "92012",
    "93066",
    "94028",
    "92050",
    "93070",
    "94081",
    "92040",
    "93001",
    "94068",
    "92026",
    "93008",
    "94017",
    "92004",
    "93055",
    "94046",
    "92062",
    "93064",
    "94052",
]


def varied_filters() -> list[dict]:
    """20 filters mixing themes, places, dates and tags, as a facilitator's clicks would."""
    out = []
    for i in range(20):
        q: dict = {}
        if i % 2 == 0:
            q["theme"] = THEMES[i % len(THEMES)]
        if i % 4 == 1:
            q["theme"] = ",".join(THEMES[:3])
        if i % 5 == 2:
            q["territoire"] = TERRITOIRES[i % len(TERRITOIRES)]
        if i % 5 == 3:
            q["departement"] = DEPARTEMENTS[i % len(DEPARTEMENTS)]
        if i % 3 == 0:
            month = 1 + i % 11
            q["since"] = f"2026-{month:02d}-01"
            q["until"] = f"2026-{month + 1:02d}-15"
        if i % 7 == 4:
            q["tag"] = "urgent"
        out.append(q)
    return out


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def ensure_data(db_path: Path, n: int, seed: int) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}"}
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
    db_path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([*flask, "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True, capture_output=True)
    app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    with app.app_context():
        have = db.session.scalar(select(func.count(Report.id)))
    if have >= n:
        return
    subprocess.run([*flask, "carte", "load-places"], cwd=ROOT, env=env, check=True)
    subprocess.run([*flask, "carte", "seed", "--no-demo"], cwd=ROOT, env=env, check=True)
    print(f"Generating {n - have} synthetic reports in {db_path} (one-off)...", flush=True)
    subprocess.run(
        [*flask, "carte", "generate", "--n", str(n - have), "--seed", str(seed)], cwd=ROOT, env=env, check=True
    )


def naive(name: str, flt: ReportFilter, query: dict):
    """The same computation, reading the filtered rows from SQL every time."""
    agg = service()
    if name in ("territories", "shared-needs"):
        rows = db.session.execute(
            apply_filter(select(Report.commune_code, Theme.slug, Report.contributor).join(Theme), flt)
        ).all()
        cols = list(zip(*rows)) if rows else [(), (), ()]
        table = aggregation.CountTable(
            commune=np.asarray(cols[0], dtype=object),
            theme=np.asarray(cols[1], dtype=object),
            count=np.ones(len(rows), dtype=np.int64),
            themes=tuple(sorted(set(cols[1]))),
            contributor=np.asarray([c or "" for c in cols[2]], dtype=object),
        )
        if name == "territories":
            return aggregation.territory_stats(table, agg.places, query.get("level", "commune"))
        return aggregation.shared_needs(table, agg.places)
    if name in ("heatmap", "hotspots"):
        from dataclasses import replace

        column = Report.h3_8
        rows = db.session.execute(apply_filter(select(column, Theme.slug).join(Theme), replace(flt, themes=()))).all()
        cells = np.asarray([r[0] for r in rows], dtype=object)
        if name == "heatmap":
            return aggregation.heatmap(cells, zoom=11)
        theme = flt.themes[0] if flt.themes else THEMES[0]
        mask = np.asarray([r[1] == theme for r in rows], dtype=bool)
        study = aggregation.StudyArea.from_cells(cells, resolution=8)
        return aggregation.hotspots(
            cells[mask], None, study, theme=theme, cell_places=agg.cell_places, places=agg.places
        )
    return None  # issue groups already read their rows from SQL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "instance" / "bench.sqlite"))
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--naive-filters", type=int, default=5, help="how many filters to time naively (0: none)")
    args = parser.parse_args()
    db_path = Path(args.db).resolve()
    ensure_data(db_path, args.n, args.seed)

    app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "RATELIMIT_ENABLED": False})
    client = app.test_client()
    with app.app_context():
        total = db.session.scalar(select(func.count(Report.id)))
        started = time.perf_counter()
        agg = service()
        agg.index.sync(db.session)
        load_s = time.perf_counter() - started
        # Distinct-contributor orders are built once per grouping, then kept up to date as
        # reports arrive: build them before timing, as a running server has them.
        started = time.perf_counter()
        for level in ("commune", "territoire", "departement"):
            agg.territories(db.session, ReportFilter(), level)
        warm_s = time.perf_counter() - started
    print(
        f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs · Python {platform.python_version()}"
    )
    print(f"load average at start: {os.getloadavg()}")
    print(
        f"SpatiaLite database {db_path.name}: {total:,} reports; report index loaded in {load_s:.1f} s, "
        f"distinct-contributor orders built in {warm_s:.1f} s (once per process)"
    )
    print(f"Naive figures over the first {args.naive_filters} filters (each call scans SQL).")

    filters = varied_filters()
    endpoints = {
        "territories": [{**q, "level": ["commune", "territoire", "departement"][i % 3]} for i, q in enumerate(filters)],
        "shared-needs": filters,
        "hotspots": [{**q, "theme": THEMES[i % len(THEMES)]} for i, q in enumerate(filters)],
        "issue-groups": [
            {**{k: v for k, v in q.items() if k not in ("territoire", "departement")}, "commune": COMMUNES[i]}
            for i, q in enumerate(filters)
        ],
        "heatmap": [{**q, "zoom": 10 + i % 4} for i, q in enumerate(filters)],
        "similar-places": [
            {
                **{k: v for k, v in q.items() if k not in ("territoire", "departement")},
                "code": COMMUNES[i],
                "level": "commune",
            }
            for i, q in enumerate(filters)
        ],
        "passerelles": [{**q, "level": ["commune", "territoire"][i % 2]} for i, q in enumerate(filters)],
    }
    print(f"\n{'endpoint':<14}{'p50 ms':>9}{'p95 ms':>9}{'naive p50':>11}{'naive p95':>11}{'ratio p95':>11}  goal")
    for name, queries in endpoints.items():
        times, naive_times = [], []
        for query in queries:
            with app.app_context():
                service().clear_cache()
            t0 = time.perf_counter()
            response = client.get(f"/api/v1/aggregates/{name}", query_string=query)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (name, query, response.get_json())
            if name in ("issue-groups", "similar-places", "passerelles") or len(naive_times) >= args.naive_filters:
                continue
            with app.test_request_context(f"/api/v1/aggregates/{name}", query_string=query):
                from carte.web.context import request_filter

                flt = request_filter()
                t0 = time.perf_counter()
                naive(name, flt, query)
                naive_times.append((time.perf_counter() - t0) * 1000)
        p50, p95 = percentile(times, 50), percentile(times, 95)
        goal = GOALS_MS[name]
        verdict = "-" if goal is None else (f"≤ {goal} ms: {'met' if p95 <= goal else 'MISSED'}")
        if naive_times:
            n50, n95 = percentile(naive_times, 50), percentile(naive_times, 95)
            print(f"{name:<14}{p50:>9.1f}{p95:>9.1f}{n50:>11.1f}{n95:>11.1f}{n95 / p95:>10.1f}x  {verdict}")
        else:
            print(f"{name:<14}{p50:>9.1f}{p95:>9.1f}{'n/a':>11}{'n/a':>11}{'':>11}  {verdict}")
        print(f"{'':<14}load average {tuple(round(x, 2) for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
