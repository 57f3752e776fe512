"""Rate limits that hold: keys a client cannot mint, Open311 per API key, trusted proxies, one Redis for all workers."""

from __future__ import annotations

import pytest

from tests.integration.test_workshops import post, workshop_code  # noqa: F401 (a fixture)

WORKSHOP_LIMITS = {
    "RATELIMIT_ENABLED": True,
    "CARTE_WORKSHOP_RATE_LIMIT": "2/minute",
    "CARTE_WORKSHOP_ROOM_RATE_LIMIT": "5/minute",
}


@pytest.mark.config(**WORKSHOP_LIMITS)
def test_forged_device_cookies_count_against_the_address(app, workshop_code):  # noqa: F811
    from carte.web.contributors import COOKIE

    statuses = []
    for i in range(4):
        phone = app.test_client()
        phone.set_cookie(COOKIE, f"made-up-device-{i}")
        statuses.append(post(phone, workshop_code).status_code)
    assert statuses == [201, 201, 429, 429]


@pytest.mark.config(**WORKSHOP_LIMITS)
def test_fresh_signed_ids_from_the_join_page_meet_the_room_limit(app, workshop_code):  # noqa: F811
    statuses = []
    for _ in range(7):
        phone = app.test_client()
        phone.get(f"/a/{workshop_code}")  # a genuine signed id, new each time
        statuses.append(post(phone, workshop_code).status_code)
    assert statuses == [201] * 5 + [429] * 2
    assert post(app.test_client(), workshop_code).get_json()["error"]["code"] == "rate_limited"


@pytest.mark.config(**WORKSHOP_LIMITS)
def test_phones_with_their_own_signed_id_keep_their_own_device_limit(app, workshop_code):  # noqa: F811
    first, second = app.test_client(), app.test_client()
    first.get(f"/a/{workshop_code}")
    second.get(f"/a/{workshop_code}")
    assert [post(first, workshop_code).status_code for _ in range(3)] == [201, 201, 429]
    assert [post(second, workshop_code).status_code for _ in range(2)] == [201, 201]


OPEN311_LIMITS = {"RATELIMIT_ENABLED": True, "CARTE_OPEN311_RATE_LIMIT": "2/minute"}


def issue(app, name: str) -> str:
    from carte.extensions import db
    from carte.open311.keys import issue_key

    with app.app_context():
        return issue_key(db.session, name)


@pytest.mark.config(**OPEN311_LIMITS)
def test_open311_posts_are_limited_per_api_key_in_open311_format(app, client):
    import xml.etree.ElementTree as ET

    from tests.integration.test_open311 import post as open311_post

    first, second = issue(app, "premier"), issue(app, "second")
    assert [open311_post(client, "json", first).status_code for _ in range(2)] == [200, 200]
    refused = open311_post(client, "json", first)
    assert refused.status_code == 429 and refused.content_type.startswith("application/json")
    assert refused.get_json()[0]["code"] == 429 and refused.headers.get("Retry-After")
    as_xml = open311_post(client, "xml", first)
    assert as_xml.status_code == 429 and ET.fromstring(as_xml.data).find("error/code").text == "429"
    assert open311_post(client, "json", second).status_code == 200  # another key, its own bucket


@pytest.mark.config(**OPEN311_LIMITS)
def test_open311_made_up_keys_count_against_the_address(app, client):
    from tests.integration.test_open311 import post as open311_post

    statuses = [open311_post(client, "json", f"guess-{i}").status_code for i in range(3)]
    statuses.append(open311_post(client, "json", None).status_code)
    assert statuses == [403, 403, 429, 429]
    assert open311_post(client, "json", issue(app, "vraie")).status_code == 200  # a real key has its own bucket


def keyless_open311_post(client, forwarded_for: str, proto: str = "http"):
    return client.post(
        "/open311/v2/requests.json",
        data={"service_code": "mobilite"},
        headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": proto},
    )


def discovery_endpoint(client, proto: str) -> str:
    data = client.get("/open311/v2/discovery.json", headers={"X-Forwarded-Proto": proto}).get_json()
    return data["endpoints"][0]["url"]


@pytest.mark.config(RATELIMIT_ENABLED=True, CARTE_OPEN311_RATE_LIMIT="1/minute", CARTE_TRUSTED_PROXIES=0)
def test_without_trusted_proxies_forwarded_headers_are_ignored(app, client):
    assert keyless_open311_post(client, "203.0.113.1").status_code == 403
    assert keyless_open311_post(client, "203.0.113.2").status_code == 429  # same peer address, same bucket
    assert discovery_endpoint(client, "https").startswith("http://")


@pytest.mark.config(RATELIMIT_ENABLED=True, CARTE_OPEN311_RATE_LIMIT="1/minute", CARTE_TRUSTED_PROXIES=1)
def test_behind_one_trusted_proxy_each_client_has_its_own_bucket(app, client):
    assert keyless_open311_post(client, "203.0.113.1").status_code == 403
    assert keyless_open311_post(client, "203.0.113.2").status_code == 403  # another client behind the proxy
    assert keyless_open311_post(client, "203.0.113.1").status_code == 429
    # A client cannot pick its address: the proxy appends the real one, and only that hop is trusted.
    assert keyless_open311_post(client, "198.51.100.7, 203.0.113.1").status_code == 429
    assert discovery_endpoint(client, "https").startswith("https://")


# -- several workers: one real redis-server, started and stopped by the test ------------------------

REDIS_SERVER = "/usr/bin/redis-server"
WORKER = """
import json, sys
from pathlib import Path
from tests.conftest import make_app
url, data_dir, redis_url, count = sys.argv[1:5]
overrides = {"RATELIMIT_ENABLED": True, "CARTE_OPEN311_RATE_LIMIT": "3/minute"}
if redis_url:
    overrides["REDIS_URL"] = redis_url
app = make_app(url, Path(data_dir), **overrides)
assert app.config["RATELIMIT_STORAGE_URI"] == (redis_url or "memory://")
client = app.test_client()
print(json.dumps([client.post("/open311/v2/requests.json", data={"service_code": "mobilite"}).status_code
                  for _ in range(int(count))]))
"""


@pytest.fixture
def redis_url(tmp_path):
    import os
    import socket
    import subprocess
    import time

    import redis

    if not os.path.exists(REDIS_SERVER):
        if os.environ.get("CI"):
            pytest.fail(f"{REDIS_SERVER} is required in CI (apt-get install redis-server).")
        pytest.skip(f"{REDIS_SERVER} is missing: the shared rate-limit test is skipped locally.")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        connection = redis.Redis(port=port, socket_connect_timeout=1)
        for _ in range(100):
            try:
                if connection.ping():
                    break
            except redis.ConnectionError:
                if server.poll() is not None:
                    pytest.fail("redis-server exited at start-up")
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not answer")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_worker(app, redis: str, count: int) -> list[int]:
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER,
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.config["CARTE_DATA_DIR"],
            redis,
            str(count),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_workers_sharing_redis_see_one_counter(app, redis_url):
    assert run_worker(app, redis_url, 2) == [403, 403]
    assert run_worker(app, redis_url, 2) == [403, 429]  # the second worker continues the first one's count


def test_workers_without_redis_each_count_alone(app):
    """What the README warns about: memory counters are per process."""
    assert run_worker(app, "", 3) == [403, 403, 403]
    assert run_worker(app, "", 3) == [403, 403, 403]
