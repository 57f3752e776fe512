"""The report endpoints, on every backend, including each kind of bad input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from carte.extensions import db
from carte.models import Report, ReportTag
from tests.helpers import BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL, VERSAILLES, report_payload

pytestmark = pytest.mark.backends


def count_reports(app) -> tuple[int, int]:
    with app.app_context():
        return db.session.scalar(select(func.count(Report.id))), db.session.scalar(
            select(func.count()).select_from(ReportTag)
        )


def test_post_report_places_it_in_the_commune_computed_from_the_point(reports, app):
    lon, lat = BASILIQUE_SAINT_DENIS
    body = reports.create(lat=lat, lon=lon, commune="75056")  # a client's commune is ignored
    assert body["commune"] == {"code": "93066", "nom": "Saint-Denis"}
    assert body["territoire"] == {"code": "200057867", "nom": "Plaine Commune"}
    assert body["arrondissement"] is None
    assert body["approximate"] is False
    assert body["tags"] == ["vélo", "sécurité"]
    assert body["status"] == "published"
    assert (body["lon"], body["lat"]) == (lon, lat)
    with app.app_context():
        stored = db.session.scalar(select(Report).where(Report.public_id == body["id"]))
        assert stored.commune_code == "93066"
        assert stored.h3_8 and stored.h3_7 and stored.h3_9
        assert stored.contributor


def test_report_in_paris_gets_its_arrondissement(reports):
    body = reports.create()
    assert body["commune"]["code"] == "75056"
    assert body["territoire"]["code"] == "75056"
    assert body["arrondissement"]["code"] == "75107"


def test_created_report_can_be_read_back(reports, client):
    created = reports.create()
    response = client.get(f"/api/v1/reports/{created['id']}")
    assert response.status_code == 200
    created.pop("withdraw_url")  # the private withdrawal link is given once, in the 201 only
    detail = response.get_json()
    assert {k: detail.get(k) for k in created} == created
    # The detail adds the civic loop's fields (tests/integration/test_followup_api.py).
    assert set(detail) - set(created) == {
        "progress_label",
        "body",
        "duplicate_of",
        "updates",
        "confirmations",
        "viewer",
    }


def test_unknown_report_is_404_json(client):
    response = client.get("/api/v1/reports/doesnotexist")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_contributor_cookie_is_signed_and_reused(reports, app):
    first = reports.create()
    second = reports.create(title="Deuxième signalement")
    with app.app_context():
        rows = db.session.scalars(select(Report).where(Report.public_id.in_([first["id"], second["id"]]))).all()
        assert len({r.contributor for r in rows}) == 1


def test_approximate_report_without_the_map(reports, app):
    body = reports.create(lat=..., lon=..., commune="93048", location_text="Près de la mairie")
    assert body["approximate"] is True
    assert body["commune"]["code"] == "93048"
    assert body["location_text"] == "Près de la mairie"
    with app.app_context():
        from carte.geo.atlas import get_atlas

        assert (body["lon"], body["lat"]) == get_atlas(app).representative_point("93048")


def test_listing_is_geojson_with_filters(reports, client):
    reports.create()
    lon, lat = MAIRIE_MONTREUIL
    reports.create(theme="logement", title="Loyers trop chers", lon=lon, lat=lat)
    everything = reports.list().get_json()
    assert everything["type"] == "FeatureCollection"
    demo_free = [f for f in everything["features"] if "démo" not in f["properties"]["tags"]]
    assert len(demo_free) == 2
    feature = demo_free[0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["id"] == feature["properties"]["id"]

    by_theme = reports.list(theme="logement").get_json()["features"]
    assert {f["properties"]["title"] for f in by_theme} >= {"Loyers trop chers"}
    assert all(f["properties"]["theme"] == "logement" for f in by_theme)
    by_commune = reports.list(commune="93048").get_json()["features"]
    assert all(f["properties"]["commune"]["code"] == "93048" for f in by_commune)
    by_territory = reports.list(territoire="75056").get_json()["features"]
    assert all(f["properties"]["territoire"]["code"] == "75056" for f in by_territory)
    bbox = reports.list(bbox="2.28,48.85,2.30,48.87").get_json()["features"]
    assert all(2.28 <= f["geometry"]["coordinates"][0] <= 2.30 for f in bbox)
    assert any(f["properties"]["title"] == "Piste cyclable interrompue" for f in bbox)
    future = reports.list(since="2999-01-01").get_json()
    assert future["features"] == [] and future["next_cursor"] is None


def test_paging_with_a_cursor_visits_every_report_once(reports):
    for i in range(5):
        reports.create(title=f"Signalement numéro {i}")
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "tag": "vélo"}
        if cursor:
            params["cursor"] = cursor
        page = reports.list(**params).get_json()
        seen += [f["id"] for f in page["features"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5


def test_themes_and_communes_endpoints(client):
    themes = client.get("/api/v1/themes").get_json()["themes"]
    assert len(themes) == 10
    assert {"slug", "label", "color"} <= set(themes[0])
    response = client.get("/api/v1/communes")
    assert response.status_code == 200
    communes = response.get_json()
    assert len(communes["features"]) == 130
    assert len(response.data) < 400_000
    props = communes["features"][0]["properties"]
    assert {"code", "nom", "territoire_code", "territoire_nom", "population", "rep_point"} <= set(props)


BAD_INPUTS = [
    (dict(lon=VERSAILLES[0], lat=VERSAILLES[1]), 422, "outside_area", "lat"),
    (dict(lat=...), 422, "required", "lat"),
    (dict(lon="abc"), 422, "invalid_number", "lon"),
    (dict(lat="NaN"), 422, "invalid_number", "lat"),
    (dict(lon="Infinity"), 422, "invalid_number", "lon"),
    (dict(lat=[48.8]), 422, "invalid_number", "lat"),
    (dict(lat=True), 422, "invalid_number", "lat"),
    (dict(lat=123.0), 422, "out_of_range", "lat"),
    (dict(theme=...), 422, "required", "theme"),
    (dict(theme="inconnu"), 422, "unknown_theme", "theme"),
    (dict(title="abc"), 422, "too_short", "title"),
    (dict(title="x" * 121), 422, "too_long", "title"),
    (dict(title=42), 422, "invalid_type", "title"),
    (dict(description="x" * 2001), 422, "too_long", "description"),
    (dict(tags=["a", "b", "c", "d", "e", "f"]), 422, "too_many_tags", "tags"),
    (dict(tags=["x" * 41]), 422, "too_long", "tags"),
    (dict(tags="vélo"), 422, "invalid_type", "tags"),
    (dict(author_name="x" * 81), 422, "too_long", "author_name"),
    (dict(lat=..., lon=..., commune="99999", location_text="Gare"), 422, "unknown_commune", "commune"),
    (dict(lat=..., lon=..., commune="93048"), 422, "required", "location_text"),
]


@pytest.mark.parametrize("overrides,status,code,field", BAD_INPUTS)
def test_bad_input_is_refused_and_nothing_is_stored(reports, app, overrides, status, code, field):
    before = count_reports(app)
    response = reports.post(**overrides)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert count_reports(app) == before


def test_nan_literal_in_json_is_refused(client, app):
    before = count_reports(app)
    body = json.dumps(report_payload()).replace('"lat": 48.8584', '"lat": NaN')
    response = client.post("/api/v1/reports", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "lat"
    assert count_reports(app) == before


@pytest.mark.parametrize(
    "data,content_type,status,code",
    [
        ("{not json", "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 400, "invalid_json"),
        (json.dumps(report_payload()), "text/plain", 415, "unsupported_media_type"),
        ("theme=mobilite", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_malformed_bodies(client, app, data, content_type, status, code):
    before = count_reports(app)
    response = client.post("/api/v1/reports", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert count_reports(app) == before


def test_body_over_64_kb_is_413(client, app):
    before = count_reports(app)
    body = json.dumps(report_payload(description="x" * 70_000))
    response = client.post("/api/v1/reports", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert count_reports(app) == before


def test_control_characters_are_refused_and_html_is_kept_as_text(app, reports, client):
    before = count_reports(app)
    refused = reports.post(title="<img src=x onerror=alert(1)>\x00")
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert (error["code"], error["field"]) == ("invalid_characters", "title")
    assert count_reports(app) == before
    body = reports.create(title="<img src=x onerror=alert(1)>", description="<script>alert(1)</script>")
    assert body["title"] == "<img src=x onerror=alert(1)>"
    again = client.get(f"/api/v1/reports/{body['id']}").get_json()
    assert again["description"] == "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "query,field",
    [
        ({"theme": "inconnu"}, "theme"),
        ({"commune": "12345"}, "commune"),
        ({"territoire": "nope"}, "territoire"),
        ({"since": "2024-13-45"}, "since"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "since"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "3,2,1,0"}, "bbox"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5001"}, "limit"),
        ({"cursor": "abc"}, "cursor"),
    ],
)
def test_bad_filters_are_422_with_the_field(reports, query, field):
    response = reports.list(**query)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_unknown_api_route_and_method_answer_json(client):
    assert client.get("/api/v1/nope").get_json()["error"]["code"] == "not_found"
    response = client.delete("/api/v1/reports")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
