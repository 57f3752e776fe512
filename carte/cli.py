"""`flask --app wsgi carte ...` commands."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from carte import demo
from carte.extensions import db
from carte.geo.communes import BuildError
from carte.places import get_atlas
from carte.storage.engine import database_unavailable, unavailable_reason
from carte.storage.setup import ensure_data, load_places


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


@carte_cli.command("build-communes")
def build_communes_command():
    """Write data/communes.geojson and data/arrondissements.geojson from the sources."""
    try:
        summary = ensure_data(current_app, force=True)
    except BuildError as err:
        raise click.ClickException(str(err)) from err
    for key, value in (summary or {}).items():
        click.echo(f"{key}: {value}")


@carte_cli.command("load-places")
def load_places_command():
    """Build the data if missing, then load communes and arrondissements into the database."""
    ensure_data(current_app)
    communes, arrondissements = load_places(current_app)
    click.echo(f"{communes} communes, {arrondissements} arrondissements chargés.")


@carte_cli.command("seed")
@click.option("--demo/--no-demo", "with_demo", default=True, help="Ajouter des signalements de démonstration.")
def seed_command(with_demo: bool):
    """Create the themes, and demo reports unless there are some already."""
    click.echo(f"{demo.seed_themes(db.session)} thèmes ajoutés.")
    if with_demo:
        click.echo(f"{demo.seed_demo(db.session, get_atlas(current_app))} signalements de démonstration ajoutés.")


@carte_cli.command("remove-demo")
def remove_demo_command():
    """Delete every demo report."""
    click.echo(f"{demo.remove_demo(db.session)} signalements de démonstration supprimés.")


@carte_cli.command("generate")
@click.option("--n", "count", type=click.IntRange(1, 5_000_000), default=10_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
def generate_command(count: int, seed: int):
    """Add N realistic synthetic reports (marked as demo content)."""
    from carte.storage.bulk import LoadStats, insert_reports
    from carte.synthetic import generate

    started = time.perf_counter()
    data = generate(get_atlas(current_app), count, seed)
    generated = time.perf_counter() - started
    stats = LoadStats()
    with click.progressbar(length=len(data.lon), label="Signalements synthétiques") as bar:
        added = insert_reports(
            db.session, vars(data), source="import", source_name=f"synthetic-{seed}", is_demo=True, progress=bar,
            stats=stats,
        )
    elapsed = time.perf_counter() - started
    click.echo(f"{added} signalements synthétiques ajoutés (graine {seed}).")
    click.echo(
        f"Débit : {rows_per_second(added, elapsed)} lignes/s en tout ({elapsed:.1f} s) ; "
        f"génération {generated:.1f} s, écriture {stats.seconds:.1f} s ({rows_per_second(added, stats.seconds)} lignes/s)."
    )


def rows_per_second(rows: int, seconds: float) -> str:
    """Rows per second as a plain integer, which scripts (bench/ingest.py) read from the last line."""
    return f"{rows / seconds:.0f}" if seconds > 0 else "—"


# Commands of other areas register themselves on carte_cli when imported.
from carte import accounts_cli, alerts_cli, interop_cli, privacy_cli  # noqa: E402,F401  (create-user; send-alerts; import, export, API keys; erase, backup)
