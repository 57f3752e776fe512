"""Migration 0009 creates what the alert models say, and goes down and up again, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from carte.extensions import db
from carte.storage.setup import MIGRATIONS_DIR

pytestmark = pytest.mark.backends

TABLES = {"alert_subscriptions", "alert_deliveries"}


def alert_differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diffs = compare_metadata(context, db.metadata)

    def table_of(diff):
        item = diff[0] if isinstance(diff, list) else diff
        for part in item[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None) in TABLES:
                return table.name
            if name in TABLES:
                return name
        return None

    return [d for d in diffs if table_of(d)]


def test_migration_matches_the_models_and_downgrades(app):
    with app.app_context():
        with db.engine.connect() as connection:
            assert alert_differences(connection) == []
        downgrade(directory=MIGRATIONS_DIR, revision="0008")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        with db.engine.connect() as connection:
            missing = alert_differences(connection)  # the comparison sees these tables: it is not blind
        assert {d[1].name for d in missing if d[0] == "add_table"} == TABLES
        upgrade(directory=MIGRATIONS_DIR, revision="head")
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        with db.engine.connect() as connection:
            assert alert_differences(connection) == []
