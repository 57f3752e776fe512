"""Open311 errors: `[{"code": 400, "description": "…"}]` (XML: `<errors><error>…`)."""

from __future__ import annotations


class Open311Error(Exception):
    """A GeoReport error; `status` is both the HTTP status and the error's `code`."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description
