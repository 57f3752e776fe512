"""The migration history stays a line: one head, so that `flask db upgrade` and `flask db revision` work."""

from alembic.config import Config
from alembic.script import ScriptDirectory

from carte.storage.setup import MIGRATIONS_DIR


def test_one_migration_head():
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}; merge them with `flask db merge`"
