"""`flask --app wsgi carte create-user EMAIL --role ...`: staff accounts from the command line."""
from __future__ import annotations

import sys

import click

from carte.accounts import create_user
from carte.cli import carte_cli
from carte.errors import CarteError
from carte.extensions import db
from carte.models.accounts import ROLES


@carte_cli.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="facilitator < moderator < admin")
def create_user_command(email: str, role: str):
    """Create a staff account. The password is prompted, or read from stdin when it is not a terminal."""
    if sys.stdin.isatty():
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(db.session, email, password, role)
    except CarteError as err:
        raise click.ClickException(err.message) from err
    click.echo(f"Compte {user.email} créé ({user.role}).")
