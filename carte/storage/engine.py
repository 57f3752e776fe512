"""Engine options per backend, and what counts as "the database is unavailable".

SpatiaLite needs `mod_spatialite` loaded into SQLite. The stock `sqlite3` module of
this Python cannot load extensions, `sqlean.py` (a drop-in DBAPI) can, and
GeoAlchemy2's engine plugin loads and initialises SpatiaLite on connect. The
spatial metadata is initialised in WGS84-only mode: the full EPSG table takes seconds.

PostgreSQL gets bounded waits: connecting (`connect_timeout`), running a statement
(`statement_timeout`, enforced by the server), and, for a server that hangs and so
cannot enforce anything, a client-side deadline on every wait for an answer
(`DeadlineConnection`), after which the connection is closed and the pool discarded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import psycopg
from psycopg.errors import _WaitTimeout  # psycopg's own "wait timeout expired" (an OperationalError)
from sqlalchemy import BigInteger, cast, event, exc, func, text
from sqlalchemy.engine import Engine, make_url

os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

# SQLSTATE classes that mean "the server cannot serve now", not "this query is wrong":
# connection exception, insufficient resources, operator intervention (statement_timeout,
# shutdown, starting up), system error (I/O).
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57", "58")
# Idle pooled connections to a vanished host are noticed within about a minute.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def answer_deadline(config: Mapping) -> float | None:
    """Seconds to wait for any answer of PostgreSQL: the statement timeout plus a connect timeout of slack.

    None when statement_timeout is off (0): a long query is then legitimate and unbounded.
    """
    statement_ms = config["CARTE_DB_STATEMENT_TIMEOUT_MS"]
    if not statement_ms:
        return None
    return statement_ms / 1000 + config["CARTE_DB_CONNECT_TIMEOUT"]


def engine_config(url: str, config: Mapping) -> tuple[str, dict]:
    """Return the URL to use and SQLAlchemy engine options for it (timeouts from the app config)."""
    parsed = make_url(url)
    options: dict = {"plugins": ["geoalchemy2"]}
    if parsed.get_backend_name() == "sqlite":
        import sqlean

        parsed = parsed.update_query_dict({"geoalchemy2_connect_sqlite_init_mode": "WGS84"})
        options["module"] = sqlean
        busy_ms = config["CARTE_SQLITE_BUSY_TIMEOUT_MS"]
        options["connect_args"] = {"timeout": busy_ms / 1000, "check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            # One shared connection, or every pool checkout would see an empty database.
            from sqlalchemy.pool import StaticPool

            options["poolclass"] = StaticPool
    else:
        connect_timeout = config["CARTE_DB_CONNECT_TIMEOUT"]
        deadline = answer_deadline(config)
        server_options = f"-c statement_timeout={config['CARTE_DB_STATEMENT_TIMEOUT_MS']}"
        if parsed.query.get("options"):  # the URL's own options come last, so they win
            server_options = f"{server_options} {parsed.query['options']}"
        options["pool_pre_ping"] = True
        options["pool_timeout"] = connect_timeout  # waiting for a free pooled connection
        options["connect_args"] = {
            "connect_timeout": connect_timeout,
            "options": server_options,
            # A host that stops acknowledging (network loss) drops the connection after the deadline.
            **({"tcp_user_timeout": int(deadline * 1000)} if deadline else {}),
            **KEEPALIVES,
        }
    return parsed.render_as_string(hide_password=False), options


def configure_engine(engine: Engine, config: Mapping) -> None:
    """Per-connection settings that the backends need."""
    if engine.dialect.name == "sqlite":
        busy_ms = int(config["CARTE_SQLITE_BUSY_TIMEOUT_MS"])

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no branch - trivial
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    elif engine.dialect.driver == "psycopg":
        deadline = answer_deadline(config)

        @event.listens_for(engine, "do_connect")
        def _connect_with_deadline(_dialect, _record, cargs, cparams):
            connection = DeadlineConnection.connect(*cargs, **cparams)
            connection.answer_deadline = deadline
            return connection


class DeadlineConnection(psycopg.Connection):
    """psycopg's Connection whose waits for the server end after `answer_deadline` seconds.

    statement_timeout is enforced by the server: a frozen server (or a lost network)
    never answers, and a plain wait lasts forever. On the deadline the connection is
    closed, so SQLAlchemy sees a disconnect, invalidates the pool and raises.
    """

    answer_deadline: float | None = None

    def wait(self, gen, *args, **kwargs):
        kwargs.setdefault("timeout", self.answer_deadline)  # an explicit timeout (LISTEN) is kept
        try:
            return super().wait(gen, *args, **kwargs)
        except _WaitTimeout:
            self.close()
            raise


def database_unavailable(err: BaseException) -> bool:
    """Whether `err` means "the database cannot serve now" (a 503 to retry), not a bug (a 500).

    Yes: a connection SQLAlchemy found dead (and invalidated), the pool exhausted, psycopg
    failing to connect or losing the connection, the server shedding work (SQLSTATE classes
    above, statement_timeout included), SQLite's write lock held past the busy timeout.
    No: everything else, including SQLite's OperationalError for a wrong query.
    """
    if isinstance(err, (exc.DisconnectionError, exc.TimeoutError)):
        return True
    if isinstance(err, exc.DBAPIError):
        if err.connection_invalidated:
            return True
        err = err.orig
    sqlite_name = getattr(err, "sqlite_errorname", None)
    if sqlite_name is not None:
        return sqlite_name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
    if isinstance(err, psycopg.InterfaceError):
        return True
    if isinstance(err, psycopg.OperationalError):
        return err.sqlstate is None or err.sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES
    return False


def unavailable_reason(err: BaseException) -> str:
    """The driver's first line ("connection refused", "database is locked"), without the SQL and its parameters."""
    source = err.orig if isinstance(err, exc.DBAPIError) else err
    lines = str(source).splitlines() if source.args else []
    return lines[0] if lines else type(source).__name__


