"""A request id per request, and one log line per request (logger `carte.request`).

The id comes from the client or the proxy in front (`X-Request-ID`) when it is short and safe
(1 to 64 letters, digits, `.`, `_`, `-`), so that one id follows a request through nginx and
Carte; anything else (a newline to forge a log line, 500 characters) is replaced by a new one.
The response echoes it in `X-Request-ID`, and every log line of the request carries it
(`carte.logging_setup`), errors and their tracebacks included.

The line holds the method, the path, the route, the status and the duration; never a body nor
the query string (emails, tokens and search text travel there). A path whose route takes a
secret (`/retrait/<token>`) is logged as its route.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from carte.logging_setup import configure_logging

HEADER = "X-Request-ID"
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
SECRET_ARGUMENTS = frozenset({"token"})
PATH_MAX = 200

log = logging.getLogger("carte.request")


def request_id_from(raw: str | None) -> str:
    """The incoming id when it is safe to log and echo, otherwise a new random one."""
    if raw and SAFE_ID.fullmatch(raw):
        return raw
    return uuid.uuid4().hex


def loggable_path() -> str:
    """The request's path, without what must not reach the logs; non-printable characters escaped."""
    rule = request.url_rule
    if rule is not None and SECRET_ARGUMENTS & set(rule.arguments):
        return rule.rule
    path = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in request.path)
    return path if len(path) <= PATH_MAX else path[:PATH_MAX] + "…"


def init_request_log(app: Flask) -> None:
    """Configure logging (once per process) and add the hooks."""
    configure_logging(app.config.get("CARTE_LOG_LEVEL"))

    def _start():
        g.request_id = request_id_from(request.headers.get(HEADER))
        g.request_started = time.perf_counter()

    # First of all before_request hooks (the rate limiter's, the boundary's), so that their lines
    # and their refusals carry the id too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = getattr(g, "request_id", None) or request_id_from(None)
        response.headers[HEADER] = request_id
        started = getattr(g, "request_started", None)
        duration_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        rule = request.url_rule
        path = loggable_path()
        log.info(
            "%s %s %s %.1f ms",
            request.method,
            path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": path,
                "route": rule.rule if rule else None,
                "status": response.status_code,
                "duration_ms": round(duration_ms, 1),
            },
        )
        return response
