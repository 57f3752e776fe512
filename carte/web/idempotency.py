"""The Idempotency-Key header on POSTs that create something: a retry returns the first answer.

A client that lost the answer to a POST (timeout, dropped connection) sends it again with the same key;
it gets the first answer (status, body, Location, contributor cookie) and nothing is stored twice. Keys are
scoped by the signed contributor cookie (or by the absence of one, for a first post), expire after
CARTE_IDEMPOTENCY_TTL_HOURS, and only successful answers are remembered: a refused or failed request frees its key. Another request
with a key already answered is an error (422 idempotency_key_reused). While the first request runs, a retry gets 409 idempotency_in_progress.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from functools import wraps

from flask import Response, current_app, make_response, request
from werkzeug.http import parse_cookie

from carte.errors import CarteError
from carte.extensions import db
from carte.storage import idempotency as store
from carte.web.contributors import COOKIE, _serializer, remember_contributor, signed_contributor_id

HEADER = "Idempotency-Key"
# 1 to 255 visible ASCII characters (no spaces, no control characters).
_KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")


def request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.get_data(cache=True)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotent(view):
    """Decorate a POST view whose success creates something; without the header it runs as before."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _KEY_RE.fullmatch(key):
            raise CarteError(
                "invalid_idempotency_key",
                "L'en-tête Idempotency-Key doit compter de 1 à 255 caractères ASCII visibles.",
                HEADER,
            )
        ttl = timedelta(hours=current_app.config["CARTE_IDEMPOTENCY_TTL_HOURS"])
        digest = request_hash()
        claimed = store.claim(db.session, signed_contributor_id(request) or "", key, digest, ttl)
        if not isinstance(claimed, int):
            return replay(claimed, digest)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            store.release(db.session, claimed)
            raise
        if 200 <= response.status_code < 300:
            store.finish(
                db.session,
                claimed,
                response.status_code,
                response.get_data(as_text=True),
                response.headers.get("Location"),
                answered_contributor(response),
            )
        else:
            store.release(db.session, claimed)
        return response

    return wrapper


def replay(remembered: store.Remembered, digest: str) -> Response:
    if remembered.request_hash != digest:
        raise CarteError(
            "idempotency_key_reused",
            "Cette clé Idempotency-Key a déjà servi pour une autre requête.",
            HEADER,
        )
    if remembered.status_code is None:
        raise CarteError(
            "idempotency_in_progress",
            "Une requête avec cette clé Idempotency-Key est en cours : réessayez dans un instant.",
            HEADER,
            status=409,
        )
    response = Response(remembered.body, status=remembered.status_code, mimetype="application/json")
    if remembered.location:
        response.headers["Location"] = remembered.location
    response.headers["Idempotent-Replayed"] = "true"
    if remembered.contributor:
        remember_contributor(response, remembered.contributor)
    return response


def answered_contributor(response: Response) -> str | None:
    """The contributor id that the answer's cookie carries, to set it again on a replay."""
    for header in response.headers.getlist("Set-Cookie"):
        raw = parse_cookie(header.split(";", 1)[0]).get(COOKIE)
        if raw:
            value = _serializer().loads(raw)
            return value if isinstance(value, str) else None
    return None
