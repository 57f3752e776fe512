"""The themes admin (/animation/themes, admins): labels in both languages, colours, routing to a body. Thin routes
over carte.reports.themes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from carte.errors import CarteError
from carte.extensions import db
from carte.reports import themes as themes_uc
from carte.web.access import role_required
from carte.web.errors import wants_json

themes = Blueprint("themes", __name__, url_prefix="/animation")


@themes.get("/themes")
@role_required("admin")
def index():
    routing_choices = [("commune", _("Commune")), ("territory", _("Territoire (EPT)")), ("metropole", _("Métropole"))]
    return render_template(
        "admin/themes.html",
        themes=themes_uc.all_themes(db.session),
        usage=themes_uc.usage(db.session),
        routing_choices=routing_choices,
    )


@themes.post("/themes")
@role_required("admin")
def create_theme():
    return _theme_change(lambda: themes_uc.create_theme(db.session, request.form, current_user.id), _("Thème ajouté."))


@themes.post("/themes/<int:theme_id>")
@role_required("admin")
def update_theme(theme_id: int):
    return _theme_change(
        lambda: themes_uc.update_theme(db.session, theme_id, request.form, current_user.id), _("Thème enregistré.")
    )


@themes.post("/themes/<int:theme_id>/suppression")
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
        return redirect(url_for("themes.index")), 303
    flash(message, "success")
    return redirect(url_for("themes.index")), 303
