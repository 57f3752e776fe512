"""Engine options per backend.

SpatiaLite needs `mod_spatialite` loaded into SQLite. The stock `sqlite3` module of
this Python cannot load extensions, `sqlean.py` (a drop-in DBAPI) can, and
GeoAlchemy2's engine plugin loads and initialises SpatiaLite on connect. The
spatial metadata is initialised in WGS84-only mode: the full EPSG table takes seconds.
"""
from __future__ import annotations

import os

from sqlalchemy import BigInteger, cast, event, func, text
from sqlalchemy.engine import Engine, make_url

os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

SQLITE_BUSY_TIMEOUT_MS = 15_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def engine_config(url: str) -> tuple[str, dict]:
    """Return the URL to use and SQLAlchemy engine options for it."""
    parsed = make_url(url)
    options: dict = {"plugins": ["geoalchemy2"]}
    if parsed.get_backend_name() == "sqlite":
        import sqlean

        parsed = parsed.update_query_dict({"geoalchemy2_connect_sqlite_init_mode": "WGS84"})
        options["module"] = sqlean
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            # One shared connection, or every pool checkout would see an empty database.
            from sqlalchemy.pool import StaticPool

            options["poolclass"] = StaticPool
    else:
        options["pool_pre_ping"] = True
    return parsed.render_as_string(hide_password=False), options


def configure_engine(engine: Engine) -> None:
    """Per-connection settings that the backends need."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no branch - trivial
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def epoch_seconds(column, dialect_name: str):
    """A timestamp column as integer seconds since 1970 (UTC), in each backend's SQL."""
    if dialect_name == "sqlite":
        return cast(func.strftime("%s", column), BigInteger)
    return cast(func.extract("epoch", column), BigInteger)


def make_point(lon, lat, dialect_name: str):
    """A POINT in EPSG:4326 from two SQL expressions (used by bulk loading)."""
    if dialect_name == "sqlite":
        return func.MakePoint(lon, lat, 4326)
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)


def after_bulk_insert(session, table: str, dialect_name: str) -> None:
    """Bulk loads choose their own ids; PostgreSQL's sequence must then catch up."""
    if dialect_name == "postgresql":
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        )
