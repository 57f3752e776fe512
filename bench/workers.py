"""Benchmark: memory and first aggregate request of gunicorn workers at a million reports.

Run from the repository root (the 1M databases are described in BENCHMARKS.md):
    .venv/bin/python bench/workers.py [--sqlite /work/bench-data/1m.sqlite] [--pg URL] \
        [--reference /work/main] [--data-dir /work/main/data]

For each backend it starts gunicorn (gthread) on the database — SpatiaLite on a copy (`cp`) of
the file, PostGIS on the given database, which is only read (snapshots off, since naming one
writes a token row) — waits until it answers, then reads each worker's RSS (VmRSS in
/proc/<pid>/status) and PSS (/proc/<pid>/smaps_rollup: shared pages divided among the processes
sharing them) before and after the first aggregate requests, and times those requests:
territories, shared needs, hotspots and heatmap, each asked once by one client ("alone",
1 worker) and by 4 clients at once on 4 workers that started together ("4 together").

Scenarios, side by side in one run:
- reference: the code in --reference (the branch before this work), `gunicorn -k gthread wsgi:app`;
- preload: this code with gunicorn.conf.py (index loaded in the master, shared by the workers);
- snapshot: this code without preload, each worker memory-mapping the snapshot the preload run wrote.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = (
    "/api/v1/aggregates/territories",
    "/api/v1/aggregates/shared-needs",
    "/api/v1/aggregates/hotspots",
    "/api/v1/aggregates/heatmap?zoom=11",
)
# Then the same with a filter no process computed in advance (the preload warms the unfiltered views).
FILTERED = tuple(p + ("&" if "?" in p else "?") + "theme=mobilite" for p in ENDPOINTS)


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB, read from /proc."""
    rss = pss = 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    return rss, pss


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return sorted(found)


