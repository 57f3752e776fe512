"""The one error type that crosses layers, turned into JSON by the web layer."""
from __future__ import annotations


class CarteError(Exception):
    """A client error with a stable `code`, a French message and the offending field."""

    status = 422

    def __init__(self, code: str, message: str, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}
