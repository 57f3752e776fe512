"""GET /api/v1/reports/similar: the reports a resident may support instead of filing a duplicate.

Points are placed by hand along a meridian, where the great-circle distance is exactly
R * dlat (R the mean Earth radius, 6 371 008.8 m), so the 150 m boundary is tested on
distances computed here, not by the code under test.
"""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from carte.extensions import db
from carte.models import Report
from tests.helpers import TOUR_EIFFEL, VERSAILLES

pytestmark = pytest.mark.backends

EARTH_RADIUS_M = 6_371_008.8
LON, LAT = TOUR_EIFFEL


def north(metres: float) -> float:
    """The latitude `metres` north of the Eiffel tower, on its meridian."""
    return LAT + math.degrees(metres / EARTH_RADIUS_M)


def similar(client, **params):
    query = {"lat": LAT, "lon": LON, "theme": "mobilite", "title": "Nid de poule dangereux", **params}
    return client.get("/api/v1/reports/similar", query_string=query)


def set_status(app, public_id: str, status: str, **fields) -> None:
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).unique().one()
        report.status = status
        for name, value in fields.items():
            setattr(report, name, value)
        db.session.commit()


def test_the_radius_is_150_true_metres(client, reports):
    inside = reports.create(title="Nid de poule dangereux", lat=north(149.0), lon=LON)["id"]
    outside = reports.create(title="Nid de poule dangereux", lat=north(151.0), lon=LON)["id"]
    response = similar(client)
    assert response.status_code == 200
    found = response.get_json()["reports"]
    assert [r["id"] for r in found] == [inside]
    assert found[0]["distance_m"] == pytest.approx(149.0, abs=0.2)
    assert outside not in [r["id"] for r in found]


def test_each_suggestion_carries_what_the_form_shows(client, reports):
    created = reports.create(title="Nid de poule dangereux", lat=north(40.0), lon=LON)
    body = similar(client).get_json()
    assert body["radius_m"] == 150
    [item] = body["reports"]
    assert item["id"] == created["id"]
    assert item["title"] == "Nid de poule dangereux"
    assert item["support_count"] == 0
    assert item["created_at"] == created["created_at"]
    assert item["progress"] == "submitted"
    assert item["similarity"] == pytest.approx(1.0, abs=1e-3)  # the same words
    assert item["url"] == f"/signalements/{created['id']}"


def test_only_the_same_theme(client, reports):
    reports.create(title="Nid de poule dangereux", theme="espaces-publics-proprete", lat=north(10.0), lon=LON)
    assert similar(client).get_json()["reports"] == []


def test_the_text_must_be_alike_and_ranks_the_answers(client, reports):
    same = reports.create(title="Nid de poule dangereux", description="", lat=north(100.0), lon=LON)["id"]
    partly = reports.create(
        title="Nids de poule dangereux rue Cler", description="Devant la boulangerie.", lat=north(20.0), lon=LON
    )["id"]
    reports.create(title="Feu tricolore en panne", description="Le feu reste au rouge.", lat=north(5.0), lon=LON)
    found = [r["id"] for r in similar(client).get_json()["reports"]]
    # The identical title first although farther; the unrelated one, nearest of all, not at all.
    assert found == [same, partly]


def test_a_description_that_says_it_counts(client, reports):
    described = reports.create(
        title="Chaussée abîmée", description="Un gros nid de poule dangereux au milieu.", lat=north(30.0), lon=LON
    )["id"]
    assert [r["id"] for r in similar(client).get_json()["reports"]] == [described]


def test_at_most_five_nearest_first_among_equals(client, reports):
    ids = [reports.create(title="Nid de poule dangereux", lat=north(10.0 * (7 - i)), lon=LON)["id"] for i in range(7)]
    found = similar(client).get_json()["reports"]
    assert len(found) == 5
    # Same text, so the nearest: created last, 10 m, then 20 m...
    assert [r["id"] for r in found] == ids[::-1][:5]
    assert [r["distance_m"] for r in found] == sorted(r["distance_m"] for r in found)


@pytest.mark.parametrize("status", ["hidden", "pending", "rejected", "withdrawn"])
def test_unpublished_reports_are_never_suggested(app, client, reports, status):
    rid = reports.create(title="Nid de poule dangereux", lat=north(10.0), lon=LON)["id"]
    assert [r["id"] for r in similar(client).get_json()["reports"]] == [rid]  # the index has it
    set_status(app, rid, status)
    assert similar(client).get_json()["reports"] == []


def test_a_duplicate_is_not_suggested_its_original_is(app, client, reports):
    original = reports.create(title="Nid de poule dangereux", lat=north(10.0), lon=LON)["id"]
    copy = reports.create(title="Nid de poule dangereux", lat=north(5.0), lon=LON)["id"]
    set_status(app, copy, "published", progress="duplicate")
    assert [r["id"] for r in similar(client).get_json()["reports"]] == [original]


def test_progress_is_reported(app, client, reports):
    rid = reports.create(title="Nid de poule dangereux", lat=north(10.0), lon=LON)["id"]
    set_status(app, rid, "published", progress="in_progress")
    assert similar(client).get_json()["reports"][0]["progress"] == "in_progress"


def test_the_route_is_not_taken_for_a_report_id(client):
    response = client.get("/api/v1/reports/similar")
    assert response.status_code == 422  # not 404 « Signalement introuvable »
    assert response.get_json()["error"]["field"] == "lat"


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"lat": None}, "lat", "required"),
        ({"lat": "abc"}, "lat", "invalid_number"),
        ({"lat": "nan"}, "lat", "invalid_number"),
        ({"lon": "200"}, "lon", "out_of_range"),
        ({"lon": None}, "lon", "required"),
        ({"lat": VERSAILLES[1], "lon": VERSAILLES[0]}, "lat", "outside_area"),
        ({"theme": None}, "theme", "required"),
        ({"theme": "inconnu"}, "theme", "unknown_theme"),
        ({"title": None}, "title", "required"),
        ({"title": "Nid"}, "title", "too_short"),
        ({"title": "x" * 121}, "title", "too_long"),
        ({"title": "Nid\x01 de poule"}, "title", "invalid_characters"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, params, field, code):
    query = {"lat": LAT, "lon": LON, "theme": "mobilite", "title": "Nid de poule dangereux", **params}
    query = {k: v for k, v in query.items() if v is not None}
    response = client.get("/api/v1/reports/similar", query_string=query)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]


def test_nothing_alike_is_an_empty_list(client, reports):
    reports.create(title="Nid de poule dangereux", lat=north(10.0), lon=LON)
    body = similar(client, title="Banc public cassé").get_json()
    assert body["reports"] == []
