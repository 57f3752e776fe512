"""When the database fails: 503 in each client's format with Retry-After, bounded waits, recovery.

Against a real PostgreSQL server that this module starts, stops, freezes (SIGSTOP) and
restarts itself: its own cluster in a temporary folder, on its own free port, never the
shared server. Slow-ish (a cluster of its own, about 20 s): marked `slow`. Skipped locally
when the PostgreSQL binaries are missing, required in CI (CI=true). Then, without that
cluster: genuine bugs stay 500s, the error page never fails twice, SpatiaLite's write
lock, and the CLI's message.
"""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout

import psycopg
import pytest
import sqlean
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from carte.extensions import db
from carte.models import Report
from carte.storage.engine import database_unavailable
from carte.storage.setup import prepare_database
from tests.conftest import make_app
from tests.helpers import csrf_token_from, login_as, report_payload
from tests.pg_cluster import TempCluster, binaries_missing

CONNECT_TIMEOUT = 2  # libpq's minimum
STATEMENT_TIMEOUT_MS = 1000
RETRY_AFTER = "7"
# "Quickly": a refused connection is immediate; twice the connect timeout leaves room for a loaded machine.
QUICK = 2 * CONNECT_TIMEOUT
# A frozen server: the answer deadline (statement timeout + connect timeout), one connect timeout, slack.
HUNG_BOUND = STATEMENT_TIMEOUT_MS / 1000 + 3 * CONNECT_TIMEOUT + 2
WORKSHOP_CODE = "MXK4RT"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    missing = binaries_missing()
    if missing:
        message = f"PostgreSQL binaries missing ({', '.join(missing)}): database-failure tests need their own server."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = TempCluster()
    try:
        server.start()
        yield server
    finally:
        server.destroy()  # SIGCONT first, always


@pytest.fixture(scope="module")
def pg_app(cluster, data_dir):
    setup = make_app(cluster.url, data_dir)  # default timeouts: CREATE EXTENSION postgis takes seconds
    with setup.app_context():
        db.session.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        db.session.commit()
    prepare_database(setup)
    with setup.app_context():
        db.engine.dispose()
    app = make_app(
        cluster.url,
        data_dir,
        CARTE_DB_CONNECT_TIMEOUT=CONNECT_TIMEOUT,
        CARTE_DB_STATEMENT_TIMEOUT_MS=STATEMENT_TIMEOUT_MS,
        CARTE_RETRY_AFTER=int(RETRY_AFTER),
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def server(cluster, pg_app):
    """The server running and answering before each test (whatever the previous one left)."""
    cluster.thaw()
    if not (cluster.data / "postmaster.pid").exists():
        cluster.start()
    yield cluster
    cluster.thaw()


@pytest.fixture(scope="module")
def staff(pg_app, cluster):
    """A test client holding a logged-in facilitator's cookie."""
    client = pg_app.test_client()
    login_as(client, pg_app, "facilitator")
    return client


def count_reports(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Report.id)))


def timed_together(calls, limit: float = 60):
    """[(response, seconds)] for requests made at once, each timed from their common start.

    A request still waiting after `limit` seconds fails the test instead of hanging it.
    """
    pool = ThreadPoolExecutor(max_workers=len(calls))
    start = time.monotonic()

    def answer(call):
        response = call()
        return response, time.monotonic() - start

    try:
        futures = [pool.submit(answer, call) for call in calls]
        return [future.result(timeout=max(0.0, start + limit - time.monotonic())) for future in futures]
    except FutureTimeout:
        pytest.fail(f"no answer after {limit} s")
    finally:
        pool.shutdown(wait=False)  # a stuck request ends when the server is thawed at teardown


def timed(call, limit: float = 60):
    """(response, seconds) for one request, bounded as in `timed_together`."""
    return timed_together([call], limit)[0]


