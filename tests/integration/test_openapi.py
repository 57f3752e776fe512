"""The OpenAPI document of /api/v1: valid, complete, served with local docs, and obeyed (schemathesis)."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from carte.web.contributors import COOKIE as CONTRIBUTOR_COOKIE
from tests.helpers import BASILIQUE_SAINT_DENIS, login_as

SCHEMATHESIS_EXAMPLES = 25  # per operation; derandomized, so every run sends the same requests


def test_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)  # raises on any violation of the OpenAPI 3 specification
    assert document["openapi"].startswith("3.")


def test_every_api_route_is_documented(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint.split(".")[0] != "openapi":
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented


def test_core_operations_have_schemas(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    post = paths["/api/v1/reports"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ReportInput"}
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Report"}
    assert post["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    listing = paths["/api/v1/reports"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "theme",
        "commune",
        "since",
        "until",
        "bbox",
        "limit",
        "cursor",
    }
    assert paths["/api/v1/reports/{public_id}"]["get"]["parameters"][0]["in"] == "path"


def operations(document: dict):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield path, method.upper(), op


BODY_METHODS = {"POST", "PUT", "PATCH"}


def test_every_operation_with_a_body_has_its_schema_and_every_answer_is_described(client):
    """Schemathesis fuzzes only the bodies the document describes: an operation without a schema escapes it."""
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    undescribed, bodiless, unanswered = [], [], []
    for path, method, op in operations(document):
        label = f"{method} {path}"
        if "autres" in op["tags"] or "default" in op["responses"]:
            undescribed.append(label)
        if method in BODY_METHODS:
            content = op.get("requestBody", {}).get("content", {})
            refs = [c["schema"].get("$ref", "") for c in content.values()]
            if not refs or not all(r.rsplit("/", 1)[-1] in schemas for r in refs):
                bodiless.append(label)
        successes = [s for s in op["responses"] if s.startswith("2")]
        if not successes or not all(op["responses"][s]["content"] for s in successes) or "400" not in op["responses"]:
            unanswered.append(label)
    assert not undescribed, f"operations without a description: {undescribed}"
    assert not bodiless, f"operations whose body has no schema: {bodiless}"
    assert not unanswered, f"operations without their success and 400 answers: {unanswered}"


def test_docs_page_is_served_from_local_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    unversioned = {re.sub(r"^/static/v/[0-9a-f]+/", "/static/", a) for a in assets}
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in unversioned
    assert "/static/js/api-docs.js" in unversioned
    assert all(a.startswith("/") for a in assets), assets  # no CDN
    assert all(client.get(a).status_code == 200 for a in assets if a.startswith("/static/"))
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "<script>" not in html and " on" not in re.sub(r"\s+", " ", "".join(re.findall(r"<[^>]+>", html))).replace(
        " one", ""
    )


@pytest.fixture
def seeded(app, client, reports):
    """Two reports, a comment and an open workshop, whose ids the fuzzed requests use (a random id only finds 404)."""
    from carte.extensions import db
    from carte.workshops.service import create_workshop

    first = reports.create()
    reports.create(
        theme="logement", title="Immeuble insalubre", lat=BASILIQUE_SAINT_DENIS[1], lon=BASILIQUE_SAINT_DENIS[0]
    )
    comment = client.post(f"/api/v1/reports/{first['id']}/comments", json={"body": "Je confirme."}).get_json()
    with app.app_context():
        workshop = create_workshop(
            db.session,
            {"title": "Atelier", "date": "2026-11-27", "place": "Salle", "question": "Quoi ?"},
            themes=(),
            territoires=(),
            created_by=None,
        )
        code = workshop.code
    app.config["SEEDED_IDS"] = {
        "/api/v1/reports/": first["id"],
        "/api/v1/comments/": comment["id"],
        "/api/v1/ateliers/": code,
    }
    app.config["CARTE_FLAGS_TO_HIDE"] = 10**6  # fuzzed flags must not hide the report the other operations use
    app.config["SEEDED_AUTHOR"] = client.get_cookie(CONTRIBUTOR_COOKIE).value
    login_as(client, app, "facilitator")
    app.config["SEEDED_SESSION"] = client.get_cookie("session").value
    app.config["SEEDED_USER_AGENT"] = client.environ_base["HTTP_USER_AGENT"]
    return app


def seeded_case(case, app):
    """Real ids in the path; the author's cookie on photos; the facilitator's session on their operations."""
    path, method = case.operation.path, case.operation.method.upper()
    for prefix, value in app.config["SEEDED_IDS"].items():
        if case.path_parameters and path.startswith(prefix):
            case.path_parameters = {name: value for name in case.path_parameters}
    cookies = dict(case.cookies or {})
    if path.endswith("/photos"):
        cookies[CONTRIBUTOR_COOKIE] = app.config["SEEDED_AUTHOR"]
    if "/animation/" in path or (method == "GET" and "/ateliers/" in path):
        cookies["session"] = app.config["SEEDED_SESSION"]
    case.cookies = cookies
    # Flask-Login's strong protection binds a session to the browser's address and user agent.
    # Schemathesis's WSGI transport does not decode compressed answers (tests/integration/test_serving.py covers them).
    case.headers = {
        **(case.headers or {}),
        "User-Agent": app.config["SEEDED_USER_AGENT"],
        "X-Forwarded-For": "127.0.0.1",
        "Accept-Encoding": "identity",
    }
    return case


def test_schemathesis_finds_no_server_error_and_no_mismatch(seeded):
    """Every operation, with generated valid requests: no 5xx, and every answer matches the document."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    documented = sum(1 for _ in operations(seeded.test_client().get("/api/v1/openapi.json").get_json()))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        ran += 1

        @given(case=operation.as_strategy().map(lambda case: seeded_case(case, seeded)))
        @settings(
            max_examples=SCHEMATHESIS_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case):
            case.call_and_validate(checks=checks)

        try:
            run()
        except Exception as err:  # noqa: BLE001 (collected, then reported all together)
            failures.append(f"{operation.label}: {str(err)[:600]}")
    assert ran == documented  # every operation, bodies included
    assert not failures, "\n\n".join(failures)
