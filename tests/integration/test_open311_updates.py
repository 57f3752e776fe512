"""Open311 both ways: statuses that follow the progress, and the updates extension FixMyStreet uses
(GET and POST /open311/v2/servicerequestupdates), in JSON and XML, on every backend.

Expected values are written out here from the GeoReport v2 spec and FixMyStreet's extended statuses,
never read back from the code under test.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from carte.extensions import db
from carte.geo.atlas import get_atlas
from carte.models import Report, Theme
from carte.models.followup import ReportUpdate
from carte.models.interop import ApiKey
from carte.open311.keys import issue_key
from tests.helpers import BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL

pytestmark = pytest.mark.backends

BASE = "/open311/v2"
FORMATS = ["json", "xml"]
SAINT_DENIS = "93066"
PLAINE_COMMUNE = "200057867"  # Saint-Denis's EPT (SIREN)
PARIS = "75056"
UPDATE_FIELDS = ["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"]


def parse(response, fmt: str):
    if fmt == "json":
        assert response.content_type.startswith("application/json")
        return json.loads(response.data)
    assert response.content_type.startswith("text/xml")
    return ET.fromstring(response.data)


def items(response, fmt: str, root: str, item: str) -> list[dict]:
    """A list document as dicts of text (XML) or the JSON list itself."""
    doc = parse(response, fmt)
    if fmt == "json":
        return doc
    assert doc.tag == root
    found = []
    for child in doc:
        assert child.tag == item
        found.append({f.tag: (f.text or "") if len(f) == 0 else {g.tag: g.text or "" for g in f} for f in child})
    return found


def error_of(response, fmt: str) -> dict:
    errors = items(response, fmt, "errors", "error")
    assert len(errors) == 1
    return {"code": int(errors[0]["code"]), "description": errors[0]["description"]}


def key_for(app, name: str, body: str | None) -> str:
    with app.app_context():
        return issue_key(db.session, name, body, get_atlas(app).bodies)


def saint_denis_report(reports, **overrides) -> str:
    lon, lat = BASILIQUE_SAINT_DENIS
    return reports.create(lat=lat, lon=lon, **overrides)["id"]


def push(client, fmt, key, request_id, **fields):
    data = {
        "api_key": key,
        "service_request_id": request_id,
        "status": "IN_PROGRESS",
        "description": "Équipe de voirie prévenue, intervention cette semaine.",
        **fields,
    }
    return client.post(f"{BASE}/servicerequestupdates.{fmt}", data={k: v for k, v in data.items() if v is not None})


def show(client, fmt, request_id) -> dict:
    response = client.get(f"{BASE}/requests/{request_id}.{fmt}")
    assert response.status_code == 200, response.data
    return items(response, fmt, "service_requests", "request")[0]


def listed_updates(client, fmt, **params) -> list[dict]:
    response = client.get(f"{BASE}/servicerequestupdates.{fmt}", query_string=params)
    assert response.status_code == 200, response.data
    return items(response, fmt, "service_request_updates", "request_update")


def set_progress(app, request_id: str, progress: str) -> None:
    with app.app_context():
        db.session.scalar(select(Report).where(Report.public_id == request_id)).progress = progress
        db.session.commit()


# --- statuses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("progress", "status", "extended"),
    [
        ("submitted", "open", "open"),
        ("acknowledged", "open", "investigating"),
        ("in_progress", "open", "in_progress"),
        ("fixed", "closed", "fixed"),
        ("declined", "closed", "no_further_action"),
        ("duplicate", "closed", "duplicate"),
    ],
)
def test_status_follows_progress(client, app, reports, fmt, progress, status, extended):
    request_id = saint_denis_report(reports)
    set_progress(app, request_id, progress)
    item = show(client, fmt, request_id)
    assert item["status"] == status
    assert item["extended_attributes"] == {"progress": progress, "status": extended}
    assert item["agency_responsible"] == "Saint-Denis"
    other = "closed" if status == "open" else "open"
    response = client.get(f"{BASE}/requests.{fmt}", query_string={"status": status})
    assert request_id in [i["service_request_id"] for i in items(response, fmt, "service_requests", "request")]
    response = client.get(f"{BASE}/requests.{fmt}", query_string={"status": other})
    assert request_id not in [i["service_request_id"] for i in items(response, fmt, "service_requests", "request")]
    response = client.get(f"{BASE}/requests.{fmt}", query_string={"status": "open,closed"})
    assert request_id in [i["service_request_id"] for i in items(response, fmt, "service_requests", "request")]


def test_hidden_report_stays_closed_whatever_its_progress(client, app, reports):
    request_id = saint_denis_report(reports)
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == request_id))
        report.status, report.progress = "hidden", "in_progress"
        db.session.commit()
    assert show(client, "json", request_id)["status"] == "closed"
    listed = client.get(f"{BASE}/requests.json", query_string={"status": "open"}).get_json()
    assert request_id not in [i["service_request_id"] for i in listed]


# --- POST by the responsible body -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_update_by_the_responsible_body(client, app, reports, fmt):
    key = key_for(app, "mairie-saint-denis", SAINT_DENIS)
    request_id = saint_denis_report(reports)
    response = push(
        client,
        fmt,
        key,
        request_id,
        status="FIXED",
        description="Nid-de-poule rebouché le 1er décembre.",
        media_url="https://photos.example.org/apres.jpg",
    )
    assert response.status_code == 200, response.data
    created = items(response, fmt, "service_request_updates", "request_update")
    assert len(created) == 1 and list(created[0]) == ["update_id"]
    update_id = created[0]["update_id"]

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == request_id))
        assert report.progress == "fixed"
        update = db.session.get(ReportUpdate, int(update_id))
        key_row = db.session.scalar(select(ApiKey).where(ApiKey.name == "mairie-saint-denis"))
        assert (update.report_id, update.progress, update.author_kind) == (report.id, "fixed", "api")
        assert (update.api_key_id, update.body_code, update.user_id) == (key_row.id, SAINT_DENIS, None)
        assert update.text == "Nid-de-poule rebouché le 1er décembre."

    item = show(client, fmt, request_id)
    assert item["status"] == "closed"
    assert item["status_notes"] == "Nid-de-poule rebouché le 1er décembre."
    assert item["extended_attributes"] == {"progress": "fixed", "status": "fixed"}

    listed = listed_updates(client, fmt)
    assert [u["update_id"] for u in listed] == [update_id]
    assert list(listed[0]) == UPDATE_FIELDS
    assert listed[0]["service_request_id"] == request_id
    assert listed[0]["status"] == "fixed"
    assert listed[0]["description"] == "Nid-de-poule rebouché le 1er décembre."
    assert listed[0]["media_url"] == "https://photos.example.org/apres.jpg"
    at = datetime.fromisoformat(listed[0]["updated_datetime"])
    assert at.tzinfo is not None and abs(datetime.now(UTC) - at) < timedelta(minutes=5)


@pytest.mark.parametrize(
    ("status", "before", "after"),
    [
        ("open", "submitted", "acknowledged"),
        ("OPEN", "in_progress", "in_progress"),
        ("open", "fixed", "in_progress"),
        ("investigating", "submitted", "acknowledged"),
        ("action scheduled", "submitted", "in_progress"),
        ("closed", "in_progress", "fixed"),
        ("NOT_COUNCILS_RESPONSIBILITY", "submitted", "declined"),
        ("no_further_action", "acknowledged", "declined"),
        ("reopen", "fixed", "in_progress"),
        ("acknowledged", "submitted", "acknowledged"),
        ("declined", "submitted", "declined"),
    ],
)
def test_incoming_statuses(client, app, reports, status, before, after):
    """FixMyStreet's statuses (any case, `_` or space) and Carte's own progress names."""
    key = key_for(app, "mairie", SAINT_DENIS)
    request_id = saint_denis_report(reports)
    set_progress(app, request_id, before)
    response = push(client, "json", key, request_id, status=status)
    assert response.status_code == 200, response.data
    with app.app_context():
        assert db.session.scalar(select(Report.progress).where(Report.public_id == request_id)) == after


def test_duplicate_names_the_original(client, app, reports):
    key = key_for(app, "mairie", SAINT_DENIS)
    original = saint_denis_report(reports)
    copy = saint_denis_report(reports, title="Piste cyclable coupée net")
    response = push(client, "json", key, copy, status="duplicate")
    assert response.status_code == 400 and "duplicate_of" in response.get_json()[0]["description"]
    response = push(client, "json", key, copy, status="duplicate", duplicate_of=original)
    assert response.status_code == 200, response.data
    with app.app_context():
        rows = dict(db.session.execute(select(Report.public_id, Report.duplicate_of_id)).all())
        ids = dict(db.session.execute(select(Report.public_id, Report.id)).all())
        assert rows[copy] == ids[original]


def test_updated_datetime_dates_the_update(client, app, reports):
    key = key_for(app, "mairie", SAINT_DENIS)
    request_id = saint_denis_report(reports)
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == request_id))
        report.created_at = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
        db.session.commit()
    assert push(client, "json", key, request_id, updated_datetime="2026-11-20T09:30:00+01:00").status_code == 200
    listed = listed_updates(client, "json", start_date="2026-11-20T00:00:00Z", end_date="2026-11-21T00:00:00Z")
    assert [u["updated_datetime"] for u in listed] == ["2026-11-20T08:30:00+00:00"]
    # a date in the future is the time of receipt; one before the report is the report's own
    assert (
        push(client, "json", key, request_id, status="fixed", updated_datetime="2030-01-01T00:00:00Z").status_code
        == 200
    )
    assert (
        push(client, "json", key, request_id, status="in_progress", updated_datetime="2025-01-01T00:00:00Z").status_code
        == 200
    )
    with app.app_context():
        dates = [
            u.created_at.astimezone(UTC) for u in db.session.scalars(select(ReportUpdate).order_by(ReportUpdate.id))
        ]
    assert abs(dates[1] - datetime.now(UTC)) < timedelta(minutes=5)
    assert dates[2] == datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_update_errors(client, app, reports, fmt):
    request_id = saint_denis_report(reports)
    right = key_for(app, "mairie-saint-denis", SAINT_DENIS)
    paris = key_for(app, "ville-de-paris", PARIS)
    no_body = key_for(app, "appli-citoyenne", None)
    revoked = key_for(app, "ancienne-cle", SAINT_DENIS)
    with app.app_context():
        db.session.scalar(select(ApiKey).where(ApiKey.name == "ancienne-cle")).revoked = True
        db.session.commit()
    cases = [
        (dict(key=paris), 403, "autre organisme"),
        (dict(key=no_body), 403, "aucun organisme"),
        (dict(key=revoked), 403, "api_key"),
        (dict(key=None), 403, "api_key"),
        (dict(key="pas-une-cle"), 403, "api_key"),
        (dict(key=right, request_id="inconnu"), 404, "service_request_id"),
        (dict(key=right, request_id=None), 400, "service_request_id"),
        (dict(key=right, status="repaired"), 400, "status"),
        (dict(key=right, status=""), 400, "status"),
        (dict(key=right, updated_datetime="hier"), 400, "updated_datetime"),
        (dict(key=right, media_url="javascript:alert(1)"), 400, "media_url"),
        (dict(key=right, description="a\x00b"), 400, "caractère nul"),
        (dict(key=right, description="a\x07b"), 400, "description"),
        (dict(key=right, status="in_progress", description=""), 400, "texte"),  # no change, no text
    ]
    set_progress(app, request_id, "in_progress")
    for case, status, word in cases:
        fields = {k: v for k, v in case.items() if k not in ("key", "request_id")}
        response = push(client, fmt, case["key"], case.get("request_id", request_id), **fields)
        assert response.status_code == status, (case, response.data)
        error = error_of(response, fmt)
        assert error["code"] == status and word in error["description"], (case, error)
    with app.app_context():
        assert db.session.scalar(select(ReportUpdate.id).limit(1)) is None
        assert db.session.scalar(select(Report.progress).where(Report.public_id == request_id)) == "in_progress"


def test_withdrawn_report_is_a_409(client, app, reports):
    key = key_for(app, "mairie", SAINT_DENIS)
    request_id = saint_denis_report(reports)
    with app.app_context():
        db.session.scalar(select(Report).where(Report.public_id == request_id)).status = "withdrawn"
        db.session.commit()
    response = push(client, "xml", key, request_id)
    assert response.status_code == 409 and error_of(response, "xml")["code"] == 409


def test_theme_routed_to_the_territory_moves_the_right_key(client, app, reports):
    """Routing is computed: the EPT's key answers at once, the commune's no longer does; a report
    reassigned by hand follows its reassignment."""
    commune_key = key_for(app, "mairie-saint-denis", SAINT_DENIS)
    territory_key = key_for(app, "plaine-commune", PLAINE_COMMUNE)
    request_id = saint_denis_report(reports)
    assert push(client, "json", territory_key, request_id).status_code == 403
    with app.app_context():
        db.session.scalar(select(Theme).where(Theme.slug == "mobilite")).routing = "territory"
        db.session.commit()
    assert push(client, "json", commune_key, request_id, status="acknowledged").status_code == 403
    assert push(client, "json", territory_key, request_id).status_code == 200
    assert show(client, "json", request_id)["agency_responsible"] == "Plaine Commune"
    with app.app_context():
        db.session.scalar(select(Report).where(Report.public_id == request_id)).body_code = SAINT_DENIS
        db.session.commit()
    assert push(client, "json", territory_key, request_id, status="fixed").status_code == 403
    assert push(client, "json", commune_key, request_id, status="fixed").status_code == 200


@pytest.mark.config(RATELIMIT_ENABLED=True, CARTE_OPEN311_RATE_LIMIT="2/minute")
def test_posts_are_rate_limited_per_key(client, app, reports):
    key = key_for(app, "mairie", SAINT_DENIS)
    other = key_for(app, "mairie-bis", SAINT_DENIS)
    request_id = saint_denis_report(reports)
    statuses = [push(client, "json", key, request_id, description=f"Étape {n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    assert push(client, "json", other, request_id, description="Autre clé").status_code == 200


# --- GET the updates ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_listing_windows_and_public_reports_only(client, app, reports, fmt):
    key = key_for(app, "mairie", SAINT_DENIS)
    recent = saint_denis_report(reports)
    old = saint_denis_report(reports, title="Trottoir encombré")
    hidden = saint_denis_report(reports, title="Bancs cassés")
    for request_id in (recent, old, hidden):
        assert push(client, "json", key, request_id).status_code == 200
    with app.app_context():
        report_ids = dict(db.session.execute(select(Report.public_id, Report.id)).all())
        db.session.scalar(select(ReportUpdate).where(ReportUpdate.report_id == report_ids[old])).created_at = (
            datetime.now(UTC) - timedelta(days=100)
        )
        db.session.scalar(select(Report).where(Report.public_id == hidden)).status = "hidden"
        db.session.commit()

    assert [u["service_request_id"] for u in listed_updates(client, fmt)] == [recent]  # last 90 days
    start = (datetime.now(UTC) - timedelta(days=110)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (datetime.now(UTC) - timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert [u["service_request_id"] for u in listed_updates(client, fmt, start_date=start, end_date=end)] == [old]
    assert [u["service_request_id"] for u in listed_updates(client, fmt, start_date=start)] == [old]
    assert [u["service_request_id"] for u in listed_updates(client, fmt, end_date=end)] == [old]
    assert listed_updates(client, fmt, start_date="2026-01-01", end_date="2026-01-02") == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "status", "word"),
    [
        ({"start_date": "hier"}, 400, "start_date"),
        ({"end_date": "2026-13-45T00:00:00Z"}, 400, "end_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400, "90 jours"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, 400, "start_date"),
        ({"start_date": "99999-01-01"}, 400, "start_date"),
        ({"jurisdiction_id": "new-york"}, 404, "jurisdiction_id"),
    ],
)
def test_listing_errors(client, fmt, params, status, word):
    response = client.get(f"{BASE}/servicerequestupdates.{fmt}", query_string=params)
    assert response.status_code == status
    error = error_of(response, fmt)
    assert error["code"] == status and word in error["description"]


def test_listing_is_bounded_and_oldest_first(client, app, reports):
    request_id = saint_denis_report(reports)
    now = datetime.now(UTC)
    with app.app_context():
        report_id = db.session.scalar(select(Report.id).where(Report.public_id == request_id))
        db.session.add_all(
            [
                ReportUpdate(
                    report_id=report_id,
                    progress="in_progress",
                    text=f"Étape {n}",
                    body_code=SAINT_DENIS,
                    author_kind="api",
                    created_at=now - timedelta(minutes=2000 - n),
                )
                for n in range(1005)
            ]
        )
        db.session.commit()
    listed = listed_updates(client, "json")
    assert len(listed) == 1000
    assert [u["description"] for u in listed[:2]] == ["Étape 0", "Étape 1"]
    assert listed[-1]["description"] == "Étape 999"
    # the next page starts at the last date read
    following = listed_updates(client, "json", start_date=listed[-1]["updated_datetime"])
    assert [u["description"] for u in following][-1] == "Étape 1004"


def test_unknown_format_and_method(client):
    assert client.get(f"{BASE}/servicerequestupdates.csv").status_code == 400
    response = client.delete(f"{BASE}/servicerequestupdates.xml")
    assert response.status_code == 405
    assert [e.tag for e in ET.fromstring(response.data)] == ["error"]


# --- the command line -------------------------------------------------------------------------


def test_create_api_key_with_a_body(app, client, reports):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["carte", "create-api-key", "mairie-saint-denis", "--body", SAINT_DENIS])
    assert result.exit_code == 0, result.output
    assert "Saint-Denis" in result.output
    token = result.output.strip().splitlines()[-1]
    request_id = saint_denis_report(reports)
    assert push(client, "json", token, request_id).status_code == 200

    result = runner.invoke(args=["carte", "create-api-key", "metropole", "--body", "200054781"])
    assert result.exit_code == 0 and "Métropole du Grand Paris" in result.output

    unknown = runner.invoke(args=["carte", "create-api-key", "inconnue", "--body", "99999"])
    assert unknown.exit_code != 0 and "Organisme inconnu" in unknown.output
    with app.app_context():
        assert db.session.scalar(select(ApiKey).where(ApiKey.name == "inconnue")) is None
        assert db.session.scalar(select(ApiKey.body_code).where(ApiKey.name == "mairie-saint-denis")) == SAINT_DENIS

    plain = runner.invoke(args=["carte", "create-api-key", "appli"])
    assert plain.exit_code == 0
    plain_token = plain.output.strip().splitlines()[-1]
    lon, lat = MAIRIE_MONTREUIL
    filed = client.post(
        f"{BASE}/requests.json",
        data={
            "api_key": plain_token,
            "service_code": "mobilite",
            "lat": str(lat),
            "long": str(lon),
            "description": "Feu piéton en panne depuis trois jours.",
        },
    )
    assert filed.status_code == 200  # a key without a body still files requests
    assert push(client, "json", plain_token, request_id).status_code == 403
