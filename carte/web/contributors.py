"""Anonymous contributor ids, kept in a signed cookie.

Distinct contributors are counted by the aggregation service without accounts:
the id is random, says nothing about the person, and is signed so that it cannot
be forged to inflate counts.
"""

from __future__ import annotations

import secrets

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "carte_contributeur"
MAX_AGE = 365 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="carte-contributor")


def signed_contributor_id(request: Request) -> str | None:
    """The id this server signed into the cookie, or None (no cookie, or one the client made up)."""
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            value = _serializer().loads(raw)
            if isinstance(value, str):
                return value
        except BadSignature:
            pass
    return None


def contributor_id(request: Request) -> str:
    return signed_contributor_id(request) or secrets.token_hex(12)


def remember_contributor(response: Response, contributor: str) -> None:
    response.set_cookie(
        COOKIE,
        _serializer().dumps(contributor),
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
