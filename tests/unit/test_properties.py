"""Property-based tests (hypothesis) of what parses a stranger's input: the text cleaner, the report
validator, the filter parser and the Open311 parameter parser.

Any input ends as a valid value or as the module's own client error (CarteError, Open311Error),
never as another exception; and the values respect their invariants. Derandomized: every run
tries the same inputs, and no deadline (no timed tests on a shared machine).
"""

from __future__ import annotations

import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st

from carte.domain import ID_MAX, LIMIT_MAX
from carte.errors import CarteError
from carte.open311.errors import Open311Error
from carte.open311.formats import to_xml
from carte.open311.service import WINDOW, parse_query
from carte.reports.filters import Vocabulary, parse_filter
from carte.reports.validation import TAG_MAX, TAGS_MAX, TITLE_MAX, TITLE_MIN, validate_report
from carte.text import clean_text

PROPERTIES = settings(
    max_examples=300, derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
CARTE_CODES = {"required", "invalid_type", "invalid_characters", "too_short", "too_long"}
# Written out independently of the code under test: controls (Cc), surrogates (Cs), U+FFFE/U+FFFF.
UNWANTED = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]}

# Text with what breaks things: every control, surrogates, format characters, emoji, markup, SQL.
odd_text = st.lists(
    st.one_of(
        st.characters(exclude_categories=()),  # surrogates included
        st.sampled_from(
            [
                "\x00",
                "\t",
                "\n",
                "\r",
                "\r\n",
                "\x1b",
                "\x7f",
                "\x85",
                "\ud800",
                "\udfff",
                "\ufffe",
                "\u202e",
                "\u200b",
                "e\u0301",
                "👩‍👩‍👧",
                ",",
                " ",
                "'",
                ";--",
                "<",
                ">",
                "&",
                "T",
                "-",
                ":",
            ]
        ),
    ),
    max_size=60,
).map("".join)
anything = st.one_of(
    odd_text,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(odd_text, max_size=8),
    st.dictionaries(odd_text, odd_text, max_size=3),
)
offsets = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-23 * 60 - 59, 23 * 60 + 59))
date_text = st.one_of(
    st.dates().map(date.isoformat),
    st.datetimes().map(datetime.isoformat),
    st.datetimes(timezones=offsets).map(datetime.isoformat),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31",
            "9999-12-31T23:59:59-12:00",
            "2026-02-30",
            "2026-01-01Z",
            "2026-01-01T00:00:00Z",
            "",
            " ",
            "\x00",
        ]
    ),
    odd_text,
)
number_text = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(str),
    odd_text,
    st.sampled_from(["2147483647", "2147483648", "-0", "1e308", "NaN", "١٢", "1_000"]),
)


@PROPERTIES
@given(
    value=anything,
    max_len=st.integers(0, 400),
    min_len=st.integers(0, 20),
    required=st.booleans(),
    multiline=st.booleans(),
)
def test_clean_text_returns_clean_bounded_text_or_a_carte_error(value, max_len, min_len, required, multiline):
    try:
        text = clean_text(value, "f", max_len=max_len, min_len=min_len, required=required, multiline=multiline)
    except CarteError as err:
        assert err.code in CARTE_CODES and err.field == "f"
        return
    if text is None:
        assert not required
        return
    assert not UNWANTED & set(text) - ({"\n", "\t"} if multiline else set())
    assert "\r" not in text
    assert min_len <= len(text) <= max_len
    assert text == text.strip() and text == unicodedata.normalize("NFC", text)
    assert clean_text(text, "f", max_len=max_len, min_len=min_len, multiline=multiline) == text  # idempotent
    text.encode("utf-8")  # storable: no surrogate left


THEMES, COMMUNES = {"mobilite", "logement"}, {"93066", "75056"}
report_bodies = st.one_of(
    anything,
    st.fixed_dictionaries(
        {},
        optional={
            "theme": st.one_of(st.sampled_from(sorted(THEMES)), anything),
            "title": anything,
            "description": anything,
            "author_name": anything,
            "location_text": anything,
            "tags": st.one_of(st.lists(odd_text, max_size=12), anything),
            "lat": st.one_of(st.floats(), st.integers(), number_text, anything),
            "lon": st.one_of(st.floats(), st.integers(), number_text, anything),
            "commune": st.one_of(st.sampled_from(sorted(COMMUNES)), anything),
        },
    ),
)


