"""Resident participation API: votes, comments, photos and flags on a report.

Thin routes: each reads the signed anonymous contributor cookie (the "voter cookie"),
checks the honeypot, calls one use case of carte.participation and serialises.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, request, send_from_directory

from carte.errors import CarteError
from carte.extensions import db, limiter
from carte.participation import comments as comments_uc, flags as flags_uc, photos as photos_uc, votes as votes_uc
from carte.participation.common import HIDDEN_LABEL
from carte.participation.withdrawal import new_link_token
from carte.reports.serialize import iso_utc
from carte.storage.reports import get_report
from carte.web.context import json_body, premoderation, withdraw_url
from carte.web.contributors import contributor_id, remember_contributor
from carte.web.idempotency import idempotent

participation = Blueprint("participation", __name__)
media = Blueprint("media", __name__)

HONEYPOT = "website"


def participation_limit() -> str:
    return current_app.config["CARTE_PARTICIPATION_RATE_LIMIT"]


def reject_bots(data) -> dict:
    """Bots fill every field; people never see this one (it is visually hidden and skipped by keyboard)."""
    if not isinstance(data, dict):
        raise CarteError("invalid_json", "Le corps doit être un objet JSON.", None, status=400)
    if data.get(HONEYPOT):
        raise CarteError("rejected", "Envoi refusé.", None, status=400)
    return data


@participation.before_app_request
def _honeypot_on_report_submission():
    # The report form belongs to the reports API; its honeypot is checked here so that all
    # resident forms share one rule.
    if request.method == "POST" and request.path == "/api/v1/reports" and request.is_json:
        data = request.get_json(silent=True)
        if isinstance(data, dict) and data.get(HONEYPOT):
            raise CarteError("rejected", "Envoi refusé.", None, status=400)


def flag_source() -> str:
    """The flagger's address as a keyed hash: enough to tell addresses apart, not to recover one."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (request.remote_addr or "").encode(), hashlib.sha256).hexdigest()


def answer(payload: dict, voter: str, status: int = 200):
    response = jsonify(payload)
    response.status_code = status
    remember_contributor(response, voter)
    response.headers["Cache-Control"] = "no-store"
    return response


def comment_json(comment, voter: str | None = None) -> dict:
    """A comment as residents see it; `can_withdraw` tells its author's browser it may withdraw it."""
    hidden = comment.status == "hidden"
    return {
        "id": comment.public_id,
        "body": None if hidden else comment.body,
        "author_name": None if hidden else comment.author_name,
        "status": comment.status,
        "hidden_label": HIDDEN_LABEL if hidden else None,
        "moderation_note": comment.moderation_note if hidden else None,
        "created_at": iso_utc(comment.created_at),
        "can_withdraw": bool(voter and comment.contributor == voter),
    }


def photo_json(photo) -> dict:
    return {
        "id": photo.public_id,
        "url": f"/media/photos/{photo.public_id}",
        "thumbnail_url": f"/media/photos/{photo.public_id}/miniature",
        "width": photo.width,
        "height": photo.height,
        "content_type": photo.content_type,
    }


@participation.get("/reports/<public_id>/participation")
def report_participation(public_id: str):
    """Everything the report panel shows beside the report itself, in one call."""
    report = get_report(db.session, public_id)
    if report is None or report.status not in ("published", "hidden"):
        raise CarteError("not_found", "Signalement introuvable.", "id", status=404)
    voter = contributor_id(request)
    if report.status == "hidden":
        return answer(
            {"status": "hidden", "hidden_label": HIDDEN_LABEL, "moderation_note": report.moderation_note}, voter
        )
    return answer(
        {
            "status": report.status,
            "votes": votes_uc.summary(db.session, report, voter),
            "comments": [comment_json(c, voter) for c in comments_uc.public_comments(db.session, report)],
            "photos": [photo_json(p) for p in photos_uc.report_photos(db.session, report)],
            "can_add_photos": report.contributor == voter
            and photos_uc.count_photos(db.session, report) < current_app.config["CARTE_MAX_PHOTOS"],
            "max_photos": current_app.config["CARTE_MAX_PHOTOS"],
            "can_withdraw": bool(report.contributor) and report.contributor == voter,
        },
        voter,
    )


@participation.post("/reports/<public_id>/vote")
@limiter.limit(participation_limit)
def vote(public_id: str):
    data = reject_bots(json_body())
    voter = contributor_id(request)
    summary = votes_uc.cast_vote(db.session, get_report(db.session, public_id), voter, data.get("kind", "support"))
    return answer(summary, voter, 201)