def assert_api_503(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "database_unavailable" and error["message"]


def assert_open311_503(response, fmt):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
    if fmt == "json":
        assert response.mimetype == "application/json"
        [error] = json.loads(response.get_data())
        assert error["code"] == 503 and error["description"]
    else:
        assert response.mimetype == "text/xml"
        root = ET.fromstring(response.get_data())
        assert root.tag == "errors" and root.findtext("error/code") == "503"


def assert_page_503(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Carte est momentanément indisponible" in page
    assert 'href="/"' in page  # a way back


def every_kind_of_request(app, staff):
    """(label, call, check) for each client kind: API GET/POST, Open311 json/xml, pages, staff pages."""
    anonymous = app.test_client  # a client of its own for each request, as separate visitors send them
    return [
        ("api get", lambda: anonymous().get("/api/v1/reports"), assert_api_503),
        ("api post", lambda: anonymous().post("/api/v1/reports", json=report_payload()), assert_api_503),
        ("open311 json", lambda: anonymous().get("/open311/v2/services.json"), lambda r: assert_open311_503(r, "json")),
        ("open311 xml", lambda: anonymous().get("/open311/v2/requests.xml"), lambda r: assert_open311_503(r, "xml")),
        (
            "open311 post",
            lambda: anonymous().post("/open311/v2/requests.xml", data={"api_key": "x"}),
            lambda r: assert_open311_503(r, "xml"),
        ),
        ("page", lambda: anonymous().get(f"/a/{WORKSHOP_CODE}"), assert_page_503),
        ("staff page", lambda: staff.get("/animation"), assert_page_503),
        ("staff home page", lambda: staff.get("/"), assert_page_503),
        ("staff api", lambda: staff.get("/api/v1/animation/chronologie"), assert_api_503),
    ]


def test_a_stopped_server_answers_503_quickly_everywhere(pg_app, server, staff):
    assert staff.get("/animation").status_code == 200  # pooled connections exist: they die with the server
    before = count_reports(pg_app)
    server.stop()
    for label, call, check in every_kind_of_request(pg_app, staff):
        response, seconds = timed(call)
        check(response)
        assert seconds < QUICK, f"{label} took {seconds:.1f} s"
    server.start()
    assert count_reports(pg_app) == before  # the refused POST stored nothing


def test_logged_in_staff_gets_the_503_page_not_a_crash(pg_app, server, staff):
    """The error page itself used to query `users` (Flask-Login's context processor): a second failure."""
    server.stop()
    response = staff.get("/animation/ateliers", headers={"Accept": "text/html"})
    assert_page_503(response)
    assert "staff-nav__user" not in response.get_data(as_text=True)


def test_a_hung_server_answers_503_within_the_timeouts(pg_app, server, staff):
    assert staff.get("/animation").status_code == 200
    assert pg_app.test_client().get("/api/v1/reports").status_code == 200
    server.freeze()
    # One request of each format, made at once as a threaded server receives them: each answers within
    # the bound, and their waits overlap, which keeps the module short.
    kinds = [k for k in every_kind_of_request(pg_app, staff) if k[0] in {"api post", "open311 xml", "staff page"}]
    answers = timed_together([call for _, call, _ in kinds], limit=2 * HUNG_BOUND)
    for (label, _, check), (response, seconds) in zip(kinds, answers, strict=True):
        check(response)
        assert seconds < HUNG_BOUND, f"{label} took {seconds:.1f} s"


def test_the_same_app_recovers_when_the_server_is_back(pg_app, server, staff):
    client = pg_app.test_client()
    assert client.get("/api/v1/reports").status_code == 200
    server.stop()
    assert_api_503(client.get("/api/v1/reports"))
    server.start()
    assert client.get("/api/v1/reports").status_code == 200
    created = client.post("/api/v1/reports", json=report_payload())
    assert created.status_code == 201, created.get_json()
    assert staff.get("/animation").status_code == 200
    assert client.get("/open311/v2/services.xml").status_code == 200
    # Frozen, then thawed: the connections closed on the deadline are replaced too.
    server.freeze()
    assert_api_503(timed(lambda: client.get("/api/v1/reports"), limit=2 * HUNG_BOUND)[0])
    server.thaw()
    assert client.get("/api/v1/reports").status_code == 200


def test_statement_timeout_is_set_and_counts_as_unavailable(pg_app, server):
    with pg_app.app_context():
        with pytest.raises(OperationalError) as caught:
            db.session.execute(text("SELECT pg_sleep(3)"))
        db.session.rollback()
        assert caught.value.orig.sqlstate == "57014"  # query_canceled: the server's statement_timeout
        assert database_unavailable(caught.value)


def test_the_live_stream_ends_cleanly_when_the_database_goes_away(pg_app, server, staff):
    page = staff.get("/animation/ateliers")
    created = staff.post(
        "/animation/ateliers",
        data={
            "title": "Atelier coupure",
            "date": "2026-11-27",
            "place": "Saint-Denis",
            "question": "Une question ?",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    assert created.status_code == 303
    code = created.headers["Location"].rsplit("/", 1)[1]
    response = staff.get(f"/atelier/{code}/flux", buffered=False)
    chunks = iter(response.response)
    received = b""
    while b"event: snapshot" not in received:
        received += next(chunks)
    server.stop()
    start = time.monotonic()
    rest = b"".join(chunks)  # the stream ends instead of raising into the worker
    assert time.monotonic() - start < QUICK + 1
    assert rest.endswith(b"retry: 30000\n\n")
    response.close()


@pytest.mark.backends  # each driver names its own errors
def test_a_genuine_database_bug_stays_a_500_with_its_traceback_logged(app, client, caplog):
    def bad_sql():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.add_url_rule("/api/v1/test-bad-sql", "bad_sql", bad_sql)
    response = client.get("/api/v1/test-bad-sql")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "Retry-After" not in response.headers
    [record] = [r for r in caplog.records if r.getMessage() == "Unhandled error"]
    assert "no_such_table" in str(record.exc_info[1])


def test_the_error_page_never_fails_a_second_time(app, client, monkeypatch):
    """A bug while the database goes away: neither the rollback nor the page may raise again."""

    def bug():
        raise RuntimeError("a genuine bug")

    def gone(*_args, **_kwargs):
        raise OperationalError(
            "SELECT", {}, psycopg.OperationalError("server closed the connection"), connection_invalidated=True
        )

    app.add_url_rule("/test-bug", "bug", bug)
    login_as(client, app, "facilitator")
    monkeypatch.setattr(db.session, "get", gone)  # Flask-Login's user loader
    monkeypatch.setattr(db.session, "rollback", gone)
    response = client.get("/test-bug", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "Erreur interne" in response.get_data(as_text=True)


@pytest.mark.config(CARTE_SQLITE_BUSY_TIMEOUT_MS=300, CARTE_RETRY_AFTER=int(RETRY_AFTER))
@pytest.mark.parametrize("backend", ["spatialite"], indirect=True)
def test_spatialite_write_lock_past_the_busy_timeout_is_a_503(app, client):
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    before = count_reports(app)
    holder = sqlean.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        assert client.get("/api/v1/reports").status_code == 200  # WAL: readers are not blocked
        response, seconds = timed(lambda: client.post("/api/v1/reports", json=report_payload()))
        assert_api_503(response)
        assert 0.25 < seconds < 5
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert count_reports(app) == before
    assert client.post("/api/v1/reports", json=report_payload()).status_code == 201


def test_cli_commands_fail_on_one_clear_line_when_postgresql_is_unreachable(data_dir):
    from tests.pg_cluster import free_port

    app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere", data_dir)
    result = app.test_cli_runner().invoke(args=["carte", "remove-demo"])
    assert result.exit_code == 1
    assert "Base de données indisponible" in result.output and "Connection refused" in result.output
    assert "Traceback" not in result.output


@pytest.mark.config(CARTE_SQLITE_BUSY_TIMEOUT_MS=300)
@pytest.mark.parametrize("backend", ["spatialite"], indirect=True)
def test_cli_commands_fail_on_one_clear_line_when_spatialite_is_locked(app):
    holder = sqlean.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        result = app.test_cli_runner().invoke(args=["carte", "remove-demo"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "Base de données indisponible" in result.output and "database is locked" in result.output
