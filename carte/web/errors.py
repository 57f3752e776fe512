"""Errors answer JSON for the API (and clients that accept JSON), HTML otherwise.

A failure of the database answers 503 with Retry-After; its answer, like the 500's,
needs nothing from the database, so that an error can never become a second error.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask_babel import get_locale, gettext
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from carte.errors import N_, CarteError
from carte.storage.engine import database_unavailable, unavailable_reason

# Stable codes for the HTTP errors Flask raises itself.
HTTP_CODES = {
    400: ("bad_request", N_("Requête invalide.")),
    404: ("not_found", N_("Ressource introuvable.")),
    405: ("method_not_allowed", N_("Méthode non autorisée.")),
    413: ("payload_too_large", N_("Le corps de la requête dépasse 64 Ko.")),
    415: ("unsupported_media_type", N_("Le corps doit être envoyé en application/json.")),
    429: ("rate_limited", N_("Trop de requêtes : réessayez dans un moment.")),
    500: ("internal_error", N_("Erreur interne : l'équipe a été prévenue.")),
}
UNAVAILABLE = ("database_unavailable", N_("Base de données momentanément indisponible : réessayez dans un moment."))
# The last resort, when even the error page cannot be rendered.
PLAIN_500 = "<!doctype html><title>500</title><p>Erreur interne. Internal error.</p>"


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(code: str, message: str, field: str | None, status: int):
    """`message` is already in the request's language."""
    if wants_json():
        return jsonify({"error": {"code": code, "message": message, "field": field}}), status
    return render_template("errors/error.html", status=status, message=message), status


def is_open311() -> bool:
    """Everything under /open311 answers in Open311's own error format, even paths no route knows."""
    return request.path == "/open311" or request.path.startswith("/open311/")


def with_allow(response: Response, err: HTTPException) -> Response:
    """A 405 says which methods the resource accepts (RFC 9110), as Werkzeug's own page does."""
    if isinstance(err, MethodNotAllowed) and err.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(err.valid_methods))
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CarteError)
    def _carte_error(err: CarteError):
        return error_response(err.code, err.localized(gettext), err.field, err.status)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        code, message = HTTP_CODES.get(status, ("http_error", err.description or ""))
        if hasattr(err, "error_code"):  # ours (carte.web.boundary): a stable code, a message, a field
            code, message = err.error_code, err.description
        message = gettext(message)
        if is_open311():
            from carte.web.open311 import open311_error_response

            response = open311_error_response(status, message)
        else:
            response = make_response(error_response(code, message, getattr(err, "field", None), status))
        return with_allow(response, err)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        try:
            if database_unavailable(err):
                return database_unavailable_response(err)
            app.logger.exception("Unhandled error", exc_info=err)
            _rollback_quietly()
            return failure_response(500, *HTTP_CODES[500], "errors/error.html")
        except Exception:  # the error answer itself failed: log it, never raise from the handler
            app.logger.exception("The error answer failed")
            return Response(PLAIN_500, 500, mimetype="text/html")


def _rollback_quietly() -> None:
    """Roll the request's session back; with the database gone, the rollback itself may fail."""
    from carte.extensions import db

    try:
        db.session.rollback()
    except Exception as err:  # noqa: BLE001 - the answer matters more than this rollback
        current_app.logger.warning("Rollback after an error failed: %s", err)


def database_unavailable_response(err: Exception) -> Response:
    """503 + Retry-After: the database is down, hung, or locked by another writer."""
    current_app.logger.error("Database unavailable: %s: %s", type(err).__name__, unavailable_reason(err))
    _rollback_quietly()
    response = failure_response(503, *UNAVAILABLE, "errors/unavailable.html")
    response.headers["Retry-After"] = str(current_app.config["CARTE_RETRY_AFTER"])
    return response


def failure_response(status: int, code: str, message: str, template: str) -> Response:
    """An error in the client's format (Open311's, JSON, or a page), built without the database.

    The page is rendered without Flask's context processors: Flask-Login's loads
    `current_user`, which queries `users`.
    """
    if is_open311():
        from carte.web.open311 import open311_error_response

        return open311_error_response(status, message)
    message = gettext(message)
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message, "field": None}})
        response.status_code = status
        return response
    page = current_app.jinja_env.get_template(template).render(
        status=status, message=message, lang=str(get_locale() or "fr")
    )
    return Response(page, status, mimetype="text/html")
