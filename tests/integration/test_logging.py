"""Logging (carte/logging_setup.py, carte/web/request_log.py): one line per request with its id,
the id echoed, forged ids replaced, errors with their traceback, nothing personal in the lines."""

from __future__ import annotations

import logging
import re
import socket
import threading
import urllib.request

import pytest
from werkzeug.serving import make_server

from carte.logging_setup import RequestIdFormatter, configure_logging, parse_level
from tests.conftest import make_app

pytestmark = pytest.mark.parametrize("backend", ["spatialite"])  # nothing here depends on the database

GENERATED = re.compile(r"[0-9a-f]{32}")


def request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "carte.request"]


@pytest.fixture
def boom(app):
    """A route that fails, added before the app's first request."""

    def fail():
        raise ZeroDivisionError("the sum went wrong")

    app.add_url_rule("/test-boom", "test_boom", fail)
    return "/test-boom"


def test_one_line_per_request_with_its_id_and_the_id_echoed(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/api/v1/reports?limit=1", headers={"X-Request-ID": "edge-7f3a.1_b"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "edge-7f3a.1_b"
    lines = request_lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert line.request_id == "edge-7f3a.1_b"
    assert line.getMessage().startswith("GET /api/v1/reports 200 ")
    assert line.getMessage().endswith(" ms")
    assert (line.method, line.path, line.route, line.status) == ("GET", "/api/v1/reports", "/api/v1/reports", 200)
    assert line.duration_ms >= 0
    formatted = RequestIdFormatter().format(line)
    assert " INFO [edge-7f3a.1_b] carte.request: GET /api/v1/reports 200 " in formatted


def test_without_an_incoming_id_each_request_gets_a_new_one(client, caplog):
    caplog.set_level(logging.INFO)
    first, second = client.get("/api/v1/reports?limit=1"), client.get("/api/v1/reports?limit=1")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(GENERATED.fullmatch(i) for i in ids) and ids[0] != ids[1]
    assert [r.request_id for r in request_lines(caplog)] == ids


@pytest.mark.parametrize(
    "forged",
    [
        "abc\nINFO [x] carte.request: GET /admin 200",  # a forged second line
        "a" * 500,
        "",
        "id with spaces",
        "<script>",
        "é" * 10,
    ],
)
def test_a_forged_or_unsafe_id_is_replaced(client, caplog, forged):
    caplog.set_level(logging.INFO)
    # Werkzeug's test client refuses a raw newline in a header: send it the way a proxy would pass it on.
    response = client.get("/api/v1/reports?limit=1", environ_base={"HTTP_X_REQUEST_ID": forged})
    echoed = response.headers["X-Request-ID"]
    assert echoed != forged and GENERATED.fullmatch(echoed)
    [line] = request_lines(caplog)
    assert line.request_id == echoed
    assert "\n" not in RequestIdFormatter().format(line)


def test_an_error_is_logged_with_its_traceback_and_the_request_id(app, boom, caplog):
    caplog.set_level(logging.INFO)
    response = app.test_client().get(boom, headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "trace-42"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    error = errors[0]
    assert error.request_id == "trace-42" and error.exc_info is not None
    text = RequestIdFormatter().format(error)
    assert "[trace-42]" in text
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError: the sum went wrong" in text
    [line] = request_lines(caplog)
    assert (line.request_id, line.status) == ("trace-42", 500)
    # Every line the request wrote carries its id.
    during = [r for r in caplog.records if r.created >= error.created - 5]
    assert {r.request_id for r in during if r.name.startswith("carte")} == {"trace-42"}


def test_no_query_value_nor_secret_path_reaches_the_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.get("/api/v1/reports?limit=1&tag=alice@example.org")
    client.get("/retrait/s3cr3t-withdrawal-token")
    client.get("/alertes/desabonnement/another-s3cr3t-token")
    text = "\n".join(RequestIdFormatter().format(r) for r in caplog.records)
    assert "alice@example.org" not in text and "s3cr3t" not in text
    paths = [r.path for r in request_lines(caplog)]
    assert paths == ["/api/v1/reports", "/retrait/<token>", "/alertes/desabonnement/<token>"]


def test_an_unknown_path_is_logged_escaped_and_cut(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/nowhere%0Aforged%20line/" + "x" * 300)
    [line] = request_lines(caplog)
    assert line.status == 404 and line.route is None
    assert "\n" not in line.getMessage() and "\\n" in line.path
    assert len(line.path) <= 201


def test_configuring_again_adds_no_handler(app, data_dir):
    ours = [h for h in logging.getLogger().handlers if isinstance(h.formatter, RequestIdFormatter)]
    make_app("sqlite://", data_dir)
    configure_logging("INFO")
    again = [h for h in logging.getLogger().handlers if isinstance(h.formatter, RequestIdFormatter)]
    assert len(ours) == len(again) == 1 and ours[0] is again[0]
    from flask.logging import default_handler

    assert default_handler not in logging.getLogger("carte").handlers  # no second, id-less copy of each line


def test_the_level_comes_from_the_configuration(app, data_dir):
    root = logging.getLogger()
    before = root.level
    try:
        make_app("sqlite://", data_dir, CARTE_LOG_LEVEL="warning")
        assert root.level == logging.WARNING
        make_app("sqlite://", data_dir, CARTE_LOG_LEVEL="LOUD")  # unknown: INFO, not silence
        assert root.level == logging.INFO
    finally:
        root.setLevel(before)
    assert [parse_level(v) for v in (None, "", "debug", " Error ", "nope")] == [
        "INFO",
        "INFO",
        "DEBUG",
        "ERROR",
        "INFO",
    ]


def test_the_development_server_writes_our_line_per_request_not_its_own(app, caplog):
    """`make dev` (werkzeug's server) wrote its own access line beside ours, without the request id; its
    other lines stay, such as the one for a request too malformed to reach the app."""
    caplog.set_level(logging.INFO)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/api/v1/themes") as response:
            assert response.status == 200
        with socket.create_connection(("127.0.0.1", server.server_port)) as raw:
            raw.sendall(b"NOT A REQUEST\r\n\r\n")
            assert b"Error code: 400" in raw.recv(1000)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
    assert [r.getMessage().split(" ")[:3] for r in request_lines(caplog)] == [["GET", "/api/v1/themes", "200"]]
    werkzeug = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(werkzeug) == 1 and "code 400" in werkzeug[0], werkzeug
