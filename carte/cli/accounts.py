"""`flask --app wsgi carte create-user|set-password|deactivate-user|activate-user EMAIL`: staff accounts from
the command line."""

from __future__ import annotations

import sys

import click
from flask import current_app

from carte.accounts import change_password, create_user, set_active
from carte.cli import carte_cli
from carte.errors import CarteError
from carte.extensions import db
from carte.models.accounts import ROLES


@carte_cli.command("create-user")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="agent (one body); facilitator < moderator < admin"
)
@click.option("--body", "body_code", help="an agent's body: INSEE code, EPT SIREN, or 200054781 for the Métropole")
def create_user_command(email: str, role: str, body_code: str | None):
    """Create a staff account. The password is prompted, or read from stdin when it is not a terminal."""
    from carte.geo.atlas import get_atlas  # the atlas loads shapely: only when a body is named

    bodies = get_atlas(current_app).bodies if body_code else ()
    user = _run(create_user, email, _read_password(), role, body_code, bodies)
    body = f", {bodies.get(user.body_code).name}" if user.body_code else ""
    click.echo(f"Compte {user.email} créé ({user.role}{body}).")


@carte_cli.command("set-password")
@click.argument("email")
def set_password_command(email: str):
    """Change a staff password (prompted, or read from stdin); the account's open sessions end."""
    user = _run(change_password, email, _read_password())
    click.echo(f"Mot de passe de {user.email} changé ; ses sessions ouvertes sont fermées.")


@carte_cli.command("deactivate-user")
@click.argument("email")
def deactivate_user_command(email: str):
    """Refuse this account's logins and end its open sessions at once."""
    user = _run(set_active, email, False)
    click.echo(f"Compte {user.email} désactivé ; ses sessions ouvertes sont fermées.")


@carte_cli.command("activate-user")
@click.argument("email")
def activate_user_command(email: str):
    user = _run(set_active, email, True)
    click.echo(f"Compte {user.email} réactivé.")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _run(use_case, *args):
    try:
        return use_case(db.session, *args)
    except CarteError as err:
        raise click.ClickException(err.message) from err
