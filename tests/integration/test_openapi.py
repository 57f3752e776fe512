"""The OpenAPI document of /api/v1: valid, complete, served with local docs, and obeyed (schemathesis)."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from tests.helpers import BASILIQUE_SAINT_DENIS

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
    assert {p["name"] for p in listing["parameters"]} >= {"theme", "commune", "since", "until", "bbox", "limit", "cursor"}
    assert paths["/api/v1/reports/{public_id}"]["get"]["parameters"][0]["in"] == "path"


def test_docs_page_is_served_from_local_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/js/api-docs.js" in assets
    assert all(a.startswith("/") for a in assets), assets  # no CDN
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "<script>" not in html and " on" not in re.sub(r"\s+", " ", "".join(re.findall(r"<[^>]+>", html))).replace(" one", "")


@pytest.fixture
def seeded(app, reports):
    reports.create()
    reports.create(theme="logement", title="Immeuble insalubre", lat=BASILIQUE_SAINT_DENIS[1], lon=BASILIQUE_SAINT_DENIS[0])
    return app


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

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=SCHEMATHESIS_EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case):
            case.call_and_validate(checks=checks)

        try:
            run()
        except Exception as err:  # noqa: BLE001 (collected, then reported all together)
            failures.append(f"{operation.label}: {str(err)[:600]}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
