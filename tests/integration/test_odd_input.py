"""Odd input that used to answer 500 (issue 9): each gets a clear 4xx in its API's format and stores nothing.

The cases where the backends differ run on both (marked `backends`): PostgreSQL refuses NUL in any
text and holds ids in 32 bits, dates overflow past year 9999, and a lone surrogate cannot be encoded.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select, update

from carte.extensions import db
from carte.models import Report, Theme
from carte.models.accounts import AuditLog, User
from carte.models.interop import ReportContact, ReportMedia
from carte.models.participation import Comment, Flag, Vote
from carte.models.workshops import Workshop
from carte.open311.keys import issue_key
from tests.helpers import TOUR_EIFFEL, csrf_token_from, login_as, report_payload

MODELS = (Report, Comment, Flag, Vote, Theme, Workshop, ReportContact, ReportMedia, AuditLog)


def counts(app) -> dict:
    """The rows of every table a request could write, in one query (the cases below call this twice each)."""
    with app.app_context():
        row = db.session.execute(select(*(select(func.count()).select_from(m).scalar_subquery() for m in MODELS))).one()
        return {m.__name__: n for m, n in zip(MODELS, row, strict=True)}


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json
    return response.get_json()["error"]


def open311_error(response, status: int, fmt: str = "json") -> str:
    """The description of an Open311 error, checked to be in the spec's format (never an HTML page)."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if fmt == "json":
        assert response.content_type.startswith("application/json")
        [error] = json.loads(response.data)
        assert error["code"] == status
        return error["description"]
    assert response.content_type.startswith("text/xml")
    root = ET.fromstring(response.data)
    assert root.tag == "errors" and root.find("error/code").text == str(status)
    return root.find("error/description").text


@pytest.fixture
def report_id(reports) -> str:
    return reports.create()["id"]


@pytest.fixture
def comment_id(client, report_id) -> str:
    response = client.post(f"/api/v1/reports/{report_id}/comments", json={"body": "Un commentaire"})
    assert response.status_code == 201
    return response.get_json()["id"]


