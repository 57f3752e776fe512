"""The one cleaner of user text: every field a stranger can fill goes through `clean_text`.

The rule, for every field:
- a value must be a string (`invalid_type`); missing, empty or blank is `required` or None;
- it is normalised to NFC, so that "é" typed or pasted compares and counts the same;
- control characters are refused (`invalid_characters`), never silently dropped: NUL (PostgreSQL
  refuses it), the other C0 and C1 controls, DEL, lone UTF-16 surrogates (not encodable as UTF-8)
  and U+FFFE/U+FFFF (forbidden in XML). What is left is valid in UTF-8, in PostgreSQL and in XML 1.0;
- tab, line feed and carriage return are whitespace, not controls. In a single-line field (a title,
  a name, a tag) every run of whitespace becomes one space; in a multi-line field (a description, a
  comment, a reason) line ends become "\\n" and tabs stay;
- surrounding whitespace is stripped, then the length (in code points) is checked: `too_short`,
  `too_long`.
Format characters (right-to-left override U+202E, zero-width space U+200B, joiners in emoji) are
text in some languages and are kept: they are displayed through `textContent`, never as HTML.

An email address is cleaned text like any other, then lower-cased and checked by `is_email` (accounts,
alert subscriptions, Open311 requesters). Passwords are never rewritten: only `forbidden_character`
applies to them. The importer cuts a long imported value to its field's length instead of refusing it
(a back office's text is kept in part); everything else of the rule applies to it too.
"""

from __future__ import annotations

import re
import unicodedata

from carte.errors import N_, CarteError

WHITESPACE_CONTROLS = "\t\n\r"
# Everything refused, whatever the field: C0 but tab/LF/CR, DEL, C1, surrogates, U+FFFE, U+FFFF.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_ENDS = re.compile(r"\r\n?")

INVALID_CHARACTERS = N_("Ce texte contient des caractères de contrôle ou invisibles non autorisés.")

EMAIL_MAX = 254
# One "@", a local part of 1-64 characters without spaces, quotes or brackets, and a dotted domain of
# letters, digits and inner hyphens: what can be checked without sending (a confirmation does the rest).
_EMAIL = re.compile(
    r"^[^@\s\"<>(),;:\\\[\]]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)


def is_email(text: str) -> bool:
    """Whether a cleaned, lower-cased text looks like an email address."""
    return bool(_EMAIL.match(text))


def clean_email(value: object, field: str = "email", *, required: bool = False) -> str | None:
    """The cleaned address, lower-cased (None when absent and optional); the caller checks `is_email`
    and answers in its own words."""
    text = clean_text(value, field, max_len=EMAIL_MAX, required=required)
    return text.lower() if text else None


def forbidden_character(text: str) -> str | None:
    """The first character that no text may hold, or None."""
    match = _FORBIDDEN.search(text)
    return match.group() if match else None


def clean_text(
    value: object, field: str, *, max_len: int, min_len: int = 0, required: bool = False, multiline: bool = False
) -> str | None:
    """The cleaned text of `value`, None when it is absent and optional, or a CarteError (422) naming `field`."""
    if value is not None and not isinstance(value, str):
        raise CarteError("invalid_type", "Ce champ doit être un texte.", field)
    if value and forbidden_character(value):
        raise CarteError("invalid_characters", INVALID_CHARACTERS, field)
    text = unicodedata.normalize("NFC", value or "")
    text = _LINE_ENDS.sub("\n", text).strip() if multiline else " ".join(text.split())
    if not text:
        if required:
            raise CarteError("required", "Ce champ est obligatoire.", field)
        return None
    if len(text) < min_len:
        raise CarteError("too_short", "Au moins %(n)s caractères.", field, params={"n": min_len})
    if len(text) > max_len:
        raise CarteError("too_long", "Au plus %(n)s caractères.", field, params={"n": max_len})
    return text