def get(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return time.perf_counter() - started, status


def scenario(label: str, cwd: Path, cmd: list[str], env: dict, workers: int, port: int) -> None:
    env = {**os.environ, **env, "WEB_CONCURRENCY": str(workers), "PYTHONUNBUFFERED": "1"}
    log = open(Path(tempfile.gettempdir()) / f"bench-workers-{port}.log", "w")  # noqa: SIM115 (closed in the finally below)
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd + ["-b", f"127.0.0.1:{port}", "-w", str(workers)], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                get(base + "/api/v1/themes")
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - started > 600:
                    raise SystemExit(f"{label}: gunicorn did not start, see {log.name}") from None
                time.sleep(0.1)
        ready = time.perf_counter() - started
        # Let every worker finish booting (without preload they load their index on start).
        while len(children(proc.pid)) < workers:
            time.sleep(0.1)
        time.sleep(2)
        for _ in range(workers * 2):
            get(base + "/api/v1/themes")
        pids = children(proc.pid)
        before = [memory(p) for p in pids]
        master_before = memory(proc.pid)
        times: dict[str, list[tuple[float, int]]] = {}
        with ThreadPoolExecutor(workers) as pool:
            for path in ENDPOINTS + FILTERED:
                times[path] = sorted(pool.map(get, [base + path] * workers))
        after = [memory(p) for p in pids]
        print(
            f"\n{label}: {workers} worker(s), first answer {ready:.1f} s after launch; master RSS "
            f"{master_before[0]:.0f} MB, PSS {master_before[1]:.0f} MB; {load()}"
        )
        for pid, (rss0, pss0), (rss1, pss1) in zip(pids, before, after):
            print(f"  worker {pid}: RSS {rss0:6.0f} -> {rss1:6.0f} MB   PSS {pss0:6.0f} -> {pss1:6.0f} MB")
        print(f"  total PSS after, master + workers: {master_before[1] + sum(p for _, p in after):.0f} MB")
        for path, ts in times.items():
            name = path.split("/")[-1].split("?")[0] + (" (theme)" if "theme=" in path else "")
            spread = ", ".join(f"{t:.2f}" + ("" if status == 200 else f" (HTTP {status})") for t, status in ts)
            print(f"  first {name:<21} {workers} client(s): {spread} s")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


LOAD_ONE = """
import os, sys, time
sys.path.insert(0, '.')
from carte import create_app
from carte.extensions import db
app = create_app('config.Config', {'CARTE_INDEX_SNAPSHOT_DIR': ''})
with app.app_context():
    service = app.extensions['carte_aggregates'] if 'carte_aggregates' in app.extensions else None
    if service is None:
        from carte.web.aggregates import service as make
        with app.test_request_context():
            service = make()
    service.places
    started = time.perf_counter()
    service.index.sync(db.session)
    took = time.perf_counter() - started
    rss = [int(l.split()[1]) // 1024 for l in open('/proc/self/status') if l.startswith('VmRSS')][0]
    print(f'{len(service.index)} reports in {took:.1f} s, RSS {rss} MB, load %.2f' % os.getloadavg()[0])
"""


def compare_load(cwd: Path, label: str, env: dict) -> None:
    """The index read from the database in one fresh process (no snapshot), for the reference and this code."""
    out = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", LOAD_ONE],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    print(f"  index load, {label}: {(out.stdout.strip() or out.stderr.strip()[-300:])}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", default="/work/bench-data/1m.sqlite")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/carte_bench_1m")
    parser.add_argument("--reference", default="/work/main", help="checkout of the code before (empty: skip)")
    parser.add_argument("--data-dir", default="/work/main/data", help="folder with the generated geojson")
    parser.add_argument("--backends", default="sqlite,pg")
    parser.add_argument(
        "--scenarios",
        default="reference,preload,snapshot",
        help="any of reference, preload, snapshot, load (index read time, side by side)",
    )
    parser.add_argument("--workdir", default=None, help="where the SpatiaLite copy goes (default: a temp dir)")
    args = parser.parse_args()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    print(f"machine: nproc {os.cpu_count()}, {cpu}; {load()}")
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-workers-"))
    work.mkdir(parents=True, exist_ok=True)
    scenarios = args.scenarios.split(",")
    port = 8710
    for backend in args.backends.split(","):
        common = {"CARTE_DATA_DIR": args.data_dir, "CARTE_SOURCES": os.environ.get("CARTE_SOURCES", "")}
        if backend == "sqlite":
            copy = work / "1m.sqlite"
            started = time.perf_counter()
            shutil.copyfile(args.sqlite, copy)
            print(
                f"\n== SpatiaLite: copy of {args.sqlite} ({copy.stat().st_size / 1e6:.0f} MB) "
                f"in {time.perf_counter() - started:.1f} s"
            )
            common["DATABASE_URL"] = f"sqlite:///{copy}"
            snapshots = str(work / "index")
            shutil.rmtree(snapshots, ignore_errors=True)
        else:
            print(f"\n== PostGIS: {args.pg} (read only)")
            common["DATABASE_URL"] = args.pg
            snapshots = ""
        if "load" in scenarios:
            for _ in range(2):  # alternated, so that a change of machine load hits both
                if args.reference:
                    compare_load(Path(args.reference), "reference", common)
                compare_load(ROOT, "this code", common)
        if "reference" in scenarios and args.reference:
            commit = (
                subprocess.run(
                    ["git", "-C", args.reference, "log", "-1", "--format=%h %s"], capture_output=True, text=True
                ).stdout.strip()[:70]
                or args.reference
            )
            ref_cmd = [gunicorn, "-k", "gthread", "--threads", "4", "--timeout", "300", "wsgi:app"]
            for workers in (1, 4):
                port += 1
                scenario(f"reference ({commit})", Path(args.reference), ref_cmd, common, workers, port)
        cmd = [gunicorn, "-c", "gunicorn.conf.py", "wsgi:app"]
        if "preload" in scenarios:
            for workers in (1, 4):
                port += 1
                scenario(
                    "preload (gunicorn.conf.py)",
                    ROOT,
                    cmd,
                    {**common, "CARTE_INDEX_SNAPSHOT_DIR": snapshots, "CARTE_PRELOAD": "1"},
                    workers,
                    port,
                )
        if "snapshot" in scenarios and snapshots:
            port += 1
            scenario(
                "no preload, memory-mapped snapshot",
                ROOT,
                cmd,
                {**common, "CARTE_INDEX_SNAPSHOT_DIR": snapshots, "CARTE_PRELOAD": "0"},
                4,
                port,
            )
    shutil.rmtree(work, ignore_errors=True) if not args.workdir else None


if __name__ == "__main__":
    sys.exit(main())