@pytest.fixture
def workshop_code(app, client) -> str:
    login_as(client, app, "facilitator", email="animatrice-odd@example.org")
    page = client.get("/animation/ateliers")
    response = client.post(
        "/animation/ateliers",
        data={
            "title": "Atelier",
            "date": "2026-11-27",
            "place": "Salle des fêtes",
            "question": "Qu'est-ce qui manque ?",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 303
    client.post("/deconnexion", data={"csrf_token": csrf_token_from(client.get("/animation").get_data(as_text=True))})
    return response.headers["Location"].rsplit("/", 1)[1]


@pytest.fixture
def api_key(app) -> str:
    with app.app_context():
        return issue_key(db.session, "client-odd")


JSON_TEXTS = [  # (what, body builder, field)
    ("report", lambda bad: report_payload(title=f"Titre {bad}"), "title"),
    ("report", lambda bad: report_payload(description=f"Texte {bad}"), "description"),
    ("report", lambda bad: report_payload(tags=["vélo", f"t{bad}"]), "tags"),
    ("report", lambda bad: report_payload(author_name=f"Cam{bad}"), "author_name"),
    ("report", lambda bad: report_payload(location_text=f"Rue {bad}"), "location_text"),
    ("comment", lambda bad: {"body": f"Oui {bad}"}, "body"),
    ("comment", lambda bad: {"body": "Oui", "author_name": f"A{bad}"}, "author_name"),
    ("flag", lambda bad: {"reason": "spam", "details": f"pub {bad}"}, "details"),
    ("comment_flag", lambda bad: {"reason": "abuse", "details": f"insulte {bad}"}, "details"),
    ("workshop", lambda bad: report_payload(theme="emploi-insertion", title=f"Offres {bad}"), "title"),
]


def json_target(what: str, request) -> str:
    """The URL a JSON text goes to, creating only the report, comment or workshop that URL needs."""
    if what == "report":
        return "/api/v1/reports"
    if what == "workshop":
        return f"/api/v1/ateliers/{request.getfixturevalue('workshop_code')}/signalements"
    if what == "comment_flag":
        return f"/api/v1/comments/{request.getfixturevalue('comment_id')}/flags"
    collection = {"comment": "comments", "flag": "flags"}[what]
    return f"/api/v1/reports/{request.getfixturevalue('report_id')}/{collection}"


def assert_json_text_refused(app, client, url: str, payload: dict, field: str) -> None:
    before = counts(app)
    response = client.post(url, json=payload)
    assert error_of(response, 422)["code"] == "invalid_characters"
    assert response.get_json()["error"]["field"] == field
    assert counts(app) == before


@pytest.mark.backends  # PostgreSQL refuses NUL in any text: the 422 must come before any SQL
@pytest.mark.parametrize("what, body, field", JSON_TEXTS, ids=[f"{w}-{f}" for w, _b, f in JSON_TEXTS])
def test_nul_in_json_texts_is_a_422_naming_the_field(app, client, request, what, body, field):
    assert_json_text_refused(app, client, json_target(what, request), body("\x00"), field)


# PostgreSQL stores the other control characters as SQLite does: their refusal is the cleaner's alone.
@pytest.mark.parametrize("bad", ["\x01", "\x1b[2J", "\x7f", "\x9b"])
@pytest.mark.parametrize("what, body, field", JSON_TEXTS, ids=[f"{w}-{f}" for w, _b, f in JSON_TEXTS])
def test_control_characters_in_json_texts_are_a_422_naming_the_field(app, client, request, what, body, field, bad):
    assert_json_text_refused(app, client, json_target(what, request), body(bad), field)


@pytest.mark.backends  # a lone surrogate cannot be encoded for either database driver
@pytest.mark.parametrize("raw", ['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"'])
@pytest.mark.parametrize("what, body, field", JSON_TEXTS[::2], ids=[f"{w}-{f}" for w, _b, f in JSON_TEXTS[::2]])
def test_lone_surrogates_in_json_are_invalid_json(app, client, request, what, body, field, raw):
    url = json_target(what, request)
    before = counts(app)
    payload = json.dumps(body("MARK")).replace("MARK", raw[1:-1])
    response = client.post(url, data=payload, content_type="application/json")
    assert error_of(response, 400)["code"] == "invalid_json"
    assert counts(app) == before


@pytest.mark.parametrize(
    "body",
    ["[" * 20_000 + "]" * 20_000, '{"a":' * 10_000 + "1" + "}" * 10_000, '{"title":' + "[" * 100 + "]" * 100 + "}"],
)
@pytest.mark.parametrize("target", ["report", "comment", "workshop"])
def test_deeply_nested_json_is_invalid_json(app, client, request, target, body):
    url = json_target(target, request)
    before = counts(app)
    response = client.post(url, data=body, content_type="application/json")
    assert error_of(response, 400)["code"] == "invalid_json"
    assert counts(app) == before


@pytest.mark.backends  # filters reach SQL, and PostgreSQL refuses NUL
@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/reports?tag=a%00b", "tag"),
        ("/api/v1/reports?workshop=%00", "workshop"),
        ("/api/v1/reports?theme=mobilite%00", "theme"),
        ("/api/v1/reports?x%00y=1", "xy"),
        ("/api/v1/aggregates/territories?commune=%00", "commune"),
        ("/api/v1/reports/%00x", "path"),
        ("/api/v1/reports/%00x/participation", "path"),
        ("/a/%00", "path"),
    ],
)
def test_nul_in_the_path_or_query_is_a_400_naming_it(client, path, field):
    error = error_of(client.get(path, headers={"Accept": "application/json"}), 400)
    assert (error["code"], error["field"]) == ("invalid_characters", field)


