"""The alert messages: plain text with an HTML alternative (escaped by Jinja's autoescape), in the
subscriber's language, with an unsubscribe link and the RFC 2369 / RFC 8058 headers.

Rendering needs a request context (for `url_for`); `send-alerts` opens one on CARTE_PUBLIC_URL.
The Message-ID is derived from the subscription and what the message is, so a message sent again
after a crash (see carte/alerts/sending.py) carries the same id and mail clients can drop the copy.
"""

from __future__ import annotations

import email.policy
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from flask import current_app, render_template, request, url_for
from flask_babel import force_locale, gettext as _

from carte.alerts import tokens
from carte.models.alerts import AlertSubscription

# Headers are not folded under 998 characters: the standard library's folding of encoded words
# doubles a space where it folds (a subject read back with two spaces). Bodies are quoted-printable.
POLICY = email.policy.SMTP.clone(max_line_length=998)


def public_base() -> str:
    base = current_app.config.get("CARTE_PUBLIC_URL") or request.host_url
    return base.rstrip("/")


def absolute(path: str) -> str:
    return public_base() + path


def report_url(public_id: str) -> str:
    """The report's own page (built by the report pages' area)."""
    return absolute(f"/signalements/{public_id}")


def links(subscription: AlertSubscription) -> dict[str, str]:
    secret = current_app.config["SECRET_KEY"]
    confirm = tokens.sign(secret, tokens.CONFIRM, subscription.id, subscription.nonce)
    leave = tokens.sign(secret, tokens.UNSUBSCRIBE, subscription.id, subscription.nonce)
    return {
        "confirm": absolute(url_for("alerts.confirm", token=confirm)),
        "unsubscribe": absolute(url_for("alerts.unsubscribe", token=leave)),
        "one_click": absolute(url_for("alerts.one_click_unsubscribe", token=leave)),
    }


def describe(subscription: AlertSubscription, report_title: str | None, places: dict, theme_labels: dict) -> str:
    """What the subscription follows, in words (the current locale)."""
    if subscription.kind == "report":
        return _("le signalement « %(title)s »", title=report_title or "")
    if subscription.commune_code:
        where = _("la commune de %(name)s", name=places.get(subscription.commune_code, subscription.commune_code))
    elif subscription.territoire_code:
        where = _("le territoire %(name)s", name=places.get(subscription.territoire_code, subscription.territoire_code))
    else:
        where = _("une zone de la carte")
    themes = [theme_labels.get(s, s) for s in subscription.themes.split(",") if s]
    if themes:
        return _("%(where)s (thèmes : %(themes)s)", where=where, themes=", ".join(themes))
    return where


def _domain() -> str:
    address = parseaddr(current_app.config["CARTE_MAIL_FROM"])[1]
    return address.rpartition("@")[2] or "carte.invalid"


def build(
    subscription: AlertSubscription, kind: str, ref: str, *, subject: str, context: dict, now: datetime
) -> EmailMessage:
    """One message of `kind` (confirm | update | digest), rendered from alerts/mail/<kind>.txt|.html."""
    with force_locale(subscription.lang or "fr"):
        urls = links(subscription)
        context = {**context, "links": urls, "subscription": subscription}
        text = render_template(f"alerts/mail/{kind}.txt", **context)
        html = render_template(f"alerts/mail/{kind}.html", **context)
        subject = str(subject)
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = current_app.config["CARTE_MAIL_FROM"]
    message["To"] = formataddr(("", subscription.email))
    message["Date"] = format_datetime(now)
    safe_ref = re.sub(r"[^A-Za-z0-9.-]", "-", ref)
    message["Message-ID"] = f"<carte-alert-{subscription.id}-{kind}-{safe_ref}@{_domain()}>"
    message["List-Unsubscribe"] = f"<{urls['one_click']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = subscription.lang or "fr"  # after set_content, which drops Content-* headers
    return message
