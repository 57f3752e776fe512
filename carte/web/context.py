"""Request-side helpers shared by the blueprints: the atlas, the filter vocabulary, JSON bodies."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request, url_for
from sqlalchemy.orm import Session

from carte.domain import ReportFilter
from carte.errors import CarteError
from carte.extensions import db
from carte.geo.atlas import Atlas, get_atlas
from carte.models import Report
from carte.reports.filters import Vocabulary, parse_filter
from carte.reports.serialize import report_json
from carte.reports.service import ReferenceRows
from carte.storage.reports import active_themes, workshop_exists
from carte.web.contributors import remember_contributor
from carte.web.language import ui_lang


def atlas() -> Atlas:
    return get_atlas(current_app)


def reference_rows() -> ReferenceRows:
    """The process's cache of themes and place names for the write path (see ReferenceRows)."""
    return current_app.extensions["carte_reference_rows"]


def vocabulary() -> Vocabulary:
    places = atlas().communes.values()
    return Vocabulary(
        themes={t.slug for t in active_themes(db.session)},
        communes={p["code"] for p in places},
        territoires={p["territoire_code"] for p in places},
        departements={p["departement"] for p in places},
        workshops=WorkshopCodes(db.session),
    )


class WorkshopCodes:
    """`code in WorkshopCodes(session)` asks the database for that one code, when a filter names one."""

    def __init__(self, session: Session):
        self.session = session

    def __contains__(self, code: object) -> bool:
        return workshop_exists(self.session, code)


def premoderation() -> bool:
    """Whether new contributions wait for a moderator (CARTE_MODERATION=pre)."""
    return current_app.config["CARTE_MODERATION"] == "pre"


def created_report_response(report: Report, contributor: str, withdraw_token: str | None = None) -> Response:
    """201 with the stored report, its address, and the contributor's signed cookie.

    With `withdraw_token`, the answer carries the private withdrawal link, once: only its hash is kept.
    """
    payload = report_json(report, lang=ui_lang())
    if withdraw_token:
        payload["withdraw_url"] = withdraw_url(withdraw_token)
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/reports/{report.public_id}"
    remember_contributor(response, contributor)
    return response


def withdraw_url(token: str) -> str:
    """The private withdrawal link of a report or comment (absolute: it is meant to be kept)."""
    base = current_app.config.get("CARTE_PUBLIC_URL")
    if base:
        return base.rstrip("/") + url_for("withdrawal.confirm", token=token)
    return url_for("withdrawal.confirm", token=token, _external=True)


def request_filter() -> ReportFilter:
    return parse_filter(request.args.to_dict(flat=False), vocabulary())


def json_body() -> object:
    """The decoded JSON body, or a 400/415 CarteError that names what is wrong.

    Lone surrogates and bodies nested too deep are invalid JSON too (see carte.web.boundary).
    """
    if not request.is_json:
        raise CarteError("unsupported_media_type", "Le corps doit être envoyé en application/json.", None, status=415)
    data = request.get_json(silent=True)
    if data is None:
        raise CarteError("invalid_json", "Le corps n'est pas un JSON valide.", None, status=400)
    return data


def territories() -> list[tuple[str, str]]:
    """(code, name) of every territory, by name: the choices of the dashboard's and the workshop form's selects."""
    return sorted({(c["territoire_code"], c["territoire_nom"]) for c in atlas().communes.values()}, key=lambda t: t[1])
