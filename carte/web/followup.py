"""The civic loop on the web: the bodies' queue (/animation/suivi), posting updates and
reassigning, and the residents' side of the API (follow a report, « C'est réglé »).

Thin routes over carte.followup (queue, resolution, updates) and carte.storage.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from carte.domain import PROGRESS
from carte.errors import CarteError
from carte.extensions import db, limiter
from carte.followup import queue as queue_uc, resolution
from carte.followup.bodies import may_update
from carte.followup.labels import PROGRESS_LABELS
from carte.followup.updates import post_update, updates_of
from carte.models import Report
from carte.models.accounts import AuditLog
from carte.reports.serialize import iso_utc
from carte.storage.reports import active_themes, get_report, public_id_of, report_updates_count
from carte.text import clean_text
from carte.web.access import ensure_role, role_required
from carte.web.aggregates import service as aggregates_service
from carte.web.context import atlas, json_body, vocabulary
from carte.web.contributors import contributor_id, remember_contributor, signed_contributor_id
from carte.web.errors import wants_json
from carte.web.participation import participation_limit

followup = Blueprint("followup", __name__)


def progress_label(value: str | None) -> str:
    return str(PROGRESS_LABELS.get(value or "submitted", value))


def bodies():
    return atlas().bodies


def body_json(code: str | None) -> dict | None:
    body = bodies().get(code)
    return {"code": body.code, "name": body.name} if body else None


def report_followup(report: Report) -> dict:
    """The civic loop's part of `GET /api/v1/reports/<id>`: progress, responsible body, updates
    (never who typed them), and what this browser may do (follow, answer « C'est réglé »)."""
    contributor = signed_contributor_id(request)
    code = bodies().of_report(report)
    updates = []
    for entry in updates_of(db.session, report):
        body = bodies().get(entry.body_code)
        text = entry.text
        if entry.author_kind == "resident" and text == resolution.NOT_FIXED_TEXT:  # our own words: translated
            text = _("Un habitant signale que ce n'est toujours pas réglé.")
        updates.append(
            {
                "at": iso_utc(entry.created_at),
                "progress": entry.progress,
                "progress_label": progress_label(entry.progress),
                "text": text,
                "body": body.name if body else None,
            }
        )
    following = resolution.is_following(db.session, report, contributor)
    return {
        "progress": report.progress or "submitted",
        "progress_label": progress_label(report.progress),
        "body": body_json(code),
        "duplicate_of": public_id_of(db.session, report.duplicate_of_id),
        "updates": updates,
        "confirmations": resolution.confirmations(db.session, report),
        "viewer": {
            "following": following,
            "author": resolution.is_author(report, contributor),
            "may_answer": resolution.may_answer(db.session, report, contributor),
        },
    }


# -- residents: following and answering ---------------------------------------------------------------


def _published(public_id: str) -> Report:
    report = get_report(db.session, public_id)
    if report is None or report.status != "published":
        raise CarteError("not_found", "Signalement introuvable.", "id", status=404)
    return report


@followup.post("/api/v1/reports/<public_id>/follow")
@limiter.limit(participation_limit)
def follow_report(public_id: str):
    report = _published(public_id)
    contributor = contributor_id(request)
    created = resolution.follow(db.session, report, contributor)
    response = jsonify({"id": report.public_id, "following": True})
    response.status_code = 201 if created else 200
    remember_contributor(response, contributor)
    return response


@followup.delete("/api/v1/reports/<public_id>/follow")
@limiter.limit(participation_limit)
def unfollow_report(public_id: str):
    report = _published(public_id)
    resolution.unfollow(db.session, report, signed_contributor_id(request))
    return {"id": report.public_id, "following": False}


@followup.post("/api/v1/reports/<public_id>/resolution")
@limiter.limit(participation_limit)
def answer_resolution(public_id: str):
    report = _published(public_id)
    data = json_body()
    value = data.get("answer") if isinstance(data, dict) else None
    contributor = signed_contributor_id(request)
    key = resolution.contributor_key(current_app.config["SECRET_KEY"], contributor) if contributor else None
    result = resolution.answer(db.session, report, contributor, value, key)
    return {"id": report.public_id, **result, "progress_label": progress_label(result["progress"])}


# -- agents and staff: the queue ---------------------------------------------------------------------


def _own_body() -> tuple[str | None, bool]:
    """(the body whose reports the user sees, whether they may pick another): agents see their own."""
    if current_user.role == "agent":
        return current_user.body_code, False
    return None, True


QUEUE_PARAMETERS = ("body", "theme", "commune", "progress", "since", "until", "q")


def _query():
    own, may_choose = _own_body()
    if not may_choose and not own:  # an agent without a body answers for none (create-user gives one)
        raise CarteError("no_body", "Ce compte d'agent n'appartient à aucun organisme.", "body", status=403)
    return queue_uc.parse_queue(
        request.args.to_dict(flat=False), vocabulary(), bodies(), own_body=own, may_choose=may_choose
    )


def _body_choices() -> list:
    kinds = {"metropole": 0, "territory": 1, "commune": 2}
    return sorted(bodies().by_code.values(), key=lambda b: (kinds[b.kind], b.name))


@followup.get("/animation/suivi")
@role_required("agent")
def queue():
    query = _query()
    aggregates = aggregates_service()  # the in-memory report index, shared with the map and the aggregates
    page = queue_uc.queue_page(db.session, bodies(), query, index=aggregates.index, places=aggregates.places)
    # Only the queue's own parameters go into its links (never url_for's `_external`, `_scheme`...).
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k in QUEUE_PARAMETERS}
    communes = sorted(atlas().communes.values(), key=lambda c: c["nom"])
    return render_template(
        "followup/queue.html",
        page=page,
        query=query,
        args=args,
        themes=active_themes(db.session),
        communes=communes,
        progress=PROGRESS,
        labels=PROGRESS_LABELS,
        bodies=bodies(),
        body_choices=_body_choices() if _own_body()[1] else [],
        own_body=bodies().get(_own_body()[0]),
        updates_count=report_updates_count(db.session, [r.id for r in page.rows]),
    )


