"""Open311 GeoReport v2, every call in JSON and XML; what posts or lists requests runs on both backends.

XML is parsed with a real parser and checked against the spec's element names.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from carte.extensions import db
from carte.models import Report
from carte.models.interop import ApiKey, ReportContact, ReportMedia
from carte.open311.keys import issue_key
from tests.helpers import BASILIQUE_SAINT_DENIS, TOUR_EIFFEL, VERSAILLES

BASE = "/open311/v2"
FORMATS = ["json", "xml"]
# The spec's field names (GeoReport v2, "GET Service Requests").
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "extended_attributes",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description"]


def parse(response, fmt: str):
    """Decode a response into plain structures; XML elements become dicts/lists by the spec's names."""
    if fmt == "json":
        assert response.content_type.startswith("application/json")
        return json.loads(response.data)
    assert response.content_type.startswith("text/xml")
    assert response.data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.data)


def xml_items(root: ET.Element, root_name: str, item_name: str) -> list[dict]:
    assert root.tag == root_name
    items = []
    for child in root:
        assert child.tag == item_name
        items.append({field.tag: (field.text or "") for field in child})
    return items


@pytest.fixture
def api_key(app) -> str:
    with app.app_context():
        return issue_key(db.session, "client-test")


def post(client, fmt, key, **fields):
    data = {
        "api_key": key,
        "service_code": "mobilite",
        "lat": str(TOUR_EIFFEL[1]),
        "long": str(TOUR_EIFFEL[0]),
        "description": "Feu piéton en panne au carrefour depuis trois jours.",
        **fields,
    }
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(client, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    doc = parse(response, fmt)
    if fmt == "json":
        endpoint = doc["endpoints"][0]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://localhost/open311/v2/"
        assert set(endpoint["formats"]) == {"text/xml", "application/json"}
        assert {"changeset", "contact", "key_service"} <= doc.keys()
    else:
        assert doc.tag == "discovery"
        assert [e.tag for e in doc] == ["changeset", "contact", "key_service", "endpoints"]
        endpoint = doc.find("endpoints/endpoint")
        assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint.findtext("url") == "http://localhost/open311/v2/"
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_themes(client, fmt):
    doc = parse(client.get(f"{BASE}/services.{fmt}"), fmt)
    items = doc if fmt == "json" else xml_items(doc, "services", "service")
    assert len(items) == 10
    for item in items:
        assert list(item) == SERVICE_FIELDS
    mobilite = next(i for i in items if i["service_code"] == "mobilite")
    assert mobilite["service_name"] == "Mobilité"
    assert mobilite["type"] == "realtime"
    assert mobilite["metadata"] in (True, "true")


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_title_and_tags_attributes(client, fmt):
    response = client.get(f"{BASE}/services/logement.{fmt}")
    assert response.status_code == 200
    doc = parse(response, fmt)
    if fmt == "json":
        assert doc["service_code"] == "logement"
        attributes = doc["attributes"]
    else:
        assert doc.tag == "service_definition"
        assert doc.findtext("service_code") == "logement"
        attributes = [{f.tag: f.text for f in a} for a in doc.findall("attributes/attribute")]
    assert [a["code"] for a in attributes] == ["title", "tags"]
    for attribute in attributes:
        assert list(attribute) == ATTRIBUTE_FIELDS


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_definition_is_a_404_error_list(client, fmt):
    response = client.get(f"{BASE}/services/nope.{fmt}")
    assert response.status_code == 404
    doc = parse(response, fmt)
    errors = doc if fmt == "json" else xml_items(doc, "errors", "error")
    assert [str(e["code"]) for e in errors] == ["404"]
    assert "service_code" in errors[0]["description"]


@pytest.mark.backends
@pytest.mark.parametrize("fmt", FORMATS)
def test_post_then_read_request(client, app, api_key, fmt):
    response = post(
        client,
        fmt,
        api_key,
        email="camille@example.org",
        first_name="Camille",
        last_name="Martin",
        media_url="https://photos.example.org/feu.jpg",
        **{"attribute[tags]": "feu, piéton"},
    )
    assert response.status_code == 200, response.data
    doc = parse(response, fmt)
    created = doc[0] if fmt == "json" else xml_items(doc, "service_requests", "request")[0]
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    request_id = created["service_request_id"]

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == request_id))
        assert report.source == "api" and report.source_name == "client-test"
        assert report.title == "Feu piéton en panne au carrefour depuis trois jours."
        assert [t.tag for t in report.tags] == ["feu", "piéton"]
        contact = db.session.get(ReportContact, report.id)
        assert (contact.email, contact.first_name, contact.last_name) == ("camille@example.org", "Camille", "Martin")
        assert db.session.get(ReportMedia, report.id).url == "https://photos.example.org/feu.jpg"

    response = client.get(f"{BASE}/requests/{request_id}.{fmt}")
    assert response.status_code == 200
    assert b"camille@example.org" not in response.data and b"Martin" not in response.data
    doc = parse(response, fmt)
    item = doc[0] if fmt == "json" else xml_items(doc, "service_requests", "request")[0]
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == request_id
    assert item["status"] == "open"
    assert item["service_code"] == "mobilite" and item["service_name"] == "Mobilité"
    assert item["description"] == "Feu piéton en panne au carrefour depuis trois jours."
    assert item["address"] == "Paris 7e Arrondissement"
    assert item["zipcode"] == "75007"
    assert float(item["lat"]) == TOUR_EIFFEL[1] and float(item["long"]) == TOUR_EIFFEL[0]
    assert item["media_url"] == "https://photos.example.org/feu.jpg"
    requested = datetime.fromisoformat(item["requested_datetime"])
    assert requested.tzinfo is not None
    assert abs(datetime.now(UTC) - requested) < timedelta(minutes=5)


