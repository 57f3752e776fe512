"""Pure parts of interoperability: mappings, row parsing, Open311 documents and query windows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from carte.interop.importer import Reject, _arrondissement_code, _sniff_delimiter, parse_date, parse_row
from carte.interop.mapping import Mapping, MappingError
from carte.open311.errors import Open311Error
from carte.open311.formats import to_xml
from carte.open311.service import WINDOW, parse_query, parse_w3c

THEMES = {"mobilite", "logement", "espaces-publics-proprete"}


def test_category_lookup_most_specific_first_then_prefix_then_type():
    mapping = Mapping(
        categories={
            "Voirie": "espaces-publics-proprete",
            "Voirie / Trottoirs*": "mobilite",
            "Voirie / Trottoirs : Revêtement manquant": "logement",
        }
    )
    assert mapping.theme_for(["Voirie", "Trottoirs : Revêtement manquant"], THEMES) == ("logement", True)
    assert mapping.theme_for(["Voirie", "Trottoirs : Trou"], THEMES) == ("mobilite", True)
    assert mapping.theme_for(["Voirie", "Chaussée"], THEMES) == ("espaces-publics-proprete", True)
    assert mapping.theme_for(["Autre"], THEMES) == ("espaces-publics-proprete", False)
    assert mapping.theme_for(["mobilite"], THEMES) == ("mobilite", True)  # Carte's own exports


def test_map_options():
    mapping = Mapping().with_options(["point=geo_point", "theme=type,soustype"])
    assert mapping.columns["point"] == ("geo_point",) and mapping.columns["lat"] == ()
    assert mapping.columns["theme"] == ("type", "soustype")
    with pytest.raises(MappingError):
        Mapping().with_options(["latitude=lat"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-01", datetime(2024, 3, 1, 12, tzinfo=UTC)),
        ("2024-03-01T08:15:00+02:00", datetime(2024, 3, 1, 6, 15, tzinfo=UTC)),
        ("2024-03-01T08:15:00Z", datetime(2024, 3, 1, 8, 15, tzinfo=UTC)),
        ("01/03/2024", datetime(2024, 3, 1, tzinfo=UTC)),
        ("01/03/2024 08:15", datetime(2024, 3, 1, 8, 15, tzinfo=UTC)),
    ],
)
def test_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["hier", "2024-02-30", "32/01/2024", "1850-01-01"])
def test_bad_dates(raw):
    with pytest.raises(Reject, match="date illisible"):
        parse_date(raw)


def test_arrondissement_codes_and_delimiters():
    assert [_arrondissement_code(v) for v in ("1", "20", "75116", "75007", "21", "x")] == [
        "75101",
        "75120",
        "75116",
        "75107",
        None,
        None,
    ]
    assert _sniff_delimiter("a;b;c\n") == ";" and _sniff_delimiter("a,b\n") == "," and _sniff_delimiter("a\n") == ","


def test_parse_row_combined_point_and_wkt():
    mapping = Mapping().with_options(["point=pt", "id=", "date="])
    row = parse_row(2, {"pt": "48.85, 2.35", "title": "Titre", "theme": "logement"}, mapping, THEMES, False)
    assert (row.lat, row.lon, row.theme, row.mapped) == (48.85, 2.35, "logement", True)
    row = parse_row(2, {"pt": "POINT (2.35 48.85)", "title": "Titre"}, mapping, THEMES, False)
    assert (row.lon, row.lat) == (2.35, 48.85)
    with pytest.raises(Reject, match="coordonnées invalides"):
        parse_row(2, {"pt": "48.85", "title": "Titre"}, mapping, THEMES, False)


def test_open311_xml_uses_the_spec_names():
    root = ET.fromstring(
        to_xml("service_requests", [{"service_request_id": "a", "lat": 1.5, "media_url": None, "flag": True}])
    )
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert [(e.tag, e.text) for e in request] == [
        ("service_request_id", "a"),
        ("lat", "1.5"),
        ("media_url", None),
        ("flag", "true"),
    ]
    definition = ET.fromstring(
        to_xml(
            "service_definition",
            {"service_code": "x", "attributes": [{"code": "c", "values": [{"key": "k", "name": "n"}]}]},
        )
    )
    assert definition.find("attributes/attribute/values/value/key").text == "k"


NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_query_windows_default_to_90_days():
    q = parse_query({}, {"mobilite": object()}, NOW)
    assert (q.start, q.end) == (NOW - WINDOW, NOW)
    q = parse_query({"start_date": "2026-01-01T00:00:00Z"}, {}, NOW)
    assert q.end - q.start == WINDOW
    q = parse_query({"end_date": "2026-01-01T00:00:00+01:00"}, {}, NOW)
    assert q.end == datetime(2025, 12, 31, 23, tzinfo=UTC) and q.end - q.start == WINDOW
    q = parse_query({"service_request_id": "a, b,a", "start_date": "nonsense"}, {}, NOW)  # ids override the rest
    assert q.ids == ("a", "b")


def test_query_errors():
    with pytest.raises(Open311Error) as err:
        parse_query({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"}, {}, NOW)
    assert err.value.status == 400
    assert parse_w3c("2026-01-01T00:00:00 01:00", "start_date") == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert timedelta(days=90) == WINDOW


def _imported(**fields):
    record = {"lat": "48.85", "lon": "2.35", "title": "Titre", "theme": "logement", **fields}
    return parse_row(2, record, Mapping().with_options(["id=", "date="]), THEMES, False)


@pytest.mark.parametrize(
    "field, label",
    [("title", "titre"), ("description", "description"), ("location_text", "adresse"), ("tags", "mot-clé")],
)
@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\x1b", "\x85", "\ufffe"])
def test_imported_text_with_control_characters_is_rejected_not_stripped(field, label, bad):
    with pytest.raises(Reject) as rejected:
        _imported(**{field: f"Texte{bad}suite"})
    assert rejected.value.reason == f"caractères de contrôle refusés : {label}"


def test_imported_text_follows_the_shared_rule_and_long_values_are_cut():
    row = _imported(
        title="  Banc  cass\u0065\u0301\t ",
        description="Ligne 1\r\nLigne 2  ",
        location_text="1  rue  X",
        tags="a  b|A  B|" + "t" * 60,
    )
    assert row.title == "Banc cass\u00e9"  # NFC, whitespace collapsed and trimmed
    assert row.description == "Ligne 1\nLigne 2"
    assert row.location_text == "1 rue X"
    assert row.tags == ["a b", "t" * 40]
    long = _imported(title="Mot " * 40)
    assert long.title == ("Mot " * 30).rstrip()  # cut to 120 characters, never ending in a space
