"""The JSON API (/api/v1): thin routes over the reports use cases and storage."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy.exc import IntegrityError

from carte.errors import CarteError
from carte.extensions import db, limiter
from carte.models import Report, ReportSource
from carte.participation.common import HIDDEN_LABEL
from carte.participation.withdrawal import new_link_token
from carte.reports.map_view import map_view, page_view
from carte.reports.serialize import iso_utc, report_feature, report_json
from carte.reports.service import build_report, kept_after_commit
from carte.reports.similar import MIN_SIMILARITY, RADIUS_M, parse_query, similar_reports
from carte.storage.reports import active_themes, get_report
from carte.web.aggregates import service as aggregates_service
from carte.web.context import atlas, created_report_response, json_body, premoderation, reference_rows, request_filter
from carte.web.contributors import contributor_id
from carte.web.idempotency import idempotent
from carte.web.language import ui_lang

api = Blueprint("api", __name__)


@api.get("/themes")
def themes():
    lang = ui_lang()
    return {
        "themes": [{"slug": t.slug, "label": t.label_for(lang), "color": t.color} for t in active_themes(db.session)]
    }


@api.get("/communes")
def communes():
    response = Response(atlas().web_geojson, mimetype="application/geo+json")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


ZOOM_MAX = 22


def _zoom() -> int | None:
    raw = request.args.get("zoom")
    if raw is None or raw == "":
        return None
    try:
        zoom = int(raw)
    except ValueError:
        zoom = -1
    if not 0 <= zoom <= ZOOM_MAX:
        raise CarteError("invalid_zoom", "zoom attend un entier entre 0 et %(max)s.", "zoom", params={"max": ZOOM_MAX})
    return zoom


def _map_state():
    """The report index shared with the aggregates, and the Mercator positions kept beside it."""
    aggregates = aggregates_service()
    return aggregates, current_app.extensions["carte_map_mercator"]


@api.get("/reports")
def list_reports():
    """With `zoom`: the whole view, as reports or (above CARTE_MAP_POINT_THRESHOLD) clusters.
    Without: one page (limit/cursor). Both carry `total`, and an ETag of the data version."""
    flt = request_filter()
    zoom = _zoom()
    aggregates, mercator_columns = _map_state()
    version = aggregates.index.sync(db.session)
    etag = f"map-{version.generation}-{version.version}-{hashlib.sha256(request.query_string).hexdigest()[:20]}"
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag, weak=True)
        return response
    atlas_ = atlas()
    if zoom is not None:
        view = map_view(
            db.session,
            aggregates.index,
            mercator_columns,
            aggregates.places,
            flt,
            zoom,
            current_app.config["CARTE_MAP_POINT_THRESHOLD"],
        )
        features = view.features if view.clustered else [report_feature(r, atlas_, ui_lang()) for r in view.features]
        body = {
            "type": "FeatureCollection",
            "total": view.total,
            "clustered": view.clustered,
            "features": features,
            "next_cursor": None,
        }
    else:
        total, rows, next_cursor = page_view(db.session, aggregates.index, aggregates.places, flt)
        body = {
            "type": "FeatureCollection",
            "total": total,
            "clustered": False,
            "features": [report_feature(r, atlas_, ui_lang()) for r in rows],
            "next_cursor": str(next_cursor) if next_cursor is not None else None,
        }
    response = jsonify(body)
    response.content_type = "application/geo+json"
    response.set_etag(etag, weak=True)
    return response


@api.get("/reports/similar")  # a static rule: Werkzeug matches it before /reports/<public_id>
def similar():
    """The published reports like the one being typed: same theme, within 150 m, similar title."""
    themes = {t.slug: t for t in active_themes(db.session)}
    query = parse_query(request.args, themes, atlas())
    found = similar_reports(db.session, aggregates_service().index, query, themes[query.theme].id)
    return {
        "radius_m": RADIUS_M,
        "min_similarity": MIN_SIMILARITY,
        "reports": [
            {
                "id": r.public_id,
                "title": r.title,
                "distance_m": round(r.distance_m, 1),
                "support_count": r.support_count,
                "created_at": iso_utc(r.created_at),
                "progress": r.progress,
                "similarity": round(r.similarity, 3),
                "lat": r.lat,
                "lon": r.lon,
                "url": url_for("pages.report_page", public_id=r.public_id),
            }
            for r in found
        ],
    }


@api.get("/reports/<public_id>")
def show_report(public_id: str):
    report = get_report(db.session, public_id)
    if report is not None and report.status == "hidden":
        # A link to a hidden report says why it is gone, without its text: not « introuvable ».
        return {
            "id": report.public_id,
            "status": "hidden",
            "hidden_label": HIDDEN_LABEL,
            "moderation_note": report.moderation_note,
        }
    if report is None or report.status != "published":
        raise CarteError("not_found", "Signalement introuvable.", "id", status=404)
    from carte.web.followup import report_followup

    return {**report_json(report, lang=ui_lang()), **report_followup(report)}


@api.post("/reports")
@limiter.limit(lambda: current_app.config["CARTE_REPORT_RATE_LIMIT"])
@idempotent
def post_report():
    data = json_body()
    contributor = contributor_id(request)
    rows = reference_rows()
    try:
        report, token = _store_report(data, contributor, rows.themes(db.session))
    except IntegrityError:  # a theme deleted by another worker while this one still had it cached
        db.session.rollback()
        rows.forget_themes()
        report, token = _store_report(data, contributor, rows.themes(db.session))
    rows.attach(db.session, report)  # the answer reads no row back
    return created_report_response(report, contributor, withdraw_token=token)


def _store_report(data: object, contributor: str, themes: dict) -> tuple[Report, str]:
    report = build_report(
        db.session,
        atlas(),
        data,
        contributor=contributor,
        source=ReportSource.WEB,
        premoderation=premoderation(),
        themes=themes,
    )
    token, report.withdraw_hash = new_link_token()
    db.session.add(report)
    with kept_after_commit(db.session()):  # the scoped session's own Session
        db.session.commit()
    return report, token
