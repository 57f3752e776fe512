"""Writes under load: N clients posting reports to Carte served as the README recommends (gunicorn).

    .venv/bin/python bench/writes.py [--backend spatialite|postgis|both] [--posts 10000] [--clients 50]
                                     [--seconds 120] [--app-dir DIR]

Each run starts from a fresh database (a temporary SpatiaLite file; the PostGIS database
`carte_bench_serve`, emptied), starts gunicorn with `gunicorn.conf.py` when the checkout has one (else the
same settings on the command line: gthread, 2 workers per CPU, 4 threads), and posts from `--clients`
threads, each with its own keep-alive connection and its own contributor cookie, until `--posts` answers
or `--seconds` have gone by. Rate limits are raised through the environment. It prints throughput,
p50/p95/p99 latencies, the answers by status, and the number of rows stored (which must equal the 201s),
with the load average before and after. `--app-dir` serves another checkout (e.g. a `git worktree` of the
previous commit) with the same database and load, for a side-by-side reference.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("CARTE_BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("CARTE_BENCH_PG_DB", "carte_bench_serve")
SOURCES = os.environ.get("CARTE_SOURCES") or str(ROOT.parent / "shared" / "data")
THEMES = ["mobilite", "espaces-publics-proprete", "logement", "environnement-nature"]


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"nproc={os.cpu_count()}, CPU {model}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(backend: str, tmp: Path) -> str:
    """A migrated database with the communes and the themes, and nothing else."""
    from sqlalchemy import create_engine, text

    from carte import create_app
    from carte.extensions import db
    from carte.storage.setup import prepare_database

    if backend == "spatialite":
        url = f"sqlite:///{tmp / 'writes.sqlite'}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DB}):
                conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
    app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": url, "CARTE_SOURCES": SOURCES})
    with app.app_context():
        if backend == "postgis":
            db.session.execute(
                text("DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION IF NOT EXISTS postgis")
            )
            db.session.commit()
    prepare_database(app)
    with app.app_context():
        db.engine.dispose()
    return url


def count_rows(url: str) -> int:
    from sqlalchemy import text

    from carte import create_app
    from carte.extensions import db

    app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        n = db.session.scalar(text("SELECT count(*) FROM reports"))
        db.engine.dispose()
    return n


def start_server(app_dir: Path, url: str, tmp: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CARTE_SOURCES": SOURCES,
        "CARTE_DATA_DIR": str(ROOT / "data"),  # built by fresh_database when missing
        "SECRET_KEY": "bench-" + "x" * 40,
        "CARTE_REPORT_RATE_LIMIT": "1000000/minute",
        "PYTHONPATH": str(app_dir),
    }
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    config = app_dir / "gunicorn.conf.py"
    options = (
        ["-c", str(config)]
        if config.exists()
        else ["--worker-class", "gthread", "--workers", str(2 * (os.cpu_count() or 1)), "--threads", "4"]
    )
    command = [gunicorn, *options, "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    server = subprocess.Popen(command, cwd=app_dir, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/themes")
            if conn.getresponse().status == 200:
                conn.close()
                print(f"  server: {' '.join(command[1:])} (in {app_dir})")
                return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer within 120 s")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def run_load(port: int, posts: int, clients: int, seconds: float) -> dict:
    lock = threading.Lock()
    issued = [0]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    deadline = time.monotonic() + seconds

    def take() -> bool:
        with lock:
            if issued[0] >= posts or time.monotonic() > deadline:
                return False
            issued[0] += 1
            return True

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        cookie = None
        while take():
            body = json.dumps(
                {
                    "theme": rng.choice(THEMES),
                    "title": f"Signalement de charge {seed}",
                    "description": "Posté par bench/writes.py.",
                    # Inside Paris, away from its boundary.
                    "lon": rng.uniform(2.30, 2.40),
                    "lat": rng.uniform(48.83, 48.88),
                }
            )
            headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip, br"}
            if cookie:
                headers["Cookie"] = cookie
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/reports", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
                set_cookie = response.getheader("Set-Cookie")
                if set_cookie:
                    cookie = set_cookie.split(";", 1)[0]
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "answers": len(latencies),
        "wall": wall,
        "rate": len(latencies) / wall,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": latencies[-1] * 1000,
        "statuses": statuses,
    }


def bench(backend: str, app_dir: Path, args) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"carte-writes-{backend}-"))
    try:
        url = fresh_database(backend, tmp)
        port = free_port()
        server = start_server(app_dir, url, tmp, port)
        try:
            before = os.getloadavg()
            result = run_load(port, args.posts, args.clients, args.seconds)
            after = os.getloadavg()
        finally:
            stop_server(server)
        rows = count_rows(url)
        created = result["statuses"].get("201", 0)
        print(
            f"  {backend}: {result['answers']} posts by {args.clients} clients in {result['wall']:.1f} s = "
            f"{result['rate']:.0f}/s; latency p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
            f"p99 {result['p99']:.0f} ms, max {result['max']:.0f} ms"
        )
        print(
            f"  {backend}: answers {dict(sorted(result['statuses'].items()))}; rows stored {rows} "
            f"({'equal to' if rows == created else 'DIFFERENT FROM'} the {created} answers 201)"
        )
        print(
            f"  {backend}: load average before {tuple(round(x, 2) for x in before)}, "
            f"after {tuple(round(x, 2) for x in after)}"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="checkout to serve (default: this one)")
    args = parser.parse_args()
    print(f"bench/writes.py on {machine()}; load average {os.getloadavg()}")
    backends = ["spatialite", "postgis"] if args.backend == "both" else [args.backend]
    for backend in backends:
        bench(backend, args.app_dir.resolve(), args)


if __name__ == "__main__":
    main()
