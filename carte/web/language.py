"""The language switch: stores the choice in the session (create_app's locale selector reads it)."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, session

from carte.auth import safe_next

language = Blueprint("language", __name__)


@language.post("/langue")
def switch_language():
    chosen = request.form.get("lang", "")
    if chosen in current_app.config["CARTE_LANGUAGES"]:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")), code=303)
