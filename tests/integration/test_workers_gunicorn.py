"""gunicorn.conf.py as `make run` uses it: the master loads the index before forking, workers answer."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

from tests.conftest import ROOT, SOURCES, make_app
from tests.helpers import insert_points, uniform_points_in_mgp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(tmp_path, data_dir, conf, workers: int, port: int | None = None) -> subprocess.Popen:
    """gunicorn on tmp_path's carte.sqlite, as `make run` starts it, its log in tmp_path/gunicorn.log."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'carte.sqlite'}",
        "CARTE_DATA_DIR": str(data_dir),
        "CARTE_SOURCES": SOURCES,
        "CARTE_INDEX_SNAPSHOT_DIR": str(tmp_path / "index"),
        "WEB_CONCURRENCY": str(workers),
        "CARTE_PRELOAD": "1",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(tmp_path / "gunicorn.log", "w") as out:
        return subprocess.Popen(
            [str(gunicorn), "-c", str(conf), "-b", f"127.0.0.1:{port or free_port()}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if a loaded machine takes over two minutes."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_preloaded_workers_share_the_index_loaded_by_the_master(spatialite_template, data_dir, tmp_path):
    path = tmp_path / "carte.sqlite"
    shutil.copyfile(spatialite_template, path)
    url = f"sqlite:///{path}"
    app = make_app(url, data_dir)
    lons, lats = uniform_points_in_mgp(app, 300, 9)
    insert_points(app, lons, lats, "mobilite", contributors=[f"p{i % 40}" for i in range(300)])
    port = free_port()
    log = tmp_path / "gunicorn.log"
    proc = start_gunicorn(tmp_path, data_dir, "gunicorn.conf.py", workers=2, port=port)
    try:
        body = None
        for _ in range(600):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/aggregates/territories?level=metropole", timeout=60
                ) as response:
                    body = json.load(response)
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.2)
        assert body is not None, log.read_text()
        text = log.read_text()
        # One load, in the master, before any worker booted; none of the workers loaded again.
        assert text.count("report index: 300 reports from the database") == 1, text
        master_line = next(i for i, line in enumerate(text.splitlines()) if "report index:" in line)
        first_worker = next(i for i, line in enumerate(text.splitlines()) if "Booting worker" in line)
        assert master_line < first_worker, text
        # One logging format (carte.logging_setup): gunicorn's own lines, and one line per request with its id.
        assert re.search(r" INFO \[-\] gunicorn\.error: Booting worker", text), text
        assert re.search(r" INFO \[[0-9a-f]{32}\] carte\.request: GET /api/v1/aggregates/territories 200 ", text), text
        # The snapshot the master wrote, named after this database's token and version.
        assert [p for p in (tmp_path / "index").iterdir() if p.name.startswith("index-")]
        assert np.load(next((tmp_path / "index").glob("index-*/id.npy"))).size == 300
        assert body["places"][0]["count"] == 300 and body["places"][0]["contributors"] == 40
    finally:
        stop(proc)


def test_a_worker_stopped_while_it_boots_exits_at_once(spatialite_template, data_dir, tmp_path):
    """Until gunicorn installs a new worker's signal handlers, the worker runs the master's, copied by
    the fork, which only queue a signal for a master loop the worker never runs: a stop that came then
    was lost, and the master waited its whole graceful timeout before killing the worker."""
    path = tmp_path / "carte.sqlite"
    shutil.copyfile(spatialite_template, path)
    booting = tmp_path / "booting"
    conf = tmp_path / "slow_boot.conf.py"
    # gunicorn.conf.py as it is, with a post_fork that takes its time before Carte's own runs.
    conf.write_text(
        "import runpy, time\n"
        "from pathlib import Path\n"
        f"globals().update(runpy.run_path({str(ROOT / 'gunicorn.conf.py')!r}))\n"
        "graceful_timeout = 5\n"
        "carte_post_fork = post_fork\n"
        "def post_fork(server, worker):\n"
        f"    Path({str(booting)!r}).touch()\n"
        "    time.sleep(2)\n"
        "    carte_post_fork(server, worker)\n"
    )
    proc = start_gunicorn(tmp_path, data_dir, conf, workers=1)
    log = tmp_path / "gunicorn.log"
    try:
        for _ in range(600):
            if booting.exists():
                break
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
        assert booting.exists(), log.read_text()
        proc.terminate()  # to the master, which passes it on to the worker still in post_fork
        assert proc.wait(120) == 0, log.read_text()
    finally:
        stop(proc)
    text = log.read_text()
    worker = re.search(r"Booting worker with pid: (\d+)", text).group(1)
    # It left on its own; a worker that missed the stop is killed by the master once the graceful
    # timeout has run out, and never writes this line.
    assert f"Worker exiting (pid: {worker})" in text, text
    assert "Shutting down: Master" in text, text
