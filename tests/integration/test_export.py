"""`flask carte export` and the exporter: formats, licence, filters, and a lossless round trip."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import delete

from carte.extensions import db
from carte.interop.exporter import CREDITS, write_csv, write_geojson
from carte.models import Report
from tests.helpers import BASILIQUE_SAINT_DENIS, reports_snapshot, seed_export_reports

pytestmark = pytest.mark.backends


def run(app, *args):
    return app.test_cli_runner().invoke(args=["carte", *map(str, args)])


def test_csv_export_has_bom_licence_and_french_variant(app, reports, tmp_path):
    seed_export_reports(reports)
    result = run(app, "export", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert "3 signalements exportés" in result.output
    raw = (tmp_path / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert {r["licence"] for r in rows} == {"ODbL-1.0"}
    assert all("Ville de Paris" in r["attribution"] for r in rows)
    by_title = {r["title"]: r for r in rows}
    assert by_title["Piste « cyclable » interrompue"]["tags"] == "vélo|sécurité"
    assert by_title["Piste « cyclable » interrompue"]["description"] == "Ligne 1\nLigne 2; avec, des séparateurs"
    assert by_title["Immeuble insalubre"]["commune_code"] == "93066"

    result = run(app, "export", tmp_path / "fr.csv", "--delimiter", ";", "--theme", "logement")
    assert "2 signalements exportés" in result.output
    text = (tmp_path / "fr.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("id;theme;theme_label;title")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert {r["theme"] for r in rows} == {"logement"}


def test_geojson_export_is_rfc7946_with_credits(app, reports, tmp_path):
    seed_export_reports(reports)
    result = run(app, "export", tmp_path / "out.geojson", "--commune", "93066")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "out.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert doc["licence"] == CREDITS["licence"] and doc["attribution"] == CREDITS["attribution"]
    (feature,) = doc["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": list(BASILIQUE_SAINT_DENIS)}
    assert feature["properties"]["title"] == "Immeuble insalubre"
    assert "lat" not in feature["properties"]


def test_export_refuses_bad_filters_and_formats(app, tmp_path):
    assert "Valeur inconnue" in run(app, "export", tmp_path / "x.csv", "--theme", "nope").output
    assert run(app, "export", tmp_path / "x.csv", "--theme", "nope").exit_code != 0
    assert ".csv ou .geojson" in run(app, "export", tmp_path / "x.xlsx").output


def test_exports_import_back_without_loss(app, reports, tmp_path):
    seed_export_reports(reports)
    before = reports_snapshot(app)
    for name in ("back.csv", "back.geojson"):
        assert run(app, "export", tmp_path / name).exit_code == 0
        with app.app_context():
            db.session.execute(delete(Report))
            db.session.commit()
        result = run(app, "import", tmp_path / name, "--source", name)
        assert "Importées : 3" in result.output, result.output
        assert reports_snapshot(app) == before
        assert "Importées : 0" in run(app, "import", tmp_path / name, "--source", name).output


def test_private_contacts_are_never_exported(app, tmp_path):
    from carte.open311.keys import issue_key

    with app.app_context():
        key = issue_key(db.session, "k")
    client = app.test_client()
    response = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "mobilite",
            "lat": "48.8584",
            "long": "2.2945",
            "description": "Feu en panne",
            "email": "secret@example.org",
            "first_name": "Sacha",
            "last_name": "Secret",
        },
    )
    assert response.status_code == 200
    for name in ("p.csv", "p.geojson"):
        run(app, "export", tmp_path / name)
        text = (tmp_path / name).read_text(encoding="utf-8-sig")
        assert "Feu en panne" in text
        assert "secret@example.org" not in text and "Sacha" not in text


def test_writers_take_plain_rows():
    row = {"id": "x", "theme": "mobilite", "title": "Été", "tags": ["a"], "lat": 48.8, "lon": 2.3}
    out = io.StringIO()
    assert write_csv([row], out, bom=False) == 1
    assert out.getvalue().splitlines()[1].startswith("x,mobilite,,Été,,a,48.8,2.3,")
    out = io.StringIO()
    assert write_geojson([], out) == 0
    assert json.loads(out.getvalue())["features"] == []
