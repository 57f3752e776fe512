"""`flask --app wsgi carte ...`: the command group, and the commands of each area (one module per area)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from carte.storage.engine import database_unavailable, unavailable_reason


class CarteGroup(AppGroup):
    """Commands that meet an unavailable database end on one clear line (exit 1), not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as err:
            if not database_unavailable(err):
                raise
            reason = unavailable_reason(err)
            raise click.ClickException(f"Base de données indisponible (réessayez plus tard) : {reason}") from err


carte_cli = CarteGroup("carte", help="Carte: données, base et contenu de démonstration.")


def rows_per_second(rows: int, seconds: float) -> str:
    """Rows per second as a plain integer, which scripts (bench/ingest.py) read from the last line."""
    return f"{rows / seconds:.0f}" if seconds > 0 else "—"


# Commands of each area register themselves on carte_cli when imported.
from carte.cli import accounts, alerts, data, interop, privacy  # noqa: E402,F401  (create-user; send-alerts; data and demo; import, export, API keys; erase, backup)
