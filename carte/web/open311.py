"""Open311 GeoReport v2 at /open311/v2: thin routes over carte.open311.service.

The format is the extension of each resource (`.json` or `.xml`). Errors are the
spec's list of `{code, description}` in the same format, with that HTTP status; paths
and methods no route serves are Flask's own 404 and 405 (with `Allow`), formatted the same
way by the application's error handler (carte.web.errors).
POST is form-encoded and authenticated by `api_key` (no cookie, so no CSRF token).
`servicerequestupdates` is the updates extension FixMyStreet uses (carte/open311/updates.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request, url_for
from flask_limiter.util import get_remote_address

from carte.extensions import db, limiter
from carte.open311 import service as o311, updates as o311_updates
from carte.open311.errors import Open311Error
from carte.open311.formats import FORMATS, render
from carte.open311.keys import check_key, hash_key
from carte.storage.reports import active_themes
from carte.web.context import atlas, premoderation

open311 = Blueprint("open311", __name__)


def _respond(fmt: str, root: str, payload, status: int = 200) -> Response:
    body, mimetype = render(fmt, root, payload)
    return Response(body, status=status, content_type=mimetype)


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(400, "Format non pris en charge : .json ou .xml.")
    return fmt


def _error_format() -> str:
    """The resource's extension, else what the client accepts; JSON by default."""
    extension = request.path.rsplit(".", 1)[-1] if "." in request.path.rsplit("/", 1)[-1] else ""
    if extension in FORMATS:
        return extension
    best = request.accept_mimetypes.best_match(["application/json", "text/xml", "application/xml"])
    return "xml" if best in ("text/xml", "application/xml") else "json"


def open311_error_response(status: int, description: str) -> Response:
    """The spec's error list, in the request's format; also used for the errors Flask raises itself."""
    return _respond(_error_format(), "errors", [{"code": status, "description": description}], status)


@open311.errorhandler(Open311Error)
def _open311_error(err: Open311Error):
    return open311_error_response(err.status, err.description)


@open311.before_request
def _jurisdiction():
    o311.check_jurisdiction(request.values.get("jurisdiction_id"))


def _themes() -> dict:
    return {t.slug: t for t in active_themes(db.session)}


@open311.get("/discovery.<fmt>")
def discovery(fmt: str):
    fmt = _format(fmt)
    endpoint = url_for("open311.discovery", fmt=fmt, _external=True).rsplit("/discovery.", 1)[0] + "/"
    return _respond(fmt, "discovery", o311.discovery(endpoint))


@open311.get("/services.<fmt>")
def services(fmt: str):
    fmt = _format(fmt)
    return _respond(fmt, "services", [o311.service(t) for t in _themes().values()])


@open311.get("/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    fmt = _format(fmt)
    theme = o311.find_service(_themes(), code)
    return _respond(fmt, "service_definition", o311.service_definition(theme))


@open311.get("/requests.<fmt>")
def list_requests(fmt: str):
    fmt = _format(fmt)
    query = o311.parse_query(request.args, _themes(), datetime.now(UTC))
    return _respond(fmt, "service_requests", _requests_json(o311.find_requests(db.session, query)))


@open311.get("/requests/<request_id>.<fmt>")
def show_request(request_id: str, fmt: str):
    fmt = _format(fmt)
    reports = o311.find_requests(db.session, o311.RequestQuery(ids=(request_id,)))
    if not reports:
        raise Open311Error(404, "service_request_id introuvable.")
    return _respond(fmt, "service_requests", _requests_json(reports))


def _requests_json(reports: list) -> list[dict]:
    media = o311.media_urls(db.session, reports)
    notes = o311.latest_updates(db.session, reports)
    places = atlas()
    bodies = places.bodies
    items = []
    for report in reports:
        body = bodies.get(bodies.of_report(report))
        items.append(
            o311.request_json(
                report,
                places.communes,
                media.get(report.id),
                agency=body.name if body else None,
                notes=notes.get(report.id),
            )
        )
    return items


def _api_key_bucket() -> str:
    """POSTs count per API key (a hash of it); absent or unknown keys count against the address,
    so that made-up keys neither escape the limit nor let anyone guess keys at leisure."""
    token = (request.form or request.values).get("api_key")
    if check_key(db.session, token) is not None:
        return f"open311-key|{hash_key(token)}"
    return f"open311-address|{get_remote_address()}"


def _form_and_key():
    """A POST's fields (form or query string, as GeoReport clients send them) and its valid API key, or 403."""
    form = request.form if request.form else request.values
    key = check_key(db.session, form.get("api_key"))
    if key is None:
        raise Open311Error(403, "api_key manquante ou invalide.")
    return form, key


@open311.post("/requests.<fmt>")
@limiter.limit(lambda: current_app.config["CARTE_OPEN311_RATE_LIMIT"], key_func=_api_key_bucket)
def post_request(fmt: str):
    fmt = _format(fmt)
    form, key = _form_and_key()
    report = o311.create_request(
        db.session,
        atlas(),
        form,
        key,
        premoderation=premoderation(),
    )
    notice = (
        "Merci : votre signalement sera publié après relecture."
        if report.status == "pending"
        else "Merci : votre signalement est publié."
    )
    return _respond(
        fmt,
        "service_requests",
        [{"service_request_id": report.public_id, "service_notice": notice, "account_id": None}],
    )


@open311.get("/servicerequestupdates.<fmt>")
def list_updates(fmt: str):
    fmt = _format(fmt)
    rows = o311_updates.find_updates(db.session, request.args, datetime.now(UTC))
    return _respond(fmt, "service_request_updates", [o311_updates.update_json(u, public_id) for u, public_id in rows])


@open311.post("/servicerequestupdates.<fmt>")
@limiter.limit(lambda: current_app.config["CARTE_OPEN311_RATE_LIMIT"], key_func=_api_key_bucket)
def post_update(fmt: str):
    fmt = _format(fmt)
    form, key = _form_and_key()
    update = o311_updates.post_request_update(db.session, atlas().bodies, form, key, datetime.now(UTC))
    return _respond(fmt, "service_request_updates", [{"update_id": str(update.id)}])
