"""Moderation (/animation/moderation): the queue, and a decision on any report or comment (from the queue or
from the report's page). Thin routes over carte.moderation.decisions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from carte.errors import CarteError
from carte.extensions import db
from carte.moderation import decisions as moderation_uc
from carte.web.access import role_required, safe_next
from carte.web.errors import wants_json

moderation = Blueprint("moderation", __name__, url_prefix="/animation")


@moderation.get("/moderation")
@role_required("moderator")
def queue():
    return render_template("moderation/queue.html", items=moderation_uc.moderation_queue(db.session))


@moderation.post("/moderation/<target_type>/<public_id>")
@role_required("moderator")
def decide(target_type: str, public_id: str):
    action = request.form.get("action", "")
    # Back where the decision was taken: the queue, or the report's own page.
    back = safe_next(request.form["next"]) if request.form.get("next") else url_for("moderation.queue")
    try:
        item = moderation_uc.decide(
            db.session, current_user.id, target_type, public_id, action, request.form.get("reason")
        )
    except CarteError as err:
        if wants_json() or err.status == 404:
            raise
        db.session.rollback()
        flash(err.localized(_), "error")
        return redirect(back), 303
    if wants_json():
        return {"id": item.public_id, "status": item.status, "moderation_note": item.moderation_note}
    messages = {"publish": _("Publié."), "hide": _("Masqué."), "reject": _("Rejeté.")}
    flash(messages[action], "success")
    return redirect(back), 303