@participation.delete("/reports/<public_id>/vote")
@limiter.limit(participation_limit)
def withdraw(public_id: str):
    voter = contributor_id(request)
    return answer(votes_uc.withdraw_vote(db.session, get_report(db.session, public_id), voter), voter)


@participation.get("/reports/<public_id>/comments")
def list_comments(public_id: str):
    report = get_report(db.session, public_id)
    if report is None or report.status != "published":
        raise CarteError("not_found", "Signalement introuvable.", "id", status=404)
    return {"comments": [comment_json(c) for c in comments_uc.public_comments(db.session, report)]}


@participation.post("/reports/<public_id>/comments")
@limiter.limit(participation_limit)
@idempotent
def post_comment(public_id: str):
    data = reject_bots(json_body())
    voter = contributor_id(request)
    token, digest = new_link_token()
    comment = comments_uc.add_comment(
        db.session,
        get_report(db.session, public_id),
        data,
        contributor=voter,
        premoderation=premoderation(),
        withdraw_hash=digest,
    )
    return answer(comment_json(comment, voter) | {"withdraw_url": withdraw_url(token)}, voter, 201)


@participation.post("/reports/<public_id>/photos")
@limiter.limit(participation_limit)
def post_photos(public_id: str):
    max_bytes = current_app.config["CARTE_MAX_PHOTO_BYTES"]
    max_photos = current_app.config["CARTE_MAX_PHOTOS"]
    limit = max_photos * max_bytes + 256 * 1024
    if request.content_length is not None and request.content_length > limit:
        raise CarteError(
            "photo_too_large",
            "Envoi trop volumineux : %(n)s photos de %(mb)s Mo au plus.",
            "photos",
            status=413,
            params={"n": max_photos, "mb": max_bytes // 2**20},
        )
    request.max_content_length = limit
    if not request.mimetype == "multipart/form-data":
        raise CarteError("unsupported_media_type", "Envoyez les photos en multipart/form-data.", "photos", status=415)
    reject_bots(request.form.to_dict())
    files = request.files.getlist("photos")
    uploads = []
    for storage in files:
        if not storage or not storage.filename:
            continue
        raw = storage.stream.read(max_bytes + 1)
        uploads.append((storage.filename[:80], raw))
    voter = contributor_id(request)
    photos = photos_uc.add_photos(
        db.session,
        get_report(db.session, public_id),
        uploads,
        folder=Path(current_app.config["CARTE_UPLOAD_DIR"]),
        contributor=voter,
        max_photos=max_photos,
        max_bytes=max_bytes,
    )
    return answer({"photos": [photo_json(p) for p in photos]}, voter, 201)


@participation.post("/reports/<public_id>/flags")
@limiter.limit(participation_limit)
def flag_report(public_id: str):
    data = reject_bots(json_body())
    voter = contributor_id(request)
    result = flags_uc.flag_item(
        db.session,
        "report",
        get_report(db.session, public_id),
        data,
        flagger=voter,
        source=flag_source(),
        threshold=current_app.config["CARTE_FLAGS_TO_HIDE"],
    )
    return answer(result, voter, 201)


@participation.post("/comments/<public_id>/flags")
@limiter.limit(participation_limit)
def flag_comment(public_id: str):
    data = reject_bots(json_body())
    voter = contributor_id(request)
    result = flags_uc.flag_item(
        db.session,
        "comment",
        comments_uc.get_comment(db.session, public_id),
        data,
        flagger=voter,
        source=flag_source(),
        threshold=current_app.config["CARTE_FLAGS_TO_HIDE"],
    )
    return answer(result, voter, 201)


@media.get("/media/photos/<public_id>", defaults={"variant": "full"})
@media.get("/media/photos/<public_id>/miniature", defaults={"variant": "thumbnail"})
def photo_file(public_id: str, variant: str):
    photo = photos_uc.get_photo(db.session, public_id)
    if photo is None:
        abort(404)
    from carte.models import Report

    report = db.session.get(Report, photo.report_id)
    if report is None or report.status != "published":
        abort(404)
    name = photo.filename if variant == "full" else photo.thumbnail
    response = send_from_directory(
        Path(current_app.config["CARTE_UPLOAD_DIR"]).resolve(), name, mimetype=photo.content_type, max_age=86400
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response
