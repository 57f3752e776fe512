"""Backing up and restoring the whole database, on each backend with its own consistent tool.

SpatiaLite: SQLite's online backup API (`Connection.backup`), which copies a consistent snapshot
while the app keeps writing, and restores the same way into the live file. PostGIS: `pg_dump -Fc`
(one snapshot) and `pg_restore --clean --if-exists --no-owner` in a single transaction, so a
failed restore leaves the database as it was. The URL's credentials reach the tools through the
libpq environment (PGPASSWORD...), never their command line, where `ps` would show them.

After a restore the data version's generation moves past both the old and the restored one, so
that every running process reloads its in-memory report index instead of trusting it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine, make_url

from carte.models import DataVersion


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why, in French."""


def backup(engine: Engine, path: Path) -> None:
    """Write a consistent copy of the database to `path` (atomically: a partial file is never left)."""
    partial = path.with_name(path.name + ".partial")
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine, partial)
        else:
            _run("pg_dump", ["-Fc", "--no-owner", "-f", str(partial)], engine)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def restore(engine: Engine, path: Path) -> None:
    """Replace the database's content with the backup at `path`."""
    if not path.is_file():
        raise BackupError(f"Sauvegarde introuvable : {path}")
    before = _generation(engine)
    if engine.dialect.name == "sqlite":
        _sqlite_restore(engine, path)
    else:
        engine.dispose()  # no connection of ours holds a lock on the tables being replaced
        _run(
            "pg_restore",
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "-d",
                make_url(engine.url).database or "",
                str(path),
            ],
            engine,
        )
        engine.dispose()
    restored = _generation(engine)
    with engine.begin() as conn:
        conn.execute(update(DataVersion).values(generation=max(before, restored) + 1))


def _generation(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.coalesce(func.max(DataVersion.generation), 0))) or 0


# --- SpatiaLite -----------------------------------------------------------------------------------


def _sqlite_backup(engine: Engine, target: Path) -> None:
    import sqlean

    raw = engine.raw_connection()
    copy = sqlean.connect(str(target))
    try:
        raw.driver_connection.backup(copy)
    finally:
        copy.close()
        raw.close()


def _sqlite_restore(engine: Engine, source: Path) -> None:
    import sqlean

    backup_db = sqlean.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            ok = backup_db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            has_schema = backup_db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()[0]
        except sqlean.DatabaseError:
            ok = has_schema = False
        if not (ok and has_schema):
            raise BackupError(f"{source} n'est pas une sauvegarde SpatiaLite de Carte.")
        raw = engine.raw_connection()
        try:
            backup_db.backup(raw.driver_connection)
        finally:
            raw.close()
    finally:
        backup_db.close()


# --- PostGIS --------------------------------------------------------------------------------------

_LIBPQ = {"host": "PGHOST", "port": "PGPORT", "username": "PGUSER", "password": "PGPASSWORD", "database": "PGDATABASE"}


def libpq_environment(url) -> dict[str, str]:
    """The environment that gives pg_dump/pg_restore the URL's server and credentials."""
    parsed = make_url(url)
    env = dict(os.environ)
    for attribute, name in _LIBPQ.items():
        value = getattr(parsed, attribute)
        if value is not None:
            env[name] = str(value)
    for key, name in (("sslmode", "PGSSLMODE"), ("options", "PGOPTIONS")):
        if key in parsed.query:
            env[name] = str(parsed.query[key])
    return env


def _run(tool: str, args: list[str], engine: Engine) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} introuvable : installez le client PostgreSQL (paquet postgresql-client, "
            "de la même version majeure que le serveur)."
        )
    result = subprocess.run([executable, *args], env=libpq_environment(engine.url), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{tool} a échoué : {result.stderr.strip()[-2000:]}")