def epoch_seconds(column, dialect_name: str):
    """A timestamp column as integer seconds since 1970 (UTC), in each backend's SQL."""
    if dialect_name == "sqlite":
        return cast(func.strftime("%s", column), BigInteger)
    return cast(func.extract("epoch", column), BigInteger)


# --- Bulk loading --------------------------------------------------------------------------------
# Ids always come from the database (PostgreSQL's sequence, SQLite's rowid), so that a bulk load
# and residents posting at the same time never pick the same id.

# EWKB of a little-endian POINT with an SRID (0x20000001) of 4326: PostGIS reads it as text in COPY.
_EWKB_POINT_4326 = "0101000020e6100000"
# SpatiaLite's per-row triggers of a geometry column: the type/SRID check, the "last insert" stamp
# (an UPDATE per row) and the R*Tree insertion. A bulk chunk does their work once, set-wise.
_SQLITE_ROW_TRIGGERS = ("ggi_{table}_{column}", "tmi_{table}_{column}", "gii_{table}_{column}")


def point_ewkb_hex(lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """EWKB hex of POINTs in EPSG:4326, computed for the whole array at once."""
    xy = np.empty((len(lon), 2), dtype="<f8")
    xy[:, 0] = lon
    xy[:, 1] = lat
    hexed = xy.tobytes().hex()
    return [_EWKB_POINT_4326 + hexed[i : i + 32] for i in range(0, len(hexed), 32)]


def reserve_ids(session, table: str, n: int) -> list[int]:
    """PostgreSQL: n ids drawn from the table's sequence (not contiguous when others post meanwhile)."""
    ids = session.execute(
        text("SELECT array_agg(nextval(pg_get_serial_sequence(:table, 'id'))) FROM generate_series(1, :n)"),
        {"table": table, "n": n},
    ).scalar_one()
    return list(ids or [])


def copy_rows(session, table: str, columns: list[str], rows) -> None:
    """PostgreSQL: COPY rows (tuples in `columns` order) into `table`, inside the session's transaction."""
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def sqlite_insert_rows(
    session, table: str, columns: list[str], rows: list[tuple], geom_column: str | None = None
) -> range:
    """SQLite: insert rows without ids (the rowid is the id) with one executemany; return their ids.

    The caller's transaction must already hold the write lock (it has bumped the data version),
    so no other writer can insert meanwhile and the new rowids are contiguous after the current
    maximum; that is checked, not assumed. `geom_column`, if given, is built with
    MakePoint(?, ?, 4326) from the two values that follow the other columns in each row, and its
    triggers' per-row work (type check, time stamp, R*Tree) is done once for the whole batch.
    """
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        first = cursor.execute(f"SELECT coalesce(max(rowid), 0) + 1 FROM {table}").fetchone()[0]
        placeholders = ["?"] * len(columns)
        names = list(columns)
        triggers: list[str] = []
        if geom_column:
            names.append(geom_column)
            placeholders.append("MakePoint(?, ?, 4326)")
            wanted = [t.format(table=table, column=geom_column) for t in _SQLITE_ROW_TRIGGERS]
            triggers = [
                sql
                for (sql,) in cursor.execute(
                    f"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({', '.join('?' * len(wanted))})",
                    wanted,
                )
            ]
            for name in wanted:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(placeholders)})", rows)
        last = cursor.execute("SELECT last_insert_rowid()").fetchone()[0] if rows else first - 1
        if last - first + 1 != len(rows):
            raise RuntimeError(f"bulk insert into {table}: ids {first}..{last} for {len(rows)} rows")
        if geom_column:
            _sqlite_geometry_batch(cursor, table, geom_column, first, last)
            for sql in triggers:
                cursor.execute(sql)
        return range(first, last + 1)
    finally:
        cursor.close()


