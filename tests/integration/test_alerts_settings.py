"""CARTE_SMTP_URL's forms, and the signed links: what each opens and what it refuses."""

from __future__ import annotations

import pytest

from carte.alerts import tokens
from carte.alerts.mailer import MailerConfigError, SmtpSettings, parse_smtp_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://127.0.0.1:1025", SmtpSettings("127.0.0.1", 1025)),
        ("smtp://relay.example.org", SmtpSettings("relay.example.org", 25)),
        (
            "smtp://alertes:s%40cret%2F1@mail.example.org:587?starttls=1",
            SmtpSettings("mail.example.org", 587, starttls=True, user="alertes", password="s@cret/1"),
        ),
        (
            "smtps://alertes:mdp@mail.example.org",
            SmtpSettings("mail.example.org", 465, tls=True, user="alertes", password="mdp"),
        ),
        ("smtps://mail.example.org:2465?starttls=0", SmtpSettings("mail.example.org", 2465, tls=True)),
    ],
)
def test_smtp_url_forms(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "mail.example.org:25", "smtp://", "smtp://host:notaport"])
def test_bad_smtp_urls_are_refused_with_a_message(url):
    with pytest.raises(MailerConfigError):
        parse_smtp_url(url)


def test_send_alerts_without_smtp_says_so(app):
    from tests.integration.test_import import run

    app.config["CARTE_SMTP_URL"] = ""
    result = run(app, "send-alerts")
    assert result.exit_code == 1 and "CARTE_SMTP_URL" in result.output


def test_tokens_open_their_purpose_only():
    token = tokens.sign("clé", tokens.UNSUBSCRIBE, 12, "nonce-a")
    assert tokens.read("clé", tokens.UNSUBSCRIBE, token) == (12, "nonce-a")
    assert tokens.read("clé", tokens.CONFIRM, token) is None  # an unsubscribe link never confirms
    assert tokens.read("autre clé", tokens.UNSUBSCRIBE, token) is None  # a new SECRET_KEY voids old links
    assert tokens.read("clé", tokens.UNSUBSCRIBE, token[:-2] + "xx") is None
    assert tokens.read("clé", tokens.UNSUBSCRIBE, "x" * 500) is None
    assert tokens.same_nonce("nonce-a", "nonce-a") and not tokens.same_nonce("nonce-a", "nonce-b")
