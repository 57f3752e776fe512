"""What every request passes before a view sees it: the app's JSON decoder and a check of the URL and form.

Two things crash far from where they came in: a NUL byte (PostgreSQL refuses it in any text,
even in a WHERE clause) and a lone UTF-16 surrogate (JSON's "\\ud800", which no UTF-8 encoder
accepts). `check_request` refuses a NUL in the path, the query string and url-encoded form fields
(names and values) with a 400 naming the parameter; percent-encoded bytes that are not UTF-8
(`%ED%A0%80`) already arrive as U+FFFD. The JSON decoder refuses lone surrogates, bodies nested
deeper than MAX_JSON_DEPTH, and the RecursionError of a 20,000-deep `[[[…]]]`, as invalid JSON.
Stored text is still cleaned field by field by `carte.text.clean_text`: this is the belt, that
is the braces.
"""

from __future__ import annotations

import re

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 16  # the deepest body of the API is 2 (a report's list of tags)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class InvalidCharacters(BadRequest):
    """A NUL byte in the path, a query parameter or a form field: 400, naming it."""

    error_code = "invalid_characters"

    def __init__(self, field: str):
        super().__init__("Requête refusée : caractère nul dans ce paramètre.")
        self.field = field


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, but what cannot be stored or re-encoded is a decoding error (ValueError)."""

    def loads(self, s, **kwargs):
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        _check_json(data)
        return data


def _check_json(data: object) -> None:
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise ValueError("lone surrogate in JSON text")
        elif isinstance(value, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise ValueError("JSON nested too deeply")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


def _parameters():
    yield "path", request.path
    yield from request.args.items(multi=True)
    if request.mimetype == "application/x-www-form-urlencoded":
        yield from request.form.items(multi=True)


def check_request() -> None:
    for name, value in _parameters():
        if "\x00" in name or "\x00" in value:
            raise InvalidCharacters(name.replace("\x00", "") or "query")


def init_boundary(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
    app.before_request(check_request)
