"""A closed workshop's synthesis: printable HTML, PDF and the standalone offline map."""

from __future__ import annotations

import re

import pytest

from tests.helpers import BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL, csrf_token_from, login_as

TWO_CONTRIBUTIONS = (
    (BASILIQUE_SAINT_DENIS, "Bus trop rares", "Le 255 passe toutes les vingt minutes <b>le soir</b>."),
    (MAIRIE_MONTREUIL, "Métro saturé", "Impossible de monter à Mairie de Montreuil à 8 h."),
)
# Three near-identical contributions a few metres apart at Saint-Denis: one group of similar reports.
POTHOLE = "Nid-de-poule <img src=x onerror=alert(1)>"
GROUPED = tuple(
    (
        (BASILIQUE_SAINT_DENIS[0] + 0.0002 * i, BASILIQUE_SAINT_DENIS[1]),
        POTHOLE,
        "Un nid-de-poule profond devant la basilique.",
    )
    for i in range(3)
)


def run_workshop(app, client, contributions=TWO_CONTRIBUTIONS, question="Comment venez-vous ?") -> str:
    login_as(client, app, "facilitator")
    page = client.get("/animation/ateliers")
    code = (
        client.post(
            "/animation/ateliers",
            data={
                "title": "Atelier mobilité",
                "date": "2026-11-27",
                "place": "Montreuil",
                "question": question,
                "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            },
        )
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    phone = app.test_client()
    for (lon, lat), title, text in contributions:
        assert (
            phone.post(
                f"/api/v1/ateliers/{code}/signalements",
                json={"theme": "mobilite", "title": title, "description": text, "lat": lat, "lon": lon},
            ).status_code
            == 201
        )
    detail = client.get(f"/animation/ateliers/{code}")
    client.post(
        f"/animation/ateliers/{code}/cloture", data={"csrf_token": csrf_token_from(detail.get_data(as_text=True))}
    )
    return code


@pytest.mark.backends
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


@pytest.mark.backends
def test_synthesis_page_lists_groups_of_similar_reports(app, client):
    code = run_workshop(app, client, TWO_CONTRIBUTIONS + GROUPED)
    response = client.get(f"/animation/ateliers/{code}/synthese")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    groups = page.split("Problèmes signalés plusieurs fois", 1)[1].split("Paroles de participants", 1)[0]
    assert "<li><strong>Nid-de-poule &lt;img src=x onerror=alert(1)&gt;</strong> — 3 signalements ;" in groups
    assert "Saint-Denis</li>" in groups  # the group's commune, by name
    assert "<img" not in page.replace('<img src="', "")  # every title is escaped


def test_synthesis_pdf_with_groups_is_a_pdf(app, client):
    code = run_workshop(app, client, TWO_CONTRIBUTIONS + GROUPED)
    response = client.get(f"/animation/ateliers/{code}/synthese.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")


def test_synthesis_page_has_no_inline_style(app, client):
    """The page keeps to the site's CSP (style-src 'self'): its CSS is a static file, the PDF reads it from disk."""
    code = run_workshop(app, client, TWO_CONTRIBUTIONS + GROUPED)
    page = client.get(f"/animation/ateliers/{code}/synthese").get_data(as_text=True)
    assert "<style" not in page and "style=" not in page
    (href,) = re.findall(r'<link rel="stylesheet" href="([^"]+/css/synthesis\.css)">', page)
    assert href.startswith("/static/") and client.get(href).status_code == 200


def test_offline_map_inlines_every_script_and_stylesheet(app, client):
    code = run_workshop(app, client)
    response = client.get(f"/animation/ateliers/{code}/carte.html")
    html = response.get_data(as_text=True)
    assert "attachment" in response.headers["Content-Disposition"]
    assert not re.findall(r"<script[^>]+src=", html)
    assert not re.findall(r'<link[^>]+rel="stylesheet"', html)
    assert "L.heatLayer" in html and ".leaflet-container" in html  # Leaflet.heat plugin and Leaflet CSS inline
    assert '"contributions": 1' in html  # the choropleth carries the counts
    assert client.get("/animation/ateliers/ZZZZZZ/carte.html").status_code == 404


def test_offline_map_tooltips_escape_names():
    """folium's GeoJsonTooltip writes property values into innerHTML: the names must arrive escaped."""
    import json
    from pathlib import Path

    from carte.workshops.synthesis import folium_map

    square = {"type": "Polygon", "coordinates": [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]]}
    name = "</script><img src=x onerror=alert(1)>"
    geojson = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": square, "properties": {"code": "75056", "nom": name}}],
        }
    )
    vendor = Path(__file__).resolve().parents[2] / "carte" / "static" / "vendor"
    page = folium_map(geojson, {"75056": 2}, [(2.35, 48.85)], vendor, "Atelier <b>X</b>", credits="IGN")
    data = json.loads(re.search(r'_add\((\{"features".*?\})\);', page).group(1))
    assert data["features"][0]["properties"]["nom"] == "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    assert "<title>Atelier &lt;b&gt;X&lt;/b&gt;</title>" in page


def test_synthesis_pdf_keeps_the_map_legend_with_the_map(app, client):
    """WeasyPrint used to push the legend alone onto page 2 while the map stayed on page 1."""
    import io

    from pypdf import PdfReader

    long_question = (
        "Comment venez-vous à l'atelier, combien de temps mettez-vous, et qu'est-ce qui vous "
        "empêche de prendre les transports en commun, le vélo ou la marche plus souvent, "
        "en semaine comme le week-end, le jour comme le soir ? "
    ) * 2
    code = run_workshop(app, client, TWO_CONTRIBUTIONS + GROUPED, question=long_question[:300])
    pdf = PdfReader(io.BytesIO(client.get(f"/animation/ateliers/{code}/synthese.pdf").data))
    pages = [page.extract_text() for page in pdf.pages]
    (legend_page,) = [i for i, text in enumerate(pages) if "Contributions par commune" in text]
    (map_page,) = [i for i, text in enumerate(pages) if "Carte" in text.splitlines()]  # the map's heading
    assert legend_page == map_page
    assert "Classement des thèmes" in "".join(pages[legend_page:])


def test_offline_map_has_a_legend_the_data_credits_and_a_metric_scale(app, client):
    code = run_workshop(app, client)
    html = client.get(f"/animation/ateliers/{code}/carte.html").get_data(as_text=True)
    assert "imperial: false" in html and "L.control.scale()" not in html
    assert '"Contributions par commune"' in html and '"\\u2264 1"' in html.replace("≤", "\\u2264")
    assert "IGN (Licence Ouverte)" in html and "ODbL" in html
    assert "textContent = credits" in html  # the credits go in as text, not through the HTML attribution
