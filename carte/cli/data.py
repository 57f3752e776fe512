"""`flask carte build-communes | load-places | seed | remove-demo | generate`: the data and the demo content."""

from __future__ import annotations

import time

import click
from flask import current_app

from carte import demo
from carte.cli import carte_cli, rows_per_second
from carte.extensions import db
from carte.geo.atlas import get_atlas
from carte.geo.communes import BuildError
from carte.storage.setup import ensure_data, load_places


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
            db.session,
            vars(data),
            source="import",
            source_name=f"synthetic-{seed}",
            is_demo=True,
            progress=bar,
            stats=stats,
        )
    elapsed = time.perf_counter() - started
    click.echo(f"{added} signalements synthétiques ajoutés (graine {seed}).")
    click.echo(
        f"Débit : {rows_per_second(added, elapsed)} lignes/s en tout ({elapsed:.1f} s) ; "
        f"génération {generated:.1f} s, écriture {stats.seconds:.1f} s ({rows_per_second(added, stats.seconds)} lignes/s)."
    )
