"""Staff login and logout (/connexion, /deconnexion)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from carte.accounts import authenticate, end_sessions
from carte.extensions import db, limiter
from carte.text import INVALID_CHARACTERS, forbidden_character
from carte.web.access import login_rate_limit, safe_next

auth = Blueprint("auth", __name__)


def no_control_characters(form, field) -> None:
    """The shared rule of carte.text (NUL, controls, surrogates refused); a password is never rewritten."""
    if field.data and forbidden_character(field.data):
        raise ValidationError(_(INVALID_CHARACTERS))


class LoginForm(FlaskForm):
    email = StringField(_l("Adresse électronique"), validators=[DataRequired(), Length(max=254), no_control_characters])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(), Length(max=200), no_control_characters])


@auth.route("/connexion", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    form = LoginForm()
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_landing(current_user, next_url))
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_landing(user, next_url))
        form.password.errors.append(_("Adresse ou mot de passe incorrect."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form, next_url=next_url), status


def _landing(user, next_url: str) -> str:
    """Where a login leads without a page to go back to (no `next`, or the home page the login form
    defaults to): agents to their body's queue (/animation/suivi)."""
    if user.role == "agent" and next_url == url_for("pages.index"):
        return url_for("followup.queue")
    return next_url


@auth.post("/deconnexion")
def logout():
    if current_user.is_authenticated:
        end_sessions(db.session, current_user)
    logout_user()
    return redirect(url_for("pages.index"))
