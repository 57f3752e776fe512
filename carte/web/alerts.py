"""Following by email: the API that asks for alerts, the RFC 8058 one-click unsubscribe, and the
pages of the links in the messages (confirm, unsubscribe). Thin routes over carte.alerts.

The address is never echoed: every valid request answers the same 202, whether the address was
new, waiting for its confirmation or already confirmed. Pages show what is followed, never to whom.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale, gettext as _

from carte.alerts import subscriptions, tokens
from carte.alerts.mailer import REQUEST_TIMEOUT, Mailer, MailerConfigError, parse_smtp_url
from carte.alerts.sending import describe, send_confirmation
from carte.errors import CarteError
from carte.extensions import db, limiter
from carte.web.context import json_body, vocabulary
from carte.web.participation import participation_limit, reject_bots

alerts = Blueprint("alerts", __name__)
log = logging.getLogger(__name__)


def mailer() -> Mailer | None:
    """The configured mailer, or None when CARTE_SMTP_URL is empty (requests are kept; send-alerts sends)."""
    url = current_app.config.get("CARTE_SMTP_URL")
    if not url:
        return None
    return Mailer(parse_smtp_url(url), timeout=REQUEST_TIMEOUT)


@alerts.post("/api/v1/alerts")
@limiter.limit(participation_limit)
def subscribe():
    data = reject_bots(json_body())
    email = subscriptions.check_email(data.get("email"))
    words = vocabulary()
    target = subscriptions.parse_target(
        db.session, data, communes=set(words.communes), territoires=set(words.territoires), themes=set(words.themes)
    )
    lang = str(get_locale() or "fr")
    subscription = subscriptions.subscribe(db.session, email, target, lang)
    if subscription is not None:
        _send_confirmation_now(subscription)
    body = {
        "status": "pending",
        "message": _(
            "Si l'adresse est valide, un message vient d'y être envoyé : "
            "cliquez sur son lien pour confirmer l'abonnement."
        ),
    }
    return body, 202, {"Cache-Control": "no-store"}


def _send_confirmation_now(subscription) -> None:
    """Try at once; when SMTP fails or is not configured, send-alerts retries (the answer is the same)."""
    try:
        sender = mailer()
    except MailerConfigError as err:
        log.error("alerts: %s", err)
        return
    if sender is None:
        return
    try:
        with sender:
            send_confirmation(db.session, sender, subscription, datetime.now(UTC))
    except Exception:  # noqa: BLE001 (kept for send-alerts; the resident's answer does not change)
        log.exception("alerts: confirmation not sent now (send-alerts will retry)")
        db.session.rollback()


@alerts.post("/api/v1/alerts/<token>/unsubscribe")
@limiter.limit(participation_limit)
def one_click_unsubscribe(token: str):
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click`, with no cookie and no CSRF token."""
    found = subscriptions.find(db.session, current_app.config["SECRET_KEY"], tokens.UNSUBSCRIBE, token)
    if found is None:
        if tokens.read(current_app.config["SECRET_KEY"], tokens.UNSUBSCRIBE, token) is None:
            raise CarteError("not_found", "Lien de désabonnement inconnu.", "token", status=404)
        return {"status": "unsubscribed"}, 200  # a valid link whose subscription is gone already
    subscriptions.unsubscribe(db.session, found)
    return {"status": "unsubscribed"}, 200


def _private_page(template: str, status: int = 200, **context):
    # The token is in the address: no Referer carries it away, no cache keeps the page.
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    return render_template(template, **context), status, headers


@alerts.route("/alertes/confirmer/<token>", methods=["GET", "POST"])
@limiter.limit(participation_limit, methods=["POST"])
def confirm(token: str):
    """GET shows what the link confirms and a button (link scanners do not subscribe anyone); POST confirms."""
    found = subscriptions.find(db.session, current_app.config["SECRET_KEY"], tokens.CONFIRM, token)
    if found is None:
        return _private_page("alerts/unknown.html", 404)
    what = describe(db.session, found)
    if request.method == "POST":
        subscriptions.confirm(db.session, found)
        return _private_page("alerts/confirmed.html", what=what, subscription=found)
    return _private_page("alerts/confirm.html", what=what, already=found.confirmed_at is not None)


@alerts.route("/alertes/desabonnement/<token>", methods=["GET", "POST"])
@limiter.limit(participation_limit, methods=["POST"])
def unsubscribe(token: str):
    """GET shows a one-button page; POST unsubscribes (the headers' one-click POST is the API route)."""
    found = subscriptions.find(db.session, current_app.config["SECRET_KEY"], tokens.UNSUBSCRIBE, token)
    if found is None:
        if tokens.read(current_app.config["SECRET_KEY"], tokens.UNSUBSCRIBE, token) is not None:
            return _private_page("alerts/unsubscribed.html")  # already done
        return _private_page("alerts/unknown.html", 404)
    if request.method == "POST":
        subscriptions.unsubscribe(db.session, found)
        return _private_page("alerts/unsubscribed.html")
    return _private_page("alerts/unsubscribe.html", what=describe(db.session, found))
