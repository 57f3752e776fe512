"""The CSV escaping is a bijection, and neutralises every formula start (OWASP list)."""

from __future__ import annotations

import csv
import io

from hypothesis import example, given, strategies as st

from carte.interop.csv_cells import FORMULA_STARTS, escape_cell, unescape_cell, writer
from carte.interop.exporter import write_csv

# Texts made mostly of the characters that matter, so that the interesting cases come often.
texts = st.text(alphabet=st.sampled_from("'=+-@\t\r\n a1;,\"") | st.characters(), max_size=12)


@given(texts)
@example("")
@example("'")
@example("'=")
@example("''-1")
def test_unescape_undoes_escape(text):
    assert unescape_cell(escape_cell(text)) == text


@given(texts, texts)
def test_escape_is_injective(a, b):
    if a != b:
        assert escape_cell(a) != escape_cell(b)


@given(texts)
def test_an_escaped_cell_never_starts_a_formula(text):
    escaped = escape_cell(text)
    assert not escaped.startswith(FORMULA_STARTS)
    assert escaped == text or escaped == "'" + text


def test_known_cells():
    assert [escape_cell(s) for s in ("=1", "+1", "-1", "@a", "\tx", "\rx", "'=1", "'a", "a=1", "")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "'\rx",
        "''=1",
        "'a",
        "a=1",
        "",
    ]


def test_writer_escapes_text_but_not_numbers():
    out = io.StringIO()
    writer(out).writerow(["-3.5", -3.5, 7, None, "=x"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'-3.5", "-3.5", "7", "", "'=x"]


def test_write_csv_escapes_tab_and_carriage_return_starts():
    row = {
        "id": "x",
        "theme": "mobilite",
        "title": "\tcmd",
        "description": "\r=1",
        "tags": ["+a", "b"],
        "lat": 48.8,
        "lon": 2.3,
        "location_text": "@here",
        "source_name": "-src",
    }
    out = io.StringIO()
    write_csv([row], out, bom=False)
    (cells,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert (cells["title"], cells["description"], cells["tags"]) == ("'\tcmd", "'\r=1", "'+a|b")
    assert (cells["location_text"], cells["source_name"], cells["lat"]) == ("'@here", "'-src", "48.8")