def _sqlite_geometry_batch(cursor, table: str, column: str, first: int, last: int) -> None:
    """What SpatiaLite's per-row triggers would have done for rowids first..last, in two statements."""
    # No type/SRID check: the geometry is MakePoint(?, ?, 4326) of two NOT NULL floats, a point in 4326.
    index = f"idx_{table}_{column}"
    if cursor.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (index,)).fetchone():
        cursor.execute(
            f'INSERT INTO "{index}" (pkid, xmin, xmax, ymin, ymax) SELECT rowid, MbrMinX({column}), '
            f"MbrMaxX({column}), MbrMinY({column}), MbrMaxY({column}) FROM {table} WHERE rowid BETWEEN ? AND ?",
            (first, last),
        )
    cursor.execute(
        "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
        "WHERE lower(f_table_name) = lower(?) AND lower(f_geometry_column) = lower(?)",
        (table, column),
    )


@contextmanager
def sqlite_bulk_cache(session, kib: int = 131_072):
    """SQLite: a bigger page cache (also the sorter's memory for CREATE INDEX) while a bulk step runs.

    Set and restored on the connection the session holds now, so pooled connections that serve
    web requests keep their small default. (synchronous stays NORMAL: under WAL a commit does
    not wait for the disk anyway.)
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    driver = session.connection().connection.driver_connection
    previous = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size={int(previous)}")


def sqlite_secondary_indexes(session, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX sql) of the table's ordinary indexes: not the primary key nor UNIQUE constraints."""
    rows = session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
        {"t": table},
    )
    return [(name, sql) for name, sql in rows if not sql.upper().startswith("CREATE UNIQUE")]


def after_bulk_insert(session, table: str, dialect_name: str) -> None:
    """The last step of a bulk chunk, before its commit: nothing is left to do since ids come from the database.

    Kept as the seam where a chunk ends (tests make it fail to prove that a chunk is all or nothing).
    """


def optimize(session, *, full: bool = False) -> None:
    """Give the query planner statistics (after migrations and bulk loads).

    Without them SQLite walks `ix_reports_status_created` over every published row, then
    sorts (4.4 s at 10^6 rows, see BENCHMARKS.md « Carte des signalements »). SQLite: a full
    ANALYZE when the reports were never analysed or `full` (a bulk load: about 3 s at 10^6),
    else `PRAGMA optimize`, which re-analyses only what changed a lot. PostgreSQL: ANALYZE
    (autovacuum does it too, but only later).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        analysed = (
            session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first()
            and session.execute(text("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'reports'")).first()
        )
        session.execute(text("ANALYZE" if full or not analysed else "PRAGMA optimize"))
    elif dialect == "postgresql":
        session.execute(text("ANALYZE reports"))
        session.execute(text("ANALYZE report_tags"))
    session.commit()
