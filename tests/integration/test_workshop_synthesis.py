"""A closed workshop's synthesis: printable HTML, PDF and the standalone offline map."""
from __future__ import annotations

import re

from tests.helpers import BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL, csrf_token_from, login_as


def run_workshop(app, client) -> str:
    login_as(client, app, "facilitator")
    page = client.get("/animation/ateliers")
    code = client.post("/animation/ateliers", data={
        "title": "Atelier mobilité", "date": "2026-11-27", "place": "Montreuil", "question": "Comment venez-vous ?",
        "csrf_token": csrf_token_from(page.get_data(as_text=True))}).headers["Location"].rsplit("/", 1)[1]
    phone = app.test_client()
    for (lon, lat), title, text in (
        (BASILIQUE_SAINT_DENIS, "Bus trop rares", "Le 255 passe toutes les vingt minutes <b>le soir</b>."),
        (MAIRIE_MONTREUIL, "Métro saturé", "Impossible de monter à Mairie de Montreuil à 8 h."),
    ):
        assert phone.post(f"/api/v1/ateliers/{code}/signalements",
                          json={"theme": "mobilite", "title": title, "description": text, "lat": lat, "lon": lon}
                          ).status_code == 201
    detail = client.get(f"/animation/ateliers/{code}")
    client.post(f"/animation/ateliers/{code}/cloture", data={"csrf_token": csrf_token_from(detail.get_data(as_text=True))})
    return code


def test_synthesis_page_has_map_ranking_communes_and_quotes(app, client):
    code = run_workshop(app, client)
    page = client.get(f"/animation/ateliers/{code}/synthese").get_data(as_text=True)
    assert '<strong id="synthesis-count">2</strong>' in page
    assert "<svg" in page and page.count("<circle") == 2
    assert "Saint-Denis (1)" in page and "Montreuil (1)" in page
    assert "Le 255 passe toutes les vingt minutes &lt;b&gt;le soir&lt;/b&gt;." in page  # quoted, never as HTML
    assert "clos le" in page and "ODbL-1.0" in page
    assert "<script" not in page


def test_synthesis_pdf_is_a_pdf(app, client):
    code = run_workshop(app, client)
    response = client.get(f"/animation/ateliers/{code}/synthese.pdf")
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-") and len(response.data) > 5000


def test_offline_map_inlines_every_script_and_stylesheet(app, client):
    code = run_workshop(app, client)
    response = client.get(f"/animation/ateliers/{code}/carte.html")
    html = response.get_data(as_text=True)
    assert "attachment" in response.headers["Content-Disposition"]
    assert not re.findall(r'<script[^>]+src=', html)
    assert not re.findall(r'<link[^>]+rel="stylesheet"', html)
    assert "L.heatLayer" in html and ".leaflet-container" in html  # Leaflet.heat plugin and Leaflet CSS inline
    assert '"contributions": 1' in html  # the choropleth carries the counts
    assert client.get("/animation/ateliers/ZZZZZZ/carte.html").status_code == 404
