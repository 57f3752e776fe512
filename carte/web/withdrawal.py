"""Residents withdraw what they posted: API routes for the browser that posted it (contributor
cookie), and the page of the private link shown once after posting. Thin routes over
carte.participation.withdrawal."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template, request

from carte.extensions import db, limiter
from carte.participation import withdrawal as withdrawal_uc
from carte.participation.comments import get_comment
from carte.storage.reports import get_report
from carte.web.contributors import contributor_id
from carte.web.openapi import doc
from carte.web.participation import participation_limit

withdrawal = Blueprint("withdrawal", __name__)

WITHDRAWN_SCHEMA = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {"id": {"type": "string"}, "status": {"type": "string", "enum": [withdrawal_uc.WITHDRAWN]}},
}


def _upload_dir() -> Path:
    return Path(current_app.config["CARTE_UPLOAD_DIR"])


def _withdraw_as_author(target_type: str, item):
    withdrawal_uc.withdraw_as_author(db.session, target_type, item, contributor_id(request), upload_dir=_upload_dir())
    return {"id": item.public_id, "status": withdrawal_uc.WITHDRAWN}, 200, {"Cache-Control": "no-store"}


@withdrawal.delete("/api/v1/reports/<public_id>")
@limiter.limit(participation_limit)
@doc(
    "Retirer son signalement (depuis le navigateur qui l'a déposé)",
    tag="participation",
    responses={200: WITHDRAWN_SCHEMA},
    errors=(403, 404, 429),
    description="Textes, mots-clés et photos effacés ; le signalement quitte la carte, les listes et les agrégats.",
)
def withdraw_report(public_id: str):
    return _withdraw_as_author("report", get_report(db.session, public_id))


@withdrawal.delete("/api/v1/comments/<public_id>")
@limiter.limit(participation_limit)
@doc(
    "Retirer son commentaire (depuis le navigateur qui l'a publié)",
    tag="participation",
    responses={200: WITHDRAWN_SCHEMA},
    errors=(403, 404, 429),
)
def withdraw_comment(public_id: str):
    return _withdraw_as_author("comment", get_comment(db.session, public_id))


def _private_page(template: str, status: int = 200, **context):
    # The token is in the address: no Referer carries it away, no cache keeps the page.
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    return render_template(template, **context), status, headers


@withdrawal.route("/retrait/<token>", methods=["GET", "POST"])
@limiter.limit(participation_limit, methods=["POST"])
def confirm(token: str):
    """GET shows what the link withdraws and a button; POST (with its CSRF token) withdraws it."""
    found = withdrawal_uc.find_by_token(db.session, token) if len(token) <= 100 else None
    if found is None:
        return _private_page("withdrawal/unknown.html", 404)
    target_type, item = found
    if request.method == "POST":
        withdrawal_uc.withdraw(db.session, target_type, item, by=withdrawal_uc.BY_LINK, upload_dir=_upload_dir())
        return _private_page("withdrawal/done.html", target_type=target_type)
    return _private_page("withdrawal/confirm.html", target_type=target_type, item=item)
