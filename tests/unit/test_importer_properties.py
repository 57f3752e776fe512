"""Property-based tests of the importer: whatever a file holds, each row is imported or rejected
with a reason, never an exception; reading a file only ever fails with ImportFileError."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings, strategies as st

from carte.interop.csv_cells import escape_cell
from carte.interop.importer import (
    DESCRIPTION_MAX,
    LOCATION_MAX,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
    ImportFileError,
    Reject,
    Row,
    parse_row,
    read_records,
)
from carte.interop.mapping import DEFAULT_COLUMNS, Mapping

THEMES = {"mobilite", "logement", "espaces-publics-proprete"}
COLUMNS = sorted({c for cols in DEFAULT_COLUMNS.values() for c in cols} | {"pt", "arr", "extra"})
odd_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60) | st.sampled_from(
    [
        "",
        " ",
        "nan",
        "inf",
        "-1e309",
        "48,85",
        "2.29",
        "POINT(2.29 48.85)",
        "POINT(",
        "2024-02-30",
        "0001-01-01",
        "9999-12-31T23:59:59+14:00",
        "31/12/2024",
        "\x00",
        "\u202e",
        "=1+1",
        "'=x",
        "a|b|c|A|a",
        "75107",
        "21",
    ]
)
values = (
    odd_text | st.integers() | st.floats(allow_nan=True) | st.booleans() | st.none() | st.lists(odd_text, max_size=8)
)
records = st.dictionaries(st.sampled_from(COLUMNS), values, max_size=len(COLUMNS))
mappings = st.sampled_from(
    [
        Mapping(),
        Mapping().with_options(["id="]),
        Mapping().with_options(["point=pt", "arrondissement=arr"]),
        Mapping(categories={"Voirie*": "mobilite"}).with_options(["theme=theme,extra", "date="]),
    ]
)


def check(row) -> None:
    assert isinstance(row, Row)
    assert -90 <= row.lat <= 90 and -180 <= row.lon <= 180
    assert 0 < len(row.title) <= TITLE_MAX and len(row.description) <= DESCRIPTION_MAX
    assert row.location_text is None or len(row.location_text) <= LOCATION_MAX
    assert len(row.tags) <= TAGS_MAX and all(0 < len(t) <= TAG_MAX for t in row.tags)
    assert row.theme in THEMES and row.created_at.tzinfo is not None


@given(records, mappings, st.booleans())
@settings(max_examples=400)
def test_any_record_is_a_row_or_a_reject(record, mapping, has_date):
    try:
        row = parse_row(7, record, mapping, THEMES, has_date)
    except Reject as rejected:
        assert rejected.reason and isinstance(rejected.reason, str)
    else:
        check(row)


HEADER = ["id", "theme", "title", "lat", "lon", "description"]
csv_rows = st.lists(st.lists(odd_text, min_size=len(HEADER), max_size=len(HEADER)).filter(any), max_size=6)


@given(csv_rows, st.sampled_from([",", ";", "\t"]))
@settings(max_examples=150, deadline=None)
def test_any_csv_file_reads_back_its_cells_and_parses_without_exceptions(rows, delimiter):
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows([HEADER, *[[escape_cell(c) for c in r] for r in rows]])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.csv"
        path.write_text(text.getvalue(), encoding="utf-8")
        read = list(read_records(path))
        assert [[record[h] for h in HEADER] for _line, record in read] == rows  # cells come back as written
        for line, record in read:
            try:
                check(parse_row(line, record, Mapping(), THEMES, False))
            except Reject:
                pass


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_bytes_give_records_or_an_import_file_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.dat"
        path.write_bytes(data)
        try:
            for line, record in read_records(path):
                assert isinstance(line, int) and isinstance(record, dict)
                try:
                    check(parse_row(line, record, Mapping(), THEMES, "created_at" in record))
                except Reject:
                    pass
        except ImportFileError:
            pass


@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | odd_text | st.integers(),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["type", "features", "geometry", "coordinates", "properties", "id", "title", "theme"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=25,
    )
)
@settings(max_examples=200, deadline=None)
def test_any_json_document_gives_records_or_an_import_file_error(document):
    import json

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.geojson"
        path.write_text("{" + json.dumps({"features": document})[1:], encoding="utf-8")
        try:
            for line, record in read_records(path):
                try:
                    check(parse_row(line, record, Mapping(), THEMES, False))
                except Reject:
                    pass
        except ImportFileError:
            pass
