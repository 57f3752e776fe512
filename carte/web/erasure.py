"""The admins' erasure page (/animation/effacement): a person's data erased on request (GDPR art. 17),
in two steps: the counts first, then a confirmation. Thin routes over carte.participation.erasure."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext
from flask_login import current_user

from carte.errors import CarteError
from carte.extensions import db
from carte.participation.erasure import Person, contributor_of_report, erase_person
from carte.web.access import role_required

erasure = Blueprint("erasure", __name__, url_prefix="/animation")


def _person(form) -> Person:
    contributor = form.get("contributor", "")
    if form.get("report", "").strip():
        if contributor.strip():
            raise CarteError(
                "person_required",
                "Donnez un identifiant de contributeur ou de signalement, pas les deux.",
                "contributor",
            )
        contributor = contributor_of_report(db.session, form["report"][:40])
        if not contributor:
            raise CarteError("not_found", "Aucun signalement de ce numéro avec un contributeur connu.", "report")
    return Person.of(contributor[:41], form.get("email", "")[:255])


@erasure.route("/effacement", methods=["GET", "POST"])
@role_required("admin")
def erase():
    if request.method == "GET":
        return render_template("admin/erasure.html", step="ask", form={})
    form = request.form
    try:
        person = _person(form)
    except CarteError as err:
        db.session.rollback()
        return render_template("admin/erasure.html", step="ask", form=form, error=err.localized(gettext)), 422
    confirmed = form.get("step") == "confirm"
    counts = erase_person(
        db.session,
        person,
        upload_dir=Path(current_app.config["CARTE_UPLOAD_DIR"]),
        secret=current_app.config["SECRET_KEY"],
        user_id=current_user.id,
        dry_run=not confirmed,
    )
    return render_template("admin/erasure.html", step="done" if confirmed else "confirm", person=person, counts=counts)
