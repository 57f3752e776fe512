"""Parsing the filter shared by report listings, exports and aggregates.

Routes parse query parameters into one `ReportFilter` (the value object lives in
`carte.domain`, below storage); storage turns it into SQL.
A filter that cannot be satisfied (unknown theme or commune, malformed date,
`since` after `until`) is a client error, whereas an empty selection is not.
So is a value outside what the backends can hold: dates outside [DATE_MIN, DATE_MAX]
(past 9999 or before year 1 they overflow Python's datetime; PostgreSQL has its own bounds),
and ids (`cursor`) above ID_MAX, the largest 32-bit integer (reports.id on PostgreSQL).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from carte.domain import DATE_MAX, DATE_MIN, ID_MAX, LIMIT_DEFAULT, LIMIT_MAX, PROGRESS, ReportFilter
from carte.errors import CarteError
from carte.text import clean_text


@dataclass(frozen=True)
class Vocabulary:
    """What a filter may name; anything else is refused rather than silently ignored."""

    themes: Collection[str]
    communes: Collection[str]
    territoires: Collection[str]
    departements: Collection[str]
    workshops: Collection[str] = ()


def _values(args: Mapping[str, Sequence[str]], name: str, max_len: int = 200) -> tuple[str, ...]:
    """Repeated parameters and comma-separated lists are both accepted; each value is cleaned text."""
    out: list[str] = []
    for raw in args.get(name, ()):
        for value in raw.split(","):
            value = clean_text(value, name, max_len=max_len)
            if value:
                out.append(value)
    return tuple(dict.fromkeys(out))


def _known(values: tuple[str, ...], known: Collection[str], field_name: str, what: str) -> tuple[str, ...]:
    unknown = [v for v in values if v not in known]
    if unknown:
        raise CarteError(
            f"unknown_{what}", "Valeur inconnue : %(values)s.", field_name, params={"values": ", ".join(unknown[:5])}
        )
    return values


def _check_date_range(day: date, name: str) -> None:
    """Dates outside [DATE_MIN, DATE_MAX] are refused before any arithmetic can overflow."""
    if not DATE_MIN <= day <= DATE_MAX:
        raise CarteError(
            "out_of_range",
            "Date attendue entre %(low)s et %(high)s.",
            name,
            params={"low": DATE_MIN.isoformat(), "high": DATE_MAX.isoformat()},
        )


def _day(args: Mapping[str, Sequence[str]], name: str) -> date | datetime | None:
    values = args.get(name) or ()
    if not values or not values[-1].strip():
        return None
    raw = values[-1].strip()
    try:
        if len(raw) == 10:
            parsed: date | datetime = date.fromisoformat(raw)
        else:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise CarteError("invalid_date", "Date invalide (attendu AAAA-MM-JJ).", name) from None
    _check_date_range(parsed if type(parsed) is date else parsed.date(), name)
    if isinstance(parsed, datetime):
        parsed = parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
    return parsed


def _as_bound(value: date | datetime | None, *, end: bool) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    start = datetime.combine(value, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def _bbox(args: Mapping[str, Sequence[str]]) -> tuple[float, float, float, float] | None:
    values = args.get("bbox") or ()
    if not values:
        return None
    try:
        parts = tuple(float(v) for v in values[-1].split(","))
    except ValueError:
        parts = ()
    if (
        len(parts) != 4
        or not all(math.isfinite(p) for p in parts)
        or not (-180 <= parts[0] <= parts[2] <= 180 and -90 <= parts[1] <= parts[3] <= 90)
    ):
        raise CarteError("invalid_bbox", "bbox attend minLon,minLat,maxLon,maxLat.", "bbox")
    return parts  # type: ignore[return-value]


def _int(args: Mapping[str, Sequence[str]], name: str, default: int | None, low: int, high: int) -> int | None:
    values = args.get(name) or ()
    if not values:
        return default
    try:
        number = int(values[-1])
    except ValueError:
        raise CarteError("invalid_number", "Nombre entier attendu.", name) from None
    if not low <= number <= high:
        raise CarteError(
            "out_of_range", "Valeur attendue entre %(low)s et %(high)s.", name, params={"low": low, "high": high}
        )
    return number


def parse_filter(args: Mapping[str, Sequence[str]], vocabulary: Vocabulary) -> ReportFilter:
    """Build a ReportFilter from query parameters (a mapping of name to list of values)."""
    since = _as_bound(_day(args, "since"), end=False)
    until = _as_bound(_day(args, "until"), end=True)
    if since and until and since >= until:
        raise CarteError("invalid_range", "La date de début doit précéder la date de fin.", "since")
    return ReportFilter(
        themes=_known(_values(args, "theme"), vocabulary.themes, "theme", "theme"),
        tags=_values(args, "tag", max_len=40),
        communes=_known(_values(args, "commune"), vocabulary.communes, "commune", "commune"),
        territoires=_known(_values(args, "territoire"), vocabulary.territoires, "territoire", "territoire"),
        departements=_known(_values(args, "departement"), vocabulary.departements, "departement", "departement"),
        since=since,
        until=until,
        bbox=_bbox(args),
        limit=_int(args, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX) or LIMIT_DEFAULT,
        cursor=_int(args, "cursor", None, 0, ID_MAX),
        workshop=_workshop(args, vocabulary),
        progress=_known(_values(args, "progress"), PROGRESS, "progress", "progress"),
    )


def _workshop(args: Mapping[str, Sequence[str]], vocabulary: Vocabulary) -> str | None:
    values = args.get("workshop") or ()
    code = clean_text(values[-1], "workshop", max_len=40) if values else None
    if not code:
        return None
    return _known((code.upper(),), vocabulary.workshops, "workshop", "workshop")[0]
