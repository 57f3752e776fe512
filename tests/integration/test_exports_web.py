"""Exports from the facilitators' area (same filters as the dashboard), open aggregates, round trips."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import delete, select

from carte.extensions import db
from carte.models import Report
from tests.helpers import BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL, login_as


def seed(reports):
    reports.create(title="Piste « cyclable » interrompue", description="Ligne 1\nLigne 2; avec, des séparateurs",
                   tags=["vélo", "sécurité"], location_text="Rue de la République", author_name="Camille")
    reports.create(theme="logement", title="Immeuble insalubre", lat=BASILIQUE_SAINT_DENIS[1],
                   lon=BASILIQUE_SAINT_DENIS[0], tags=[])
    reports.create(theme="logement", title="Loyers hors de portée", lat=MAIRIE_MONTREUIL[1], lon=MAIRIE_MONTREUIL[0],
                   description="", tags=["loyers"])


def snapshot(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(Report)).unique().all()
        return sorted(
            (r.theme.slug, r.title, r.description, tuple(t.tag for t in r.tags), r.lon, r.lat, r.commune_code,
             r.arrondissement_code, r.location_text, r.created_at.replace(tzinfo=None, microsecond=0))
            for r in rows
        )


def test_exports_need_a_facilitator(client):
    assert client.get("/animation/exports/signalements.csv").status_code == 302
    assert client.get("/animation/exports/signalements.geojson").status_code == 302


def test_csv_exports_have_bom_licence_and_a_semicolon_variant(app, client, reports):
    seed(reports)
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


def test_geojson_export_is_rfc7946_with_credits_and_filters(app, client, reports):
    seed(reports)
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


@pytest.mark.parametrize("url", ["/animation/exports/signalements.csv", "/animation/exports/signalements.csv?sep=;",
                                 "/animation/exports/signalements.geojson"])
def test_downloaded_exports_import_back_to_the_same_reports(app, client, reports, tmp_path, url):
    seed(reports)
    login_as(client, app, "facilitator")
    before = snapshot(app)
    path = tmp_path / ("export.geojson" if "geojson" in url else "export.csv")
    path.write_bytes(client.get(url).data)
    with app.app_context():
        db.session.execute(delete(Report))
        db.session.commit()
    assert snapshot(app) == []
    result = app.test_cli_runner().invoke(args=["carte", "import", str(path), "--source", "aller-retour"])
    assert "Importées : 3" in result.output, result.output
    assert snapshot(app) == before


def test_open_aggregates_are_public_with_small_counts_suppressed(app, client, reports):
    seed(reports)
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
