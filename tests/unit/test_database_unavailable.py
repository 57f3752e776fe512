"""Which database errors mean "unavailable, retry later" (503) and which stay bugs (500); the SSE loop's exit."""

from __future__ import annotations

import psycopg
import pytest
import sqlean
from psycopg import errors as pg
from sqlalchemy import create_engine, exc, text

import carte.workshops.projection as live
from carte.storage.engine import database_unavailable, unavailable_reason


def wrapped(orig: Exception, **kwargs) -> exc.DBAPIError:
    """The error SQLAlchemy raises around a DBAPI error."""
    return exc.DBAPIError.instance("SELECT 1", {}, orig, psycopg.Error, **kwargs)


@pytest.mark.parametrize(
    "orig",
    [
        psycopg.OperationalError("connection failed: Connection refused"),  # no SQLSTATE: the connection itself
        psycopg.InterfaceError("the connection is closed"),
        pg.QueryCanceled("canceling statement due to statement timeout"),
        pg.AdminShutdown("terminating connection due to administrator command"),
        pg.CannotConnectNow("the database system is starting up"),
        pg.TooManyConnections("sorry, too many clients already"),
    ],
)
def test_postgresql_failures_of_the_server_are_unavailability(orig):
    assert database_unavailable(wrapped(orig))


@pytest.mark.parametrize(
    "orig",
    [
        pg.UndefinedTable('relation "nope" does not exist'),
        pg.InFailedSqlTransaction("current transaction is aborted"),
        pg.StatementTooComplex("stack depth limit exceeded"),  # an OperationalError, but the query's fault
        pg.UniqueViolation("duplicate key"),
        pg.DataError("invalid input syntax"),
    ],
)
def test_postgresql_errors_of_the_query_stay_bugs(orig):
    assert not database_unavailable(wrapped(orig))


def test_a_connection_sqlalchemy_invalidated_and_pool_failures_are_unavailability():
    assert database_unavailable(wrapped(pg.InternalError("whatever"), connection_invalidated=True))
    assert database_unavailable(exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"))
    assert database_unavailable(exc.DisconnectionError())


def test_the_reason_is_the_driver_first_line_without_sql_or_parameters():
    err = exc.OperationalError(
        "INSERT INTO contacts VALUES (%(email)s)",
        {"email": "camille@example.org"},
        psycopg.OperationalError("connection failed: refused\n\tIs the server running?"),
    )
    assert unavailable_reason(err) == "connection failed: refused"
    assert unavailable_reason(exc.DisconnectionError()) == "DisconnectionError"


def test_other_exceptions_are_not_unavailability():
    assert not database_unavailable(ValueError("bug"))
    assert not database_unavailable(exc.InvalidRequestError("bug"))


def test_sqlite_lock_is_unavailability_but_a_wrong_query_is_a_bug(tmp_path):
    path = tmp_path / "lock.sqlite"
    engine = create_engine(f"sqlite:///{path}", module=sqlean, connect_args={"timeout": 0})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with pytest.raises(exc.OperationalError) as wrong, engine.connect() as conn:
        conn.execute(text("SELECT * FROM nope"))
    assert not database_unavailable(wrong.value)  # SQLite's OperationalError for a missing table: a bug

    holder = sqlean.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(exc.OperationalError) as locked, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
    assert "database is locked" in str(locked.value)
    assert database_unavailable(locked.value)


class ClosingSession:
    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


def failing_marker(error):
    def marker(_session, _workshop_id):
        raise error

    return marker


def test_stream_ends_cleanly_when_the_database_goes_away(monkeypatch):
    monkeypatch.setattr(live, "marker", failing_marker(wrapped(psycopg.OperationalError("server closed"))))
    session = ClosingSession()
    events = list(live.stream(lambda: session, lambda s: {}, 1, sleep=lambda _s: None))
    assert events == ["retry: 1000\n\n", f"retry: {live.UNAVAILABLE_RETRY_SECONDS * 1000}\n\n"]
    assert session.closed == 1  # one failed poll, no spinning


def test_stream_still_raises_a_genuine_bug(monkeypatch):
    monkeypatch.setattr(live, "marker", failing_marker(wrapped(pg.UndefinedTable("nope"))))
    with pytest.raises(exc.DBAPIError):
        list(live.stream(ClosingSession, lambda s: {}, 1, sleep=lambda _s: None))
