"""Validation of an incoming report, before anything touches the database.

Every rule raises `CarteError` with a stable code and the offending field, so the
browser can show the message next to the right input.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from carte.errors import CarteError
from carte.text import clean_text

TITLE_MIN, TITLE_MAX = 5, 120
DESCRIPTION_MAX = 2000
TAGS_MAX, TAG_MAX = 5, 40
AUTHOR_MAX = 80
LOCATION_TEXT_MIN, LOCATION_TEXT_MAX = 3, 200


@dataclass(frozen=True)
class ReportInput:
    theme: str
    title: str
    description: str
    tags: tuple[str, ...]
    author_name: str | None
    lon: float | None
    lat: float | None
    commune: str | None
    location_text: str | None

    @property
    def approximate(self) -> bool:
        return self.lon is None


def _text(
    data: Mapping, field: str, *, required: bool, min_len: int = 0, max_len: int, multiline: bool = False
) -> str | None:
    return clean_text(data.get(field), field, required=required, min_len=min_len, max_len=max_len, multiline=multiline)


def _coordinate(data: Mapping, field: str, low: float, high: float) -> float:
    value = data.get(field)
    if value is None or value == "":
        raise CarteError("required", "Coordonnée manquante.", field)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise CarteError("invalid_number", "La coordonnée doit être un nombre.", field)
    try:
        number = float(value)
    except ValueError:
        raise CarteError("invalid_number", "La coordonnée doit être un nombre.", field) from None
    if not math.isfinite(number):
        raise CarteError("invalid_number", "La coordonnée doit être un nombre fini.", field)
    if not low <= number <= high:
        raise CarteError(
            "out_of_range",
            "La coordonnée doit être entre %(low)s et %(high)s.",
            field,
            params={"low": low, "high": high},
        )
    return number


def _tags(data: Mapping) -> tuple[str, ...]:
    raw = data.get("tags")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise CarteError("invalid_type", "Les mots-clés doivent être une liste de textes.", "tags")
    tags: list[str] = []
    for tag in raw:
        tag = clean_text(tag, "tags", max_len=TAG_MAX)
        if tag and tag.casefold() not in (t.casefold() for t in tags):
            tags.append(tag)
            if len(tags) > TAGS_MAX:
                raise CarteError("too_many_tags", "Au plus %(n)s mots-clés.", "tags", params={"n": TAGS_MAX})
    return tuple(tags)


def validate_report(data: object, themes: Collection[str], communes: Collection[str]) -> ReportInput:
    """Check a decoded JSON body against the rules of a report.

    A report is placed either by `lat`/`lon`, or, for residents who do not use the
    map, by a `commune` code plus a `location_text` (then it is approximate).
    """
    if not isinstance(data, Mapping):
        raise CarteError("invalid_json", "Le corps doit être un objet JSON.", None, status=400)
    theme = _text(data, "theme", required=True, max_len=40)
    if theme not in themes:
        raise CarteError("unknown_theme", "Thème inconnu.", "theme")
    title = _text(data, "title", required=True, min_len=TITLE_MIN, max_len=TITLE_MAX)
    description = _text(data, "description", required=False, max_len=DESCRIPTION_MAX, multiline=True) or ""
    tags = _tags(data)
    author = _text(data, "author_name", required=False, max_len=AUTHOR_MAX)

    has_point = data.get("lat") is not None or data.get("lon") is not None
    if not has_point and data.get("commune") is not None:
        commune = _text(data, "commune", required=True, max_len=5)
        if commune not in communes:
            raise CarteError("unknown_commune", "Commune inconnue.", "commune")
        location_text = _text(
            data, "location_text", required=True, min_len=LOCATION_TEXT_MIN, max_len=LOCATION_TEXT_MAX
        )
        return ReportInput(theme, title, description, tags, author, None, None, commune, location_text)

    lat = _coordinate(data, "lat", -90.0, 90.0)
    lon = _coordinate(data, "lon", -180.0, 180.0)
    location_text = _text(data, "location_text", required=False, max_len=LOCATION_TEXT_MAX)
    return ReportInput(theme, title, description, tags, author, lon, lat, None, location_text)
