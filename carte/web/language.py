"""The language switch: stores the choice in the session (create_app's locale selector reads it)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, session
from flask_babel import get_locale, ngettext

from carte.web.access import safe_next

language = Blueprint("language", __name__)


@language.post("/langue")
def switch_language():
    chosen = request.form.get("lang", "")
    if chosen in current_app.config["CARTE_LANGUAGES"]:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")), code=303)


def plural_forms(singular: str, plural: str, count: str) -> dict:
    """Both forms of a message for the browser (i18n.js picks one with Intl.PluralRules): the
    singular and plural translations of the request's language, and the parameter that counts."""
    return {"one": ngettext(singular, plural, 1), "other": ngettext(singular, plural, 2), "count": count}


def ui_lang() -> str:
    """The request's language code ("fr" or "en")."""
    return str(get_locale() or "fr")