@pytest.mark.backends
@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_address_string_places_the_report_in_the_named_commune(client, app, api_key, fmt):
    response = post(client, fmt, api_key, lat=None, long=None, address_string="12 rue de la République, Saint-Denis")
    assert response.status_code == 200, response.data
    doc = parse(response, fmt)
    request_id = doc[0]["service_request_id"] if fmt == "json" else doc.findtext("request/service_request_id")
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == request_id))
        assert report.commune_code == "93066"
        assert report.approximate is True
        assert report.location_text == "12 rue de la République, Saint-Denis"


@pytest.mark.backends
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("fields", "status", "word"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "pas-une-cle"}, 403, "api_key"),
        ({"service_code": "inconnu"}, 404, "service_code"),
        ({"service_code": None}, 400, "service_code"),
        ({"lat": str(VERSAILLES[1]), "long": str(VERSAILLES[0])}, 400, "Métropole"),
        ({"lat": "abc"}, 400, "lat"),
        ({"lat": None, "long": None}, 400, "lat"),
        ({"lat": None, "long": None, "address_string": "Quelque part"}, 400, "address_string"),
        ({"email": "pas-un-email"}, 400, "email"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"jurisdiction_id": "new-york"}, 404, "jurisdiction_id"),
    ],
)
def test_post_errors(client, app, api_key, fmt, fields, status, word):
    fields = dict(fields)
    key = fields.pop("api_key", api_key)  # None: no api_key sent at all
    response = post(client, fmt, key, **fields)
    assert response.status_code == status
    doc = parse(response, fmt)
    errors = doc if fmt == "json" else xml_items(doc, "errors", "error")
    assert len(errors) == 1 and int(errors[0]["code"]) == status
    assert word in errors[0]["description"]
    with app.app_context():
        assert db.session.scalar(select(Report.id).limit(1)) is None


def test_revoked_key_is_refused(client, app, api_key):
    with app.app_context():
        db.session.scalar(select(ApiKey)).revoked = True
        db.session.commit()
    assert post(client, "json", api_key).status_code == 403


def test_keys_are_hashed_at_rest(app, api_key):
    with app.app_context():
        stored = db.session.scalar(select(ApiKey))
        assert api_key not in stored.key_hash
        assert len(stored.key_hash) == 64


