"""The projection stream works across server processes: the database is the source of truth.

Server A runs `gunicorn -w 2` (threaded workers, as in production) and serves the SSE stream;
server B is a separate gunicorn process on the same SpatiaLite file and takes the submission.
The snapshot must reach A's subscriber within two seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.helpers import free_port
from tests.helpers import BASILIQUE_SAINT_DENIS, STAFF_PASSWORD, csrf_token_from

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def start(env: dict, port: int, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(GUNICORN),
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "2",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the workers are stopped with their master
    )


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-2000:])
        try:
            if requests.get(f"{base}/api/v1/themes", timeout=10).ok:
                return
        except requests.RequestException:
            time.sleep(0.3)
    raise AssertionError(f"{base} did not start")


@pytest.fixture
def two_servers(spatialite_template, data_dir, tmp_path):
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed in this environment")
    from carte import create_app
    from carte.accounts import create_user
    from carte.extensions import db
    from carte.models.workshops import Workshop

    path = tmp_path / "shared.sqlite"
    shutil.copyfile(spatialite_template, path)
    app = create_app(
        "config.TestConfig", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "CARTE_DATA_DIR": str(data_dir)}
    )
    with app.app_context():
        create_user(db.session, "animation@example.org", STAFF_PASSWORD, "facilitator")
        from datetime import date

        db.session.add(
            Workshop(
                code="MXK4RT",
                title="Atelier",
                date=date(2026, 11, 27),
                place="Saint-Denis",
                question="Quoi ?",
                themes="",
                status="open",
            )
        )
        db.session.commit()
        db.engine.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "CARTE_DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret-shared-by-both-servers",
        "CARTE_TILE_URL": "",
    }
    ports = free_port(), free_port()
    processes = [start(env, ports[0], workers=2), start(env, ports[1], workers=1)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base, process in zip(bases, processes):
            wait_until_up(base, process)
        yield bases
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # any worker left behind
            except ProcessLookupError:
                pass
            process.stderr.close()  # the pipe kept for wait_until_up's error message


def test_submission_on_one_server_reaches_the_stream_of_another(two_servers):
    stream_base, submit_base = two_servers
    staff = requests.Session()
    login = staff.get(f"{stream_base}/connexion", timeout=10)
    staff.post(
        f"{stream_base}/connexion",
        timeout=10,
        allow_redirects=False,
        data={"email": "animation@example.org", "password": STAFF_PASSWORD, "csrf_token": csrf_token_from(login.text)},
    )

    snapshots: list[tuple[float, dict]] = []
    first = threading.Event()
    second = threading.Event()

    def listen():
        with staff.get(f"{stream_base}/atelier/MXK4RT/flux", stream=True, timeout=30) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            for line in response.iter_lines(decode_unicode=True):
                if line and line.startswith("data: "):
                    snapshots.append((time.monotonic(), json.loads(line[6:])))
                    (second if first.is_set() else first).set()
                    if second.is_set():
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert first.wait(15), "no first snapshot"
    assert snapshots[0][1]["count"] == 0

    phone = requests.Session()
    phone.get(f"{submit_base}/a/MXK4RT", timeout=10)
    lon, lat = BASILIQUE_SAINT_DENIS
    sent = time.monotonic()
    response = phone.post(
        f"{submit_base}/api/v1/ateliers/MXK4RT/signalements",
        timeout=10,
        json={"theme": "mobilite", "title": "Bus trop rares le soir", "lat": lat, "lon": lon},
    )
    assert response.status_code == 201, response.text
    assert second.wait(5), "the other server's stream did not see the submission"
    received, snapshot = snapshots[1]
    assert snapshot["count"] == 1
    assert snapshot["communes"] == [{"code": "93066", "nom": "Saint-Denis", "count": 1}]
    assert received - sent < 2.0
    assert re.fullmatch(r"[A-Z0-9]{6}", snapshot["code"])
