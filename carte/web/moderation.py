"""Moderation and admin pages: the queue (/animation/moderation), the audit log
(/animation/journal) and the themes (/animation/themes). Thin routes over
carte.participation.moderation and carte.participation.themes."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from carte.auth import role_required, safe_next
from carte.errors import CarteError
from carte.extensions import db
from carte.participation import moderation as moderation_uc, themes as themes_uc
from carte.participation.moderation import ACTIONS
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
        item = moderation_uc.decide(db.session, current_user.id, target_type, public_id, action, request.form.get("reason"))
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


@moderation.get("/journal")
@role_required("admin")
def journal():
    before = request.args.get("avant", type=int)
    entries = moderation_uc.audit_entries(db.session, limit=100, before=before)
    titles = moderation_uc.audit_titles(db.session, entries)
    return render_template("admin/journal.html", entries=entries, actions=ACTIONS, titles=titles)


@moderation.get("/themes")
@role_required("admin")
def themes():
    routing_choices = [("commune", _("Commune")), ("territory", _("Territoire (EPT)")), ("metropole", _("Métropole"))]
    return render_template("admin/themes.html", themes=themes_uc.all_themes(db.session), usage=themes_uc.usage(db.session),
                           routing_choices=routing_choices)


@moderation.post("/themes")
@role_required("admin")
def create_theme():
    return _theme_change(lambda: themes_uc.create_theme(db.session, request.form, current_user.id), _("Thème ajouté."))


@moderation.post("/themes/<int:theme_id>")
@role_required("admin")
def update_theme(theme_id: int):
    return _theme_change(lambda: themes_uc.update_theme(db.session, theme_id, request.form, current_user.id), _("Thème enregistré."))


@moderation.post("/themes/<int:theme_id>/suppression")
@role_required("admin")
def delete_theme(theme_id: int):
    return _theme_change(lambda: themes_uc.delete_theme(db.session, theme_id), _("Thème supprimé."))


def _theme_change(change, message: str):
    try:
        change()
    except CarteError as err:
        db.session.rollback()
        if wants_json() or err.status == 404:
            raise
        flash(err.localized(_), "error")
        return redirect(url_for("moderation.themes")), 303
    flash(message, "success")
    return redirect(url_for("moderation.themes")), 303
