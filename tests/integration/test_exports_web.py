"""Exports from the facilitators' area (same filters as the dashboard), open aggregates, round trips."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import delete

from carte.extensions import db
from carte.models import Report
from tests.helpers import BASILIQUE_SAINT_DENIS, login_as, reports_snapshot, seed_export_reports

pytestmark = pytest.mark.backends


def test_exports_need_a_facilitator(client):
    assert client.get("/animation/exports/signalements.csv").status_code == 302
    assert client.get("/animation/exports/signalements.geojson").status_code == 302


def test_csv_exports_have_bom_licence_and_a_semicolon_variant(app, client, reports):
    seed_export_reports(reports)
    login_as(client, app, "facilitator")
    response = client.get("/animation/exports/signalements.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 3 and {r["licence"] for r in rows} == {"ODbL-1.0"}
    assert all("IGN" in r["attribution"] for r in rows)
    assert "author_name" not in rows[0] and "Camille" not in response.data.decode("utf-8-sig")

    french = client.get("/animation/exports/signalements.csv?sep=;&theme=logement").data.decode("utf-8-sig")
    assert french.splitlines()[0].startswith("id;theme;theme_label;title")
    rows = list(csv.DictReader(io.StringIO(french), delimiter=";"))
    assert sorted(r["title"] for r in rows) == ["Immeuble insalubre", "Loyers hors de portée"]
    # Decimal commas, which a French spreadsheet reads as numbers ("48.93" would be text there).
    saint_denis = next(r for r in rows if r["title"] == "Immeuble insalubre")
    assert "." not in saint_denis["lat"] + saint_denis["lon"]
    lon, lat = BASILIQUE_SAINT_DENIS[0], BASILIQUE_SAINT_DENIS[1]
    assert (float(saint_denis["lon"].replace(",", ".")), float(saint_denis["lat"].replace(",", "."))) == (lon, lat)
    plain = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert all("," not in r["lat"] and float(r["lat"]) for r in plain)  # the "," variant keeps points


def test_geojson_export_is_rfc7946_with_credits_and_filters(app, client, reports):
    seed_export_reports(reports)
    login_as(client, app, "facilitator")
    response = client.get("/animation/exports/signalements.geojson?commune=93066")
    assert response.mimetype == "application/geo+json"
    data = json.loads(response.data)
    assert data["type"] == "FeatureCollection" and "crs" not in data
    assert data["licence"] == "ODbL-1.0" and "Etalab" in data["attribution"]
    assert [f["properties"]["title"] for f in data["features"]] == ["Immeuble insalubre"]
    assert data["features"][0]["geometry"]["coordinates"] == [BASILIQUE_SAINT_DENIS[0], BASILIQUE_SAINT_DENIS[1]]
    bad = client.get("/animation/exports/signalements.xlsx")
    assert bad.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/animation/exports/signalements.csv",
        "/animation/exports/signalements.csv?sep=;",
        "/animation/exports/signalements.geojson",
    ],
)
def test_downloaded_exports_import_back_to_the_same_reports(app, client, reports, tmp_path, url):
    seed_export_reports(reports)
    login_as(client, app, "facilitator")
    before = reports_snapshot(app)
    path = tmp_path / ("export.geojson" if "geojson" in url else "export.csv")
    path.write_bytes(client.get(url).data)
    with app.app_context():
        db.session.execute(delete(Report))
        db.session.commit()
    assert reports_snapshot(app) == []
    result = app.test_cli_runner().invoke(args=["carte", "import", str(path), "--source", "aller-retour"])
    assert "Importées : 3" in result.output, result.output
    assert reports_snapshot(app) == before


def test_open_aggregates_are_public_with_small_counts_suppressed(app, client, reports):
    seed_export_reports(reports)
    for _ in range(3):
        reports.create(theme="mobilite", title="Carrefour dangereux")
    response = client.get("/donnees-ouvertes/agregats.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert set(rows[0]) == {"code", "nom", "theme", "count", "rate_per_10k", "suppressed", "licence", "attribution"}
    paris = {r["theme"]: r for r in rows if r["code"] == "75056"}
    assert paris["mobilite"]["count"] == "4"  # 1 + 3 at the Eiffel Tower
    saint_denis = {r["theme"]: r for r in rows if r["code"] == "93066"}
    assert saint_denis["logement"]["count"] == "" and saint_denis["logement"]["suppressed"] == "true"
    body = response.data.decode("utf-8-sig")
    assert "Immeuble insalubre" not in body and "Camille" not in body
