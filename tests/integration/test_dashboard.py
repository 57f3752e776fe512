"""The facilitators' dashboard and the facilitator-only options of the aggregates API."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from carte.extensions import db
from carte.models import Report
from tests.helpers import BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL, csrf_token_from, login_as

pytestmark = pytest.mark.backends


def test_dashboard_needs_a_facilitator_and_lists_every_filter(app, client):
    response = client.get("/animation?theme=mobilite")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    login_as(client, app, "facilitator")
    page = client.get("/animation").get_data(as_text=True)
    for name in (
        "theme",
        "tag",
        "commune",
        "territoire",
        "departement",
        "since",
        "until",
        "workshop",
        "status",
        "level",
    ):
        assert f'name="{name}"' in page, name
    assert "vendor/leaflet.heat/leaflet-heat.js" in page and "vendor/chart.js/chart.umd.min.js" in page
    assert "<script>" not in page  # no inline code (CSP-ready)


def test_exact_figures_and_statuses_are_for_facilitators(app, client, reports):
    for _ in range(2):
        reports.create(theme="logement")
    anonymous = client.get("/api/v1/aggregates/territories?level=metropole&exact=1")
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "unauthenticated"
    assert client.get("/api/v1/aggregates/shared-needs?status=pending").status_code == 401
    public = client.get("/api/v1/aggregates/territories?level=metropole").get_json()
    logement = next(t for t in public["themes"] if t["theme"] == "logement")
    assert logement["count"] is None and logement["suppressed"] is True  # 2 < 3: hidden from the public

    login_as(client, app, "facilitator")
    exact = client.get("/api/v1/aggregates/territories?level=metropole&exact=1").get_json()
    assert exact["exact"] is True
    assert next(t for t in exact["themes"] if t["theme"] == "logement")["count"] == 2


def test_status_filter_shows_pending_reports_to_facilitators(app, client, reports):
    created = [reports.create(theme="mobilite")["id"] for _ in range(3)]
    with app.app_context():
        db.session.execute(update(Report).where(Report.public_id == created[0]).values(status="pending", revision=999))
        from carte.storage.versions import bump

        bump(db.session)
        db.session.commit()
    login_as(client, app, "facilitator")
    url = "/api/v1/aggregates/territories?level=metropole&exact=1"

    def total(query):
        return sum(t["count"] for t in client.get(url + query).get_json()["themes"])

    assert total("") == 2
    assert total("&status=pending") == 1
    assert total("&status=published,pending") == 3
    bad = client.get(url + "&status=draft")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "status"


def test_workshop_filter_selects_only_its_reports(app, client, reports):
    reports.create(theme="logement")
    login_as(client, app, "facilitator")
    page = client.get("/animation/ateliers")
    created = client.post(
        "/animation/ateliers",
        data={
            "title": "Atelier",
            "date": "2026-11-27",
            "place": "Montreuil",
            "question": "Quoi ?",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    code = created.headers["Location"].rsplit("/", 1)[1]
    phone = app.test_client()
    for lon, lat in (BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL):
        assert (
            phone.post(
                f"/api/v1/ateliers/{code}/signalements",
                json={"theme": "mobilite", "title": "Bus trop rares", "lat": lat, "lon": lon},
            ).status_code
            == 201
        )
    data = client.get(f"/api/v1/aggregates/territories?level=commune&exact=1&workshop={code.lower()}").get_json()
    assert {p["code"]: p["count"] for p in data["places"] if p["count"]} == {"93066": 1, "93048": 1}
    listing = client.get(f"/api/v1/reports?workshop={code}").get_json()
    assert len(listing["features"]) == 2
    unknown = client.get("/api/v1/aggregates/territories?workshop=ZZZZZZ")
    assert unknown.status_code == 422 and unknown.get_json()["error"]["code"] == "unknown_workshop"


def test_timeline_counts_reports_per_theme(app, client, reports):
    for theme in ("mobilite", "mobilite", "logement"):
        reports.create(theme=theme)
    assert client.get("/api/v1/animation/chronologie").status_code == 401
    login_as(client, app, "facilitator")
    data = client.get("/api/v1/animation/chronologie").get_json()
    assert data["bucket_days"] == 1 and len(data["starts"]) == 1
    assert {s["theme"]: s["counts"] for s in data["series"]} == {"mobilite": [2], "logement": [1]}
    filtered = client.get("/api/v1/animation/chronologie?theme=logement").get_json()
    assert [s["theme"] for s in filtered["series"]] == ["logement"]
