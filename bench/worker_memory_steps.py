"""Per-step RSS of one process building the aggregates service at a million reports (where memory goes).

    URL=postgresql+psycopg://postgres@127.0.0.1:5432/carte_bench_1m .venv/bin/python bench/worker_memory_steps.py
    URL=sqlite:////tmp/copy-of-1m.sqlite ...   (CARTE_DATA_DIR: folder with the generated geojson)
TRACE=1 adds the tracemalloc top lines of the index load. Snapshots are off: the database is only read.
"""

import ctypes
import os
import sys
import time

sys.path.insert(0, ".")


def rss():
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024


t = time.perf_counter()


def step(name):
    global t
    print(
        f"{name:<28} RSS {rss():6.0f} MB  {time.perf_counter() - t:6.2f} s  load {os.getloadavg()[0]:.2f}", flush=True
    )
    t = time.perf_counter()


step("start")
from carte import create_app
from carte.extensions import db

app = create_app(
    "config.Config",
    {
        "SQLALCHEMY_DATABASE_URI": os.environ["URL"],
        "CARTE_DATA_DIR": os.environ.get("CARTE_DATA_DIR", "/work/main/data"),
        "CARTE_INDEX_SNAPSHOT_DIR": "",
    },
)
step("create_app")
import tracemalloc

if os.environ.get("TRACE"):
    tracemalloc.start()
with app.app_context():
    s = app.extensions["carte_aggregates"]
    _ = s.places, s.cell_places  # built on first access
    step("atlas + places")
    s.index.sync(db.session)
    step(f"index sync ({len(s.index)})")
    if os.environ.get("TRACE"):
        snap = tracemalloc.take_snapshot()
        print("traced peak MB", tracemalloc.get_traced_memory()[1] / 2**20)
        for st in snap.statistics("lineno")[:8]:
            print(st)
    s.warm(db.session, defaults=False)
    step("sorted keys")
    s.warm(db.session)
    step("default aggregates")
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    step("malloc_trim")
    print(
        "index column MB",
        sum(c.nbytes for c in s.index._buffers.values()) / 2**20,
        "sorted keys MB",
        sum(p.nbytes + k.nbytes for p, k, _ in s.index._sorted_keys.values()) / 2**20,
        "contrib table MB",
        (s.index._hashes.nbytes + s.index._codes.nbytes) / 2**20,
    )
