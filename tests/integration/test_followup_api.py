"""The civic loop in the public API: a report's progress, body and updates; the `progress=` filter
on pages, map points, clusters, aggregates and exports (on both backends)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from carte.extensions import db
from carte.followup.updates import post_update
from carte.models import Report, Theme
from tests.helpers import BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL, insert_points, login_as

pytestmark = pytest.mark.backends

WHOLE_MGP = "2.1,48.7,2.7,49.0"


def _update(app, public_id, progress, text="", body="93066", **extra):
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        post_update(db.session, report, progress=progress, text=text, body_code=body, author_kind="agent", **extra)


def _saint_denis(reports, **overrides):
    return reports.create(lat=BASILIQUE_SAINT_DENIS[1], lon=BASILIQUE_SAINT_DENIS[0], **overrides)["id"]


def test_the_detail_carries_progress_body_and_updates_without_the_agents_name(app, client, reports):
    public_id = _saint_denis(reports)
    fresh = client.get(f"/api/v1/reports/{public_id}").get_json()
    assert (fresh["progress"], fresh["progress_label"], fresh["updates"], fresh["duplicate_of"]) == (
        "submitted",
        "Nouveau",
        [],
        None,
    )
    assert fresh["body"] == {"code": "93066", "name": "Saint-Denis"}

    agent = login_as(app.test_client(), app, "agent")
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        post_update(
            db.session,
            report,
            progress="acknowledged",
            text="Transmis à la voirie.",
            body_code="93066",
            author_kind="agent",
            user_id=agent.id,
        )
        post_update(
            db.session,
            report,
            progress="fixed",
            text="Réparé ce matin.",
            body_code="93066",
            author_kind="agent",
            user_id=agent.id,
        )
    response = client.get(f"/api/v1/reports/{public_id}")
    detail = response.get_json()
    assert detail["progress"] == "fixed" and detail["progress_label"] == "Résolu"
    assert [(u["progress"], u["text"], u["body"]) for u in detail["updates"]] == [
        ("acknowledged", "Transmis à la voirie.", "Saint-Denis"),
        ("fixed", "Réparé ce matin.", "Saint-Denis"),
    ]
    assert all(u["at"].endswith("Z") for u in detail["updates"])
    assert agent.email not in response.get_data(as_text=True)
    # The label follows the request's language.
    english = client.get(f"/api/v1/reports/{public_id}?lang=en").get_json()
    assert english["progress_label"] == "Fixed" and english["updates"][0]["progress_label"] == "Acknowledged"


def test_the_body_follows_theme_routing_and_reassignment(app, client, reports):
    public_id = _saint_denis(reports)
    with app.app_context():
        from carte.geo.atlas import get_atlas

        ept = get_atlas(app).bodies.territory_of["93066"]
        ept_name = get_atlas(app).bodies.get(ept).name
        db.session.scalars(select(Theme).where(Theme.slug == "mobilite")).one().routing = "territory"
        db.session.commit()
    assert client.get(f"/api/v1/reports/{public_id}").get_json()["body"] == {"code": ept, "name": ept_name}
    with app.app_context():
        db.session.scalars(select(Report).where(Report.public_id == public_id)).one().body_code = "200054781"
        db.session.commit()
    assert client.get(f"/api/v1/reports/{public_id}").get_json()["body"] == {
        "code": "200054781",
        "name": "Métropole du Grand Paris",
    }


def test_a_duplicate_names_its_original(app, client, reports):
    original, copy = _saint_denis(reports), _saint_denis(reports)
    _update(app, copy, "duplicate", "Déjà signalé.", duplicate_of=original)
    detail = client.get(f"/api/v1/reports/{copy}").get_json()
    assert (detail["progress"], detail["duplicate_of"]) == ("duplicate", original)


def test_list_items_carry_progress_and_the_filter_selects_it(app, client, reports):
    fixed, declined, new = _saint_denis(reports), _saint_denis(reports), _saint_denis(reports)
    # The map's index is read once before the updates: it must catch up with them.
    before = reports.list(zoom=14, bbox=WHOLE_MGP, progress="fixed")
    assert before.get_json()["total"] == 0
    _update(app, fixed, "fixed", "Réparé.")
    # The update wrote the report row: the data version, hence the map's ETag, moved.
    after = client.get(
        "/api/v1/reports",
        query_string={"zoom": 14, "bbox": WHOLE_MGP, "progress": "fixed"},
        headers={"If-None-Match": before.headers["ETag"]},
    )
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert [f["id"] for f in after.get_json()["features"]] == [fixed]
    _update(app, declined, "declined", "Hors de notre compétence.")
    page = reports.list().get_json()
    assert {f["id"]: f["properties"]["progress"] for f in page["features"]} == {
        fixed: "fixed",
        declined: "declined",
        new: "submitted",
    }
    for params, want in [
        ({"progress": "fixed"}, {fixed}),
        ({"progress": "fixed,declined"}, {fixed, declined}),
        ({"progress": ["fixed", "submitted"]}, {fixed, new}),
    ]:
        listed = client.get("/api/v1/reports", query_string=params).get_json()
        assert {f["id"] for f in listed["features"]} == want and listed["total"] == len(want)
        points = client.get("/api/v1/reports", query_string={**params, "zoom": 14, "bbox": WHOLE_MGP}).get_json()
        assert not points["clustered"] and {f["id"] for f in points["features"]} == want


@pytest.mark.parametrize("value", ["resolu", "fixed,nouveau", "FIXED"])
def test_an_unknown_progress_is_refused(client, value):
    response = client.get("/api/v1/reports", query_string={"progress": value})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unknown_progress"
    assert response.get_json()["error"]["field"] == "progress"


@pytest.mark.config(CARTE_MAP_POINT_THRESHOLD=5)
def test_clusters_count_only_the_chosen_progress(app, client):
    n = 40
    lons = [2.30 + 0.002 * i for i in range(n)]
    lats = [48.86] * n
    insert_points(app, lons, lats, "mobilite")
    with app.app_context():
        ids = db.session.scalars(select(Report).order_by(Report.id)).all()
        assert client.get("/api/v1/reports", query_string={"zoom": 11, "bbox": WHOLE_MGP}).get_json()["total"] == n
        for report in ids[:12]:
            post_update(db.session, report, progress="fixed", text="Fait.", body_code="75056", author_kind="agent")
    view = client.get("/api/v1/reports", query_string={"zoom": 11, "bbox": WHOLE_MGP, "progress": "fixed"}).get_json()
    assert view["clustered"] and view["total"] == 12
    assert sum(f["properties"]["count"] for f in view["features"]) == 12
    rest = client.get(
        "/api/v1/reports", query_string={"zoom": 11, "bbox": WHOLE_MGP, "progress": "submitted"}
    ).get_json()
    assert rest["total"] == n - 12 and sum(f["properties"]["count"] for f in rest["features"]) == n - 12


def test_aggregates_and_exports_filter_by_progress_and_export_it(app, client, reports):
    fixed = _saint_denis(reports, theme="logement")
    reports.create(theme="logement", lat=MAIRIE_MONTREUIL[1], lon=MAIRIE_MONTREUIL[0])
    _update(app, fixed, "fixed", "Relogement fait.")
    login_as(client, app, "facilitator")
    rows = list(csv.DictReader(io.StringIO(client.get("/animation/exports/signalements.csv").data.decode("utf-8-sig"))))
    assert {r["id"]: r["progress"] for r in rows}[fixed] == "fixed" and len(rows) == 2
    only = list(
        csv.DictReader(
            io.StringIO(client.get("/animation/exports/signalements.csv?progress=fixed").data.decode("utf-8-sig"))
        )
    )
    assert [r["id"] for r in only] == [fixed]
    geojson = json.loads(client.get("/animation/exports/signalements.geojson?progress=submitted").data)
    assert [f["properties"]["progress"] for f in geojson["features"]] == ["submitted"]
    stats = client.get(
        "/api/v1/aggregates/territories", query_string={"level": "metropole", "progress": "fixed", "exact": "1"}
    ).get_json()
    assert _total(stats) == 1
    refused = client.get("/animation/exports/signalements.csv?progress=resolu")
    assert refused.status_code == 422


def _total(stats: dict) -> int:
    """The number of reports in a metropole-level answer (its rows' counts)."""
    return sum(row.get("count") or 0 for row in stats["rows"])