@pytest.mark.backends
@pytest.mark.parametrize(
    "path",
    [
        "/open311/v2/requests/%00.json",
        "/open311/v2/requests.json?service_request_id=a%00",
        "/open311/v2/requests.json?service_code=%00",
        "/open311/v2/services/%00.json",
    ],
)
def test_nul_in_open311_paths_and_ids_is_an_open311_400(client, path):
    assert "nul" in open311_error(client.get(path), 400)
    assert open311_error(client.get(path.replace(".json", ".xml")), 400, "xml")


@pytest.mark.backends
def test_percent_encoded_surrogates_in_a_query_arrive_as_replacement_characters(client, reports):
    reports.create(tags=["vélo"])
    response = client.get("/api/v1/reports?tag=%ED%A0%80")
    assert response.status_code == 200 and response.get_json()["features"] == []


def staff_form(client, app, role: str, page: str) -> str:
    login_as(client, app, role, email=f"{role}-form@example.org")
    return csrf_token_from(client.get(page).get_data(as_text=True))


@pytest.mark.backends
@pytest.mark.parametrize("bad, status", [("\x00", 400), ("\x01", 422), ("\x0b", 422), ("\x85", 422)])
def test_control_characters_in_theme_and_moderation_forms_store_nothing(app, client, report_id, bad, status):
    token = staff_form(client, app, "admin", "/animation/themes")
    before = counts(app)
    accept = {"Accept": "application/json"}
    theme = client.post(
        "/animation/themes", data={"label": f"Vélo{bad}s", "color": "#123456", "csrf_token": token}, headers=accept
    )
    assert (error_of(theme, status)["code"], theme.get_json()["error"]["field"]) == ("invalid_characters", "label")
    hide = client.post(
        f"/animation/moderation/report/{report_id}",
        headers=accept,
        data={"action": "hide", "reason": f"Propos {bad} injurieux", "csrf_token": token},
    )
    assert (error_of(hide, status)["code"], hide.get_json()["error"]["field"]) == ("invalid_characters", "reason")
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(Report.status).where(Report.public_id == report_id)) == "published"


@pytest.mark.backends
@pytest.mark.parametrize("field", ["title", "place", "question"])
@pytest.mark.parametrize("bad, status", [("\x00", 400), ("\x02", 422)])
def test_control_characters_in_the_workshop_form_store_nothing(app, client, field, bad, status):
    token = staff_form(client, app, "facilitator", "/animation/ateliers")
    form = {
        "title": "Atelier",
        "date": "2026-11-27",
        "place": "Salle",
        "question": "Qu'est-ce qui manque ?",
        "csrf_token": token,
    }
    form[field] += bad
    before = counts(app)
    assert client.post("/animation/ateliers", data=form).status_code == status
    assert counts(app) == before


