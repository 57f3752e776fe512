"""Errors answer JSON for the API (and clients that accept JSON), HTML otherwise."""
from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from carte.errors import CarteError

# Stable codes for the HTTP errors Flask raises itself.
HTTP_CODES = {
    400: ("bad_request", "Requête invalide."),
    404: ("not_found", "Ressource introuvable."),
    405: ("method_not_allowed", "Méthode non autorisée."),
    413: ("payload_too_large", "Le corps de la requête dépasse 64 Ko."),
    415: ("unsupported_media_type", "Le corps doit être envoyé en application/json."),
    429: ("rate_limited", "Trop de requêtes : réessayez dans un moment."),
    500: ("internal_error", "Erreur interne : l'équipe a été prévenue."),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(code: str, message: str, field: str | None, status: int):
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
        return error_response(err.code, err.message, err.field, err.status)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        code, message = HTTP_CODES.get(status, ("http_error", err.description or ""))
        if hasattr(err, "error_code"):  # ours (carte.web.boundary): a stable code, a message, a field
            code, message = err.error_code, err.description
        if is_open311():
            from carte.web.open311 import open311_error_response

            response = open311_error_response(status, message)
        else:
            response = make_response(error_response(code, message, getattr(err, "field", None), status))
        return with_allow(response, err)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("Unhandled error", exc_info=err)
        from carte.extensions import db

        db.session.rollback()
        code, message = HTTP_CODES[500]
        return error_response(code, message, None, 500)
