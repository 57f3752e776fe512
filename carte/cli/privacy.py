"""`flask carte erase | purge-contacts | backup | restore`: people's data and the database's safety."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask_babel import ngettext

from carte.cli import carte_cli
from carte.errors import CarteError
from carte.extensions import db


@carte_cli.command("erase")
@click.option("--contributor", help="Identifiant de contributeur (cookie anonyme).")
@click.option(
    "--report", "report_id", help="Identifiant public d'un de ses signalements (pour trouver le contributeur)."
)
@click.option("--email", help="Adresse e-mail donnée par Open311.")
@click.option("--dry-run", is_flag=True, help="Compter sans rien effacer.")
def erase_command(contributor, report_id, email, dry_run):
    """Erase everything of one person (GDPR art. 17): reports, comments, votes, flags, photos, contacts."""
    from carte.participation.erasure import Person, contributor_of_report, erase_person

    if report_id:
        if contributor:
            raise click.UsageError("--report et --contributor désignent la même chose : donnez-en un seul.")
        contributor = contributor_of_report(db.session, report_id)
        if not contributor:
            raise click.ClickException(f"Aucun signalement « {report_id} » avec un contributeur connu.")
    try:
        person = Person.of(contributor, email)
    except CarteError as err:
        raise click.UsageError(err.message) from err
    counts = erase_person(
        db.session,
        person,
        upload_dir=Path(current_app.config["CARTE_UPLOAD_DIR"]),
        secret=current_app.config["SECRET_KEY"],
        user_id=None,
        dry_run=dry_run,
    )
    click.echo(("À effacer (essai, rien n'est effacé) : " if dry_run else "Effacé : ") + counts.summary() + ".")


@carte_cli.command("purge-contacts")
def purge_contacts_command():
    """Delete Open311 contacts older than CARTE_CONTACT_RETENTION_DAYS (run it daily)."""
    from carte.participation.erasure import purge_contacts

    days = current_app.config["CARTE_CONTACT_RETENTION_DAYS"]
    purged = purge_contacts(db.session, retention_days=days)
    click.echo(
        ngettext(
            "%(num)d contact de plus de %(days)d jours effacé.",
            "%(num)d contacts de plus de %(days)d jours effacés.",
            purged,
            days=days,
        )
    )


@carte_cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path):
    """Write a consistent copy of the database to FILE, while the app keeps running."""
    from carte.storage.backup import BackupError, backup

    try:
        backup(db.engine, file)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Sauvegarde écrite dans {file} ({file.stat().st_size} octets).")


@carte_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
def restore_command(file: Path, yes: bool):
    """Replace the whole database with the backup FILE."""
    from carte.storage.backup import BackupError, restore

    if not yes:
        click.confirm("Toutes les données actuelles seront remplacées par la sauvegarde. Continuer ?", abort=True)
    db.session.remove()
    try:
        restore(db.engine, file)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Base restaurée depuis {file}.")