@pytest.mark.backends
@pytest.mark.parametrize("fmt", FORMATS)
def test_list_requests_filters_and_statuses(client, app, api_key, fmt):
    ids = {}
    for code, lonlat in (
        ("mobilite", TOUR_EIFFEL),
        ("logement", BASILIQUE_SAINT_DENIS),
        ("mobilite", BASILIQUE_SAINT_DENIS),
    ):
        response = post(client, "json", api_key, service_code=code, lat=str(lonlat[1]), long=str(lonlat[0]))
        ids.setdefault(code, []).append(response.get_json()[0]["service_request_id"])
    hidden_id = ids["mobilite"][1]
    old_id = ids["logement"][0]
    with app.app_context():
        hidden = db.session.scalar(select(Report).where(Report.public_id == hidden_id))
        hidden.status = "hidden"
        if hasattr(hidden, "moderation_note"):
            hidden.moderation_note = "Doublon d'un signalement existant."
        old = db.session.scalar(select(Report).where(Report.public_id == old_id))
        old.created_at = datetime.now(UTC) - timedelta(days=120)
        db.session.commit()

    def listed(**params):
        response = client.get(f"{BASE}/requests.{fmt}", query_string=params)
        assert response.status_code == 200, response.data
        doc = parse(response, fmt)
        return {
            i["service_request_id"]: i
            for i in (doc if fmt == "json" else xml_items(doc, "service_requests", "request"))
        }

    default = listed()  # last 90 days: the 120-day-old one is outside
    assert set(default) == {ids["mobilite"][0], hidden_id}
    assert default[hidden_id]["status"] == "closed"
    assert default[hidden_id]["description"] in (None, "")  # moderated text is not republished
    if hasattr(Report, "moderation_note"):
        assert default[hidden_id]["status_notes"] == "Doublon d'un signalement existant."
    assert set(listed(status="open")) == {ids["mobilite"][0]}
    assert set(listed(status="closed")) == {hidden_id}
    assert set(listed(service_code="logement")) == set()
    start = (datetime.now(UTC) - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (datetime.now(UTC) - timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert set(listed(start_date=start, end_date=end)) == {old_id}
    assert set(listed(service_request_id=f"{old_id},{hidden_id},inconnu")) == {old_id, hidden_id}
    assert set(listed(jurisdiction_id="grand-paris")) == set(default)


@pytest.mark.backends
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "status", "word"),
    [
        ({"start_date": "hier"}, 400, "start_date"),
        ({"end_date": "2024-13-45T00:00:00Z"}, 400, "end_date"),
        ({"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"}, 400, "90 jours"),
        ({"start_date": "2024-06-01T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"}, 400, "start_date"),
        ({"status": "pending"}, 400, "status"),
        ({"service_code": "inconnu"}, 400, "service_code"),
        ({"jurisdiction_id": "new-york"}, 404, "jurisdiction_id"),
    ],
)
def test_list_requests_errors(client, fmt, params, status, word):
    response = client.get(f"{BASE}/requests.{fmt}", query_string=params)
    assert response.status_code == status
    doc = parse(response, fmt)
    errors = doc if fmt == "json" else xml_items(doc, "errors", "error")
    assert int(errors[0]["code"]) == status and word in errors[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_unknown_resource(client, fmt):
    for path in (f"{BASE}/requests/inconnu.{fmt}", f"{BASE}/nothing/here.{fmt}"):
        response = client.get(path)
        assert response.status_code == 404
        doc = parse(response, fmt)
        errors = doc if fmt == "json" else xml_items(doc, "errors", "error")
        assert int(errors[0]["code"]) == 404


def test_unsupported_format_is_a_400(client):
    response = client.get(f"{BASE}/services.csv")
    assert response.status_code == 400
    assert response.get_json()[0]["code"] == 400


@pytest.mark.backends
def test_pending_requests_are_visible_by_id_only_without_text(client, app, api_key):
    app.config["CARTE_MODERATION"] = "pre"
    request_id = post(client, "json", api_key).get_json()[0]["service_request_id"]
    assert client.get(f"{BASE}/requests.json").get_json() == []
    item = client.get(f"{BASE}/requests/{request_id}.json").get_json()[0]
    assert item["status"] == "open" and item["description"] is None


@pytest.mark.backends
def test_at_most_1000_requests(app, client):
    from tests.helpers import insert_points

    now = datetime.now(UTC)
    insert_points(
        app,
        [TOUR_EIFFEL[0]] * 1005,
        [TOUR_EIFFEL[1]] * 1005,
        "mobilite",
        created=[now - timedelta(minutes=i) for i in range(1005)],
    )
    items = client.get(f"{BASE}/requests.json").get_json()
    assert len(items) == 1000
    assert items[0]["requested_datetime"] >= items[-1]["requested_datetime"]


def test_api_key_commands(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["carte", "create-api-key", "mairie-montreuil"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 40
    assert post(client, "json", token).status_code == 200
    again = runner.invoke(args=["carte", "create-api-key", "mairie-montreuil"])
    assert again.exit_code != 0 and "existe déjà" in again.output
    assert runner.invoke(args=["carte", "revoke-api-key", "mairie-montreuil"]).exit_code == 0
    assert post(client, "json", token).status_code == 403
    assert runner.invoke(args=["carte", "revoke-api-key", "inconnue"]).exit_code != 0


def test_other_methods_are_a_405_error_list(client):
    response = client.delete(f"{BASE}/requests.xml")
    assert response.status_code == 405
    assert [e.tag for e in ET.fromstring(response.data)] == ["error"]
