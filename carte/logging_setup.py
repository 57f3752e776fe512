"""One logging configuration for the app, the command-line tools and gunicorn.

Every line reads `time level [request id] logger: message`, whoever writes it (Carte, Flask,
SQLAlchemy, gunicorn), on stderr, where production servers and journald collect it. The request
id is taken from the current request (see `carte.web.request_log`), "-" outside one. The level
comes from CARTE_LOG_LEVEL (default INFO).

`configure_logging` runs in create_app, which tests call many times: it installs one handler on the
root logger and never a second. Under gunicorn, `gunicorn.conf.py` hands `logconfig_dict()` to
gunicorn, which installs the same handler before the app loads; create_app then finds it there.
"""

from __future__ import annotations

import logging
import os
import sys

from flask import g, has_request_context

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
NO_REQUEST = "-"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_level(raw: object) -> str:
    """A level by name, INFO when empty or unknown (a typo must not silence the logs)."""
    level = str(raw or "INFO").strip().upper()
    return level if level in LEVELS else "INFO"


def level_from_env(environ=os.environ) -> str:
    return parse_level(environ.get("CARTE_LOG_LEVEL"))


def current_request_id() -> str:
    if has_request_context():
        return getattr(g, "request_id", None) or NO_REQUEST
    return NO_REQUEST


class RequestIdFormatter(logging.Formatter):
    """The one format; a record made before the record factory was installed still formats."""

    def __init__(self, fmt: str = FORMAT, datefmt: str | None = None, style: str = "%", **kwargs):
        super().__init__(fmt, datefmt, style, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return super().format(record)


def _install_record_factory() -> None:
    """Every record gets the request id when it is made, so that caplog and any handler see it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "carte_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    factory.carte_request_id = True
    logging.setLogRecordFactory(factory)


def _ours(handler: logging.Handler) -> bool:
    return isinstance(handler.formatter, RequestIdFormatter)


class NoDevServerAccessLines(logging.Filter):
    """`make dev` serves with werkzeug, which writes a line of its own for each request beside ours, without
    the id. Its access lines are the ones with that format (werkzeug.serving.WSGIRequestHandler.log_request);
    its other lines (the address it serves on, a malformed request) stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.rstrip().endswith('"%s" %s %s'))


def configure_logging(level: str = "INFO") -> None:
    """Idempotent: one handler of ours on the root logger, the level set, Flask's own handler removed,
    werkzeug's access lines dropped."""
    _install_record_factory()
    root = logging.getLogger()
    if not any(_ours(h) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(RequestIdFormatter())
        root.addHandler(handler)
    root.setLevel(parse_level(level))
    # Flask gives the app's logger ("carte") a handler of its own when none is configured:
    # its lines would come out twice, once without the request id.
    from flask.logging import default_handler

    logging.getLogger("carte").removeHandler(default_handler)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, NoDevServerAccessLines) for f in werkzeug.filters):
        werkzeug.addFilter(NoDevServerAccessLines())


def logconfig_dict(level: str | None = None) -> dict:
    """gunicorn's `logconfig_dict`: its master and workers log through the same handler and format.

    Gunicorn's own access log stays off: `carte.request` writes one line per request, with its id.
    """
    level = level or level_from_env()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"carte": {"()": RequestIdFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "carte", "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
