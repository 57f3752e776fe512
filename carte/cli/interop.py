"""`flask carte import | export | remove-import | create-api-key | revoke-api-key`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
from flask import current_app

from carte.cli import carte_cli, rows_per_second
from carte.errors import CarteError
from carte.extensions import db
from carte.geo.atlas import ARRONDISSEMENTS_FILE, get_atlas


def _arrondissement_polygons() -> dict:
    from shapely.geometry import shape

    from carte.geo.communes import read_geojson

    path = Path(current_app.config["CARTE_DATA_DIR"]) / ARRONDISSEMENTS_FILE
    return {f["properties"]["code"]: shape(f["geometry"]) for f in read_geojson(path)["features"]}


def _count_lines(path: Path) -> int:
    with path.open("rb") as fp:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: fp.read(1 << 20), b"")) - 1, 1)


@carte_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="CLÉ=COLONNE",
    help="Colonne de lat, lon, point, theme, title, description, date, id, address, tags, arrondissement.",
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fichier YAML ou JSON : colonnes et correspondance catégories → thèmes.",
)
@click.option(
    "--source", "source_name", help="Nom de la source (par défaut : celui du fichier de correspondance, ou du fichier)."
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier des lignes rejetées (par défaut : <fichier>.rejects.csv à côté du fichier).",
)
@click.option("--limit", type=click.IntRange(1), help="N'importer que les N premières lignes.")
@click.option("--dry-run", is_flag=True, help="Tout vérifier et écrire les rejets, sans rien enregistrer.")
def import_command(file: Path, maps, mapping_file, source_name, rejects_path, limit, dry_run):
    """Import reports from a CSV or GeoJSON FILE (idempotent; rejects written beside it)."""
    from carte.interop.importer import ImportFileError, default_rejects_path, import_file
    from carte.interop.mapping import MappingError, load_mapping

    try:
        mapping = load_mapping(mapping_file).with_options(maps)
    except MappingError as err:
        raise click.ClickException(str(err)) from err
    source_name = (source_name or mapping.source_name or file.stem)[:80]
    if rejects_path is None:
        rejects_path = default_rejects_path(file)
        if not os.access(rejects_path.parent, os.W_OK):
            rejects_path = Path.cwd() / rejects_path.name
            click.echo(f"Dossier du fichier en lecture seule : rejets écrits dans {rejects_path}")
    total = limit or _count_lines(file)
    started = time.perf_counter()
    try:
        with click.progressbar(length=total, label=f"Import de {file.name}") as bar:
            summary = import_file(
                db.session,
                get_atlas(current_app),
                file,
                mapping,
                source_name,
                arrondissements=_arrondissement_polygons() if mapping.columns.get("arrondissement") else None,
                rejects_path=rejects_path,
                progress=bar.update,
                limit=limit,
                dry_run=dry_run,
                expected_rows=total,
            )
    except (ImportFileError, MappingError) as err:
        raise click.ClickException(str(err)) from err
    elapsed = time.perf_counter() - started
    for line in summary.lines():
        click.echo(line)
    click.echo(
        f"Débit : {rows_per_second(summary.read, elapsed)} lignes lues/s ({summary.read} lignes en {elapsed:.1f} s)."
    )


@carte_cli.command("remove-import")
@click.argument("source_name")
def remove_import_command(source_name: str):
    """Delete every report imported from SOURCE_NAME."""
    from carte.interop.importer import remove_import

    click.echo(f"{remove_import(db.session, source_name)} signalements importés de « {source_name} » supprimés.")


@carte_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--theme", multiple=True)
@click.option("--tag", multiple=True)
@click.option("--commune", multiple=True)
@click.option("--territoire", multiple=True)
@click.option("--departement", multiple=True)
@click.option("--since", help="AAAA-MM-JJ (inclus)")
@click.option("--until", help="AAAA-MM-JJ (inclus)")
@click.option("--bbox", help="minLon,minLat,maxLon,maxLat")
@click.option("--delimiter", type=click.Choice([",", ";"]), default=",", show_default=True, help="CSV seulement.")
@click.option("--bom/--no-bom", default=True, show_default=True, help="CSV seulement.")
def export_command(file: Path, theme, tag, commune, territoire, departement, since, until, bbox, delimiter, bom):
    """Export the published reports to FILE.geojson or FILE.csv, with the API's filters."""
    from carte.interop.exporter import export_format, iter_reports, write_csv, write_geojson
    from carte.reports.filters import parse_filter
    from carte.web.context import vocabulary

    try:
        fmt = export_format(file.name)
    except ValueError as err:
        raise click.ClickException(str(err)) from err
    args = {
        "theme": list(theme),
        "tag": list(tag),
        "commune": list(commune),
        "territoire": list(territoire),
        "departement": list(departement),
    }
    for name, value in (("since", since), ("until", until), ("bbox", bbox)):
        if value:
            args[name] = [value]
    try:
        flt = parse_filter(args, vocabulary())
    except CarteError as err:
        raise click.ClickException(f"{err.field}: {err.message}") from err
    with file.open("w", encoding="utf-8", newline="") as fp:
        rows = iter_reports(db.session, flt)
        count = write_csv(rows, fp, delimiter=delimiter, bom=bom) if fmt == "csv" else write_geojson(rows, fp)
    click.echo(f"{count} signalements exportés dans {file}.")


@carte_cli.command("create-api-key")
@click.argument("name")
@click.option(
    "--body",
    "body_code",
    metavar="CODE",
    help="Organisme dont la clé peut mettre à jour les signalements : code INSEE, SIREN d'un EPT ou 200054781.",
)
def create_api_key_command(name: str, body_code: str | None):
    """Issue an Open311 API key named NAME; the key is printed once and only its hash is kept.

    With --body, the key may also post updates (servicerequestupdates) to that body's reports."""
    from carte.open311.keys import issue_key

    bodies = get_atlas(current_app).bodies if body_code else None
    try:
        token = issue_key(db.session, name, body_code, bodies)
    except ValueError as err:
        raise click.ClickException(str(err)) from err
    body = f", pour {bodies.get(body_code.strip()).name}" if body_code else ""
    click.echo(f"Clé « {name} » créée{body}. Conservez-la : elle ne sera plus affichée.")
    click.echo(token)


@carte_cli.command("revoke-api-key")
@click.argument("name")
def revoke_api_key_command(name: str):
    """Revoke the Open311 API key named NAME."""
    from carte.open311.keys import revoke_key

    if not revoke_key(db.session, name):
        raise click.ClickException(f"Aucune clé nommée « {name} ».")
    click.echo(f"Clé « {name} » révoquée.")