@followup.get("/animation/suivi.csv")
@role_required("agent")
def queue_csv():
    query = _query()
    buffer = io.StringIO()
    delimiter = ";" if request.args.get("sep") in (";", "pointvirgule", "semicolon") else ","
    aggregates = aggregates_service()
    queue_uc.write_queue_csv(
        db.session, bodies(), query, buffer, delimiter=delimiter, index=aggregates.index, places=aggregates.places
    )
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="suivi.csv"'},
    )


def _report_for_staff(public_id: str) -> tuple[Report, str]:
    """The report and its responsible body; an agent of another body gets a 403."""
    report = get_report(db.session, public_id)
    if report is None or report.status not in ("published", "pending", "hidden"):
        abort(404)
    code = bodies().of_report(report)
    if current_user.role == "agent" and current_user.body_code != code:
        raise CarteError("other_body", "Ce signalement relève d'un autre organisme.", "id", status=403)
    return report, code


@followup.get("/animation/suivi/<public_id>")
@role_required("agent")
def report_page(public_id: str):
    report, code = _report_for_staff(public_id)
    return render_template(
        "followup/report.html",
        report=report,
        body=bodies().get(code),
        updates=updates_of(db.session, report),
        progress=PROGRESS,
        labels=PROGRESS_LABELS,
        bodies=bodies(),
        may_update=may_update(current_user.role, current_user.body_code, code),
        may_reassign=current_user.has_role("facilitator"),
        body_choices=_body_choices(),
        duplicate_of=public_id_of(db.session, report.duplicate_of_id),
        confirmations=resolution.confirmations(db.session, report),
    )


@followup.post("/animation/suivi/<public_id>/mise-a-jour")
@role_required("agent")
def post_report_update(public_id: str):
    report, code = _report_for_staff(public_id)
    if not may_update(current_user.role, current_user.body_code, code):
        raise CarteError("forbidden", "Votre rôle ne permet pas de répondre à ce signalement.", "progress", status=403)
    form = request.form
    try:
        entry = post_update(
            db.session,
            report,
            progress=form.get("progress", ""),
            text=form.get("text", ""),
            body_code=code,
            author_kind="agent" if current_user.role == "agent" else "staff",
            user_id=current_user.id,
            duplicate_of=(form.get("duplicate_of") or "").strip() or None,
        )
    except CarteError as err:
        db.session.rollback()
        if wants_json():
            raise
        flash(err.message, "error")
        return redirect(url_for("followup.report_page", public_id=public_id)), 303
    db.session.add(
        AuditLog(
            user_id=current_user.id,
            action="progress_update",
            target_type="report",
            target_id=report.public_id,
            reason=entry.progress,
        )
    )
    db.session.commit()
    if wants_json():
        return {"id": report.public_id, "progress": report.progress}
    flash(_("Mise à jour publiée : %(label)s.", label=progress_label(report.progress)), "success")
    return redirect(url_for("followup.report_page", public_id=public_id)), 303


@followup.post("/animation/suivi/<public_id>/reattribution")
@role_required("agent")
def reassign(public_id: str):
    ensure_role("facilitator", field="body")
    report, _code = _report_for_staff(public_id)
    try:
        target = (request.form.get("body") or "").strip()
        if target not in bodies():
            raise CarteError("unknown_body", "Organisme inconnu.", "body")
        reason = clean_text(request.form.get("reason"), "reason", min_len=3, max_len=500, required=True, multiline=True)
    except CarteError as err:
        if wants_json():
            raise
        flash(err.message, "error")
        return redirect(url_for("followup.report_page", public_id=public_id)), 303
    report.body_code = target
    db.session.add(
        AuditLog(
            user_id=current_user.id,
            action="reassign",
            target_type="report",
            target_id=report.public_id,
            reason=f"{target} : {reason}",
        )
    )
    db.session.commit()
    if wants_json():
        return {"id": report.public_id, "body": body_json(target)}
    flash(_("Signalement confié à %(body)s.", body=bodies().get(target).name), "success")
    return redirect(url_for("followup.report_page", public_id=public_id)), 303
