"""The one error type that crosses layers, turned into JSON by the web layer."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message kept in a constant for extraction (pybabel and the completeness test);
    it is translated where it is shown, like every CarteError message."""
    return message


class CarteError(Exception):
    """A client error with a stable `code`, a French message and the offending field.

    `message` is the French text and the catalogue's msgid; values that vary go in `params`
    (`%(name)s` placeholders), so that the web layer can translate the message into the request's
    language (carte/web/errors.py) while layers below stay free of Flask.
    """

    status = 422

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        status: int | None = None,
        *,
        params: dict | None = None,
    ):
        self.template = message
        self.params = params or {}
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.code = code
        self.field = field
        if status is not None:
            self.status = status

    def localized(self, gettext) -> str:
        """The message in the language of `gettext` (a function of a msgid). Parameters named
        `label` are words of the interface (« Le titre »), so they are translated too."""
        if not self.params:
            return gettext(self.template)
        params = {k: gettext(v) if k == "label" else v for k, v in self.params.items()}
        return gettext(self.template) % params

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}