@pytest.mark.backends
@pytest.mark.parametrize("field", ["email", "password"])
@pytest.mark.parametrize("bad, status", [("\x00", 400), ("\x01", 422), ("\x1f", 422)])
def test_control_characters_in_the_login_form_are_refused(app, client, field, bad, status):
    form = {"email": "personne@example.org", "password": "mot de passe", field: f"abc{bad}def"}
    page = client.get("/connexion")
    response = client.post("/connexion", data={**form, "csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert response.status_code == status
    if status == 422:
        assert "caractères de contrôle" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


OPEN311_FIELDS = [
    "description",
    "attribute[title]",
    "attribute[tags]",
    "address_string",
    "email",
    "first_name",
    "last_name",
    "media_url",
]


@pytest.mark.parametrize("field", OPEN311_FIELDS)
@pytest.mark.parametrize("bad, status", [("\x0c", 400), ("\x1b", 400)])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_control_characters_in_open311_posts_are_an_open311_400(app, client, api_key, field, bad, status, fmt):
    assert_open311_post_refused(app, client, api_key, field, bad, status, fmt)


@pytest.mark.backends  # PostgreSQL refuses NUL in any text: the 400 must come before any SQL
@pytest.mark.parametrize("field", OPEN311_FIELDS)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_nul_in_open311_posts_is_an_open311_400(app, client, api_key, field, fmt):
    assert_open311_post_refused(app, client, api_key, field, "\x00", 400, fmt)


def assert_open311_post_refused(app, client, api_key, field, bad, status, fmt):
    data = {
        "api_key": api_key,
        "service_code": "mobilite",
        "lat": str(TOUR_EIFFEL[1]),
        "long": str(TOUR_EIFFEL[0]),
        "description": "Feu piéton en panne depuis trois jours.",
        "email": "a@example.org",
        "media_url": "https://example.org/photo.jpg",
    }
    data[field] = data.get(field, "Valeur") + bad + "x"
    before = counts(app)
    description = open311_error(client.post(f"/open311/v2/requests.{fmt}", data=data), status, fmt)
    assert field in description or "nul" in description
    assert counts(app) == before


DATE_FILTERS = [
    "/api/v1/reports",
    "/api/v1/aggregates/territories",
    "/api/v1/aggregates/shared-needs",
    "/api/v1/aggregates/hotspots",
    "/api/v1/aggregates/issue-groups",
    "/api/v1/aggregates/heatmap",
    "/donnees-ouvertes/agregats.csv",
]


@pytest.mark.backends  # refused before SQL, where each backend overflows its own way
@pytest.mark.parametrize("path", DATE_FILTERS)
@pytest.mark.parametrize(
    "name, value",
    [
        ("until", "9999-12-31"),
        ("since", "0001-01-01T00:00:00+14:00"),
        ("since", "0001-01-01"),
        ("until", "9999-12-31T23:59:59-12:00"),
        ("since", "3000-01-01"),
        ("until", "1899-12-31"),
    ],
)
def test_dates_outside_the_sane_range_are_out_of_range(client, path, name, value):
    error = error_of(client.get(path, query_string={name: value}, headers={"Accept": "application/json"}), 422)
    assert (error["code"], error["field"]) == ("out_of_range", name)


@pytest.mark.backends
@pytest.mark.parametrize("path", DATE_FILTERS[:2])
def test_dates_at_the_edges_of_the_range_are_accepted(client, path):
    assert client.get(path, query_string={"since": "1900-01-01", "until": "2999-12-31"}).status_code == 200
    assert client.get(path, query_string={"since": "1900-01-01T00:00:00+14:00"}).status_code == 200


@pytest.mark.backends
def test_facilitator_date_filters_are_bounded_too(app, client):
    login_as(client, app, "facilitator")
    for path in (
        "/api/v1/animation/chronologie",
        "/animation/exports/signalements.csv",
        "/animation/exports/signalements.geojson",
    ):
        response = client.get(path, query_string={"until": "9999-12-31"}, headers={"Accept": "application/json"})
        assert error_of(response, 422)["code"] == "out_of_range", path


@pytest.mark.backends
@pytest.mark.parametrize(
    "name, value",
    [
        ("start_date", "9999-12-30"),
        ("end_date", "0001-01-01"),
        ("start_date", "0001-01-01T00:00:00+14:00"),
        ("end_date", "9999-12-31"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_extreme_dates_are_an_open311_400(client, name, value, fmt):
    description = open311_error(client.get(f"/open311/v2/requests.{fmt}", query_string={name: value}), 400, fmt)
    assert name in description


@pytest.mark.backends  # PostgreSQL holds ids in 32 bits
@pytest.mark.parametrize(
    "query, field",
    [
        ({"cursor": "2147483648"}, "cursor"),
        ({"cursor": str(10**40)}, "cursor"),
        ({"cursor": "-1"}, "cursor"),
        ({"limit": str(10**40)}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "1e3"}, "cursor"),
    ],
)
def test_integers_beyond_32_bits_are_refused_before_sql(client, reports, query, field):
    reports.create()
    error = error_of(client.get("/api/v1/reports", query_string=query), 422)
    assert error["field"] == field and error["code"] in ("out_of_range", "invalid_number")


@pytest.mark.backends
def test_the_largest_32_bit_cursor_is_a_valid_page(client, reports):
    created = reports.create()
    page = client.get("/api/v1/reports", query_string={"cursor": "2147483647"}).get_json()
    assert created["id"] in {f["id"] for f in page["features"]}


@pytest.mark.backends
@pytest.mark.parametrize("value, status", [("2147483648", 422), (str(10**30), 422), ("2147483647", 200), ("-3", 422)])
def test_the_journal_page_cursor_is_bounded(app, client, value, status):
    login_as(client, app, "admin")
    assert client.get("/animation/journal", query_string={"avant": value}).status_code == status


@pytest.mark.backends
def test_stored_control_characters_cannot_break_the_open311_xml_feed(app, client, reports):
    """Rows stored before the cleaner existed: the feed strips what XML 1.0 forbids."""
    rid = reports.create()["id"]
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == rid)).unique().one()
        db.session.execute(
            update(Report)
            .where(Report.id == report.id)
            .values(moderation_note="Note\x01 avec\x0b contrôles\x1f", title="Titre\x08 ancien")
        )
        db.session.add(ReportMedia(report_id=report.id, url="https://example.org/a\x0cb.jpg"))
        db.session.commit()
    for path in ("/open311/v2/requests.xml", f"/open311/v2/requests/{rid}.xml"):
        root = ET.fromstring(client.get(path).data)  # raised "not well-formed" before
        [request] = root.findall("request")
        assert request.find("status_notes").text == "Note avec contrôles"
        assert request.find("media_url").text == "https://example.org/ab.jpg"
        assert request.find("description").text.startswith("Titre ancien")


@pytest.mark.parametrize(
    "path, accept, fmt",
    [
        ("/open311/", "application/json", "json"),
        ("/open311", "text/xml", "xml"),
        ("/open311/v2", "application/xml", "xml"),
        ("/open311/v2/", "*/*", "json"),
        ("/open311/v2/nope.xml", "text/html", "xml"),
        ("/open311/v2/nope.json", "text/html", "json"),
        ("/open311/v2/requests", "text/html,application/xml;q=0.9", "xml"),
    ],
)
def test_open311_errors_come_in_the_requested_format_never_html(client, path, accept, fmt):
    assert open311_error(client.get(path, headers={"Accept": accept}), 404, fmt)


@pytest.mark.parametrize(
    "method, path, fmt, allowed",
    [
        ("delete", "/open311/v2/requests.json", "json", {"GET", "POST"}),
        ("put", "/open311/v2/requests.xml", "xml", {"GET", "POST"}),
        ("post", "/open311/v2/services.xml", "xml", {"GET"}),
        ("patch", "/open311/v2/discovery.json", "json", {"GET"}),
    ],
)
def test_open311_405_is_in_format_with_allow(client, method, path, fmt, allowed):
    response = getattr(client, method)(path)
    open311_error(response, 405, fmt)
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_open311_413_is_in_format(client, api_key):
    response = client.post("/open311/v2/requests.xml", data={"api_key": api_key, "description": "x" * 70_000})
    assert open311_error(response, 413, "xml")


@pytest.mark.parametrize(
    "method, path",
    [("delete", "/api/v1/themes"), ("put", "/api/v1/reports"), ("delete", "/api/v1/reports/abc/comments")],
)
def test_every_405_of_the_api_carries_allow(client, method, path):
    response = getattr(client, method)(path)
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert "GET" in {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("path", ["/", "/animation", "/animation/journal"])
def test_every_405_of_the_pages_carries_allow(client, path):
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))  # past the CSRF check
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET"}


def test_a_workshop_code_with_a_line_break_cannot_reach_a_header(app, client, workshop_code):
    """Codes are normalised (spaces, dashes, case) to find the workshop; the file name uses the stored code."""
    login_as(client, app, "facilitator", email="animateur-pdf@example.org")
    response = client.get(f"/animation/ateliers/{workshop_code.lower()}%0D%0A/synthese.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="synthese-atelier-{workshop_code}.pdf"'
