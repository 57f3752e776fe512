"""`flask carte send-alerts`: send the alert messages that are due (see carte/alerts/sending.py)."""

from __future__ import annotations

import click
from flask import current_app
from flask_babel import ngettext

from carte.cli import carte_cli
from carte.extensions import db


@carte_cli.command("send-alerts")
def send_alerts_command():
    """Send what is due: confirmations, report updates at once, daily digests of areas. Idempotent."""
    from carte.alerts.mailer import Mailer, MailerConfigError, parse_smtp_url
    from carte.alerts.sending import send_due

    url = current_app.config.get("CARTE_SMTP_URL")
    if not url:
        raise click.ClickException("CARTE_SMTP_URL n'est pas défini : aucun message ne peut partir.")
    try:
        settings = parse_smtp_url(url)
    except MailerConfigError as err:
        raise click.ClickException(str(err)) from err
    base = current_app.config.get("CARTE_PUBLIC_URL")
    if not base:
        click.echo(
            "CARTE_PUBLIC_URL n'est pas défini : les liens des messages pointent vers http://localhost/.", err=True
        )
    with current_app.test_request_context("/", base_url=base or "http://localhost/"), Mailer(settings) as mailer:
        summary = send_due(db.session, mailer)
    for line in summary.sent:
        click.echo(f"Envoyé : {line}")
    for line in summary.failed:
        click.echo(f"Échec (réessayé au prochain passage) : {line}", err=True)
    if summary.forgotten:
        click.echo(
            ngettext(
                "%(num)d abonnement jamais confirmé oublié.",
                "%(num)d abonnements jamais confirmés oubliés.",
                summary.forgotten,
            )
        )
    click.echo(
        ngettext("%(num)d message envoyé", "%(num)d messages envoyés", len(summary.sent))
        + ", "
        + ngettext("%(num)d échec.", "%(num)d échecs.", len(summary.failed))
    )
    if summary.failed:
        raise SystemExit(1)