@PROPERTIES
@given(body=report_bodies)
def test_report_validator_returns_a_valid_report_or_a_carte_error(body):
    try:
        report = validate_report(body, THEMES, COMMUNES)
    except CarteError as err:
        assert err.status in (400, 422) and err.code
        return
    assert report.theme in THEMES
    assert TITLE_MIN <= len(report.title) <= TITLE_MAX and not UNWANTED & set(report.title)
    assert len(report.tags) <= TAGS_MAX and all(0 < len(t) <= TAG_MAX for t in report.tags)
    assert len({t.casefold() for t in report.tags}) == len(report.tags)
    if report.approximate:
        assert report.commune in COMMUNES and report.location_text
    else:
        assert math.isfinite(report.lat) and -90 <= report.lat <= 90
        assert math.isfinite(report.lon) and -180 <= report.lon <= 180


VOCABULARY = Vocabulary(
    themes=THEMES, communes=COMMUNES, territoires={"200054781"}, departements={"93"}, workshops={"ACE347"}
)
filter_args = st.fixed_dictionaries(
    {},
    optional={
        "since": st.lists(date_text, max_size=2),
        "until": st.lists(date_text, max_size=2),
        "limit": st.lists(number_text, max_size=2),
        "cursor": st.lists(number_text, max_size=2),
        "tag": st.lists(odd_text, max_size=3),
        "theme": st.lists(st.sampled_from(["mobilite", "logement,mobilite"]) | odd_text, max_size=2),
        "workshop": st.lists(st.sampled_from(["ace347", " ACE347 "]) | odd_text, max_size=2),
        "bbox": st.lists(st.sampled_from(["2.2,48.8,2.4,48.9", "-181,0,0,0", "nan,0,1,1"]) | odd_text, max_size=2),
        "commune": st.lists(odd_text, max_size=2),
    },
)


@PROPERTIES
@given(args=filter_args)
def test_filter_parser_returns_a_satisfiable_bounded_filter_or_a_carte_error(args):
    try:
        flt = parse_filter(args, VOCABULARY)
    except CarteError as err:
        assert err.status == 422 and err.field in args
        return
    for bound in (flt.since, flt.until):
        assert bound is None or bound.utcoffset() == timedelta(0)
    if flt.since and flt.until:
        assert flt.since < flt.until
    assert 1 <= flt.limit <= LIMIT_MAX
    assert flt.cursor is None or 0 <= flt.cursor <= ID_MAX
    assert all(0 < len(t) <= 40 and not UNWANTED & set(t) for t in flt.tags)
    assert set(flt.themes) <= THEMES and flt.workshop in (None, "ACE347")
    if flt.bbox:
        assert all(math.isfinite(v) for v in flt.bbox)


NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
open311_args = st.fixed_dictionaries(
    {},
    optional={
        "start_date": date_text,
        "end_date": date_text,
        "service_request_id": odd_text | st.sampled_from(["abc,def", ",", "x" * 65]),
        "service_code": st.sampled_from(["mobilite", "mobilite,logement", ""]) | odd_text,
        "status": st.sampled_from(["open", "closed", "open,closed", "OPEN"]) | odd_text,
    },
)


@PROPERTIES
@given(args=open311_args)
def test_open311_parser_returns_a_bounded_window_or_an_open311_error(args):
    try:
        query = parse_query(args, {"mobilite": object(), "logement": object()}, NOW)
    except Open311Error as err:
        assert err.status in (400, 404) and err.description
        return
    if query.ids:
        assert all(0 < len(i) <= 64 and not UNWANTED & set(i) for i in query.ids)
        return
    assert query.start.utcoffset() == timedelta(0) and query.end.utcoffset() == timedelta(0)
    assert query.start <= query.end and query.end - query.start <= WINDOW
    assert set(query.statuses) <= {"open", "closed"} and set(query.service_codes) <= {"mobilite", "logement"}


@PROPERTIES
@given(
    values=st.dictionaries(
        st.sampled_from(["description", "status_notes", "media_url"]),
        st.one_of(odd_text, st.none(), st.integers(), st.booleans()),
        min_size=1,
    )
)
def test_open311_xml_always_parses_and_keeps_every_allowed_character(values):
    root = ET.fromstring(to_xml("service_requests", [values]))
    request = root.find("request")
    for name, value in values.items():
        expected = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        allowed = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", expected)
        # XML parsers normalise line ends (\r\n and \r become \n).
        assert (request.find(name).text or "") == allowed.replace("\r\n", "\n").replace("\r", "\n")
