"""Injection suite (issue 9), both backends: hostile values in every text field and query parameter.

XSS, SQL, path traversal, odd Unicode (RTL override, zero-width, emoji, decomposed accents, NUL,
lone surrogates, 100 KB), wrong types and huge numbers go into the report, participation,
workshop, Open311, login, moderation and theme forms and into every query parameter. Each answer
is a 4xx in its API's format, after which nothing was stored (rows counted); or a 2xx whose
stored text, read back, is the input as the cleaning rule describes it (NFC, trimmed; single-line
fields with whitespace collapsed), which is written out here, independently of carte.text. Never
a 500. The text itself is never interpreted: SQL stays text, markup stays text.
"""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path
from urllib.parse import urlencode

import pytest
from PIL import Image
from sqlalchemy import select

from carte.extensions import db
from carte.models import Theme
from carte.models.participation import Flag, Photo
from carte.models.workshops import Workshop
from tests.helpers import TOUR_EIFFEL, csrf_token_from, login_as, report_payload
from tests.integration.test_odd_input import counts

pytestmark = pytest.mark.backends

TEXTS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(document.cookie)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "'; DROP TABLE reports;--",
    "' OR 1=1--",
    '" OR ""="',
    "1; SELECT pg_sleep(5)",
    "Robert'); DELETE FROM users; --",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "{{7*7}} ${7*7} %s%n",
    "\u202eevil\u202c.exe",
    "zéro\u200blargeur",
    "famille 👩‍👩‍👧 🚲",
    "Cafe\u0301 de\u0301compose\u0301",
    "  espaces\t et\nlignes  ",
    "nul\x00caractère",
    "demi\ud800paire",
    "échap\x1b[31m",
    "x" * 100_000,
]
WRONG_TYPES = [42, 1e308, 10**40, -0.0, "NaN", "1e308", "-0", ["liste", "de", "textes"], {"objet": "x"}, None, True]
CONTROLS = {chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000)]}


def form(fields: dict) -> dict:
    """A url-encoded body as a browser would send it; lone surrogates go as their (invalid) UTF-8 bytes."""
    return {"data": urlencode(fields, errors="surrogatepass"), "content_type": "application/x-www-form-urlencoded"}


def url(path: str, name: str, value: str) -> str:
    return f"{path}?{urlencode({name: value}, errors='surrogatepass')}"


def promised(text: str, *, multiline: bool) -> str:
    """What a stored text must be, written out independently of the code under test."""
    text = unicodedata.normalize("NFC", text)
    return text.strip() if multiline else " ".join(text.split())


def must_refuse(value) -> bool:
    return isinstance(value, str) and bool(CONTROLS & set(value))


def comparable_in_a_form(value: str) -> bool:
    """A browser cannot send a lone surrogate in a form or URL: it goes as invalid UTF-8 bytes, which the
    server receives as other, harmless text. Such values must not crash anything; their text is not compared."""
    return not any("\ud800" <= c <= "\udfff" for c in value)


class Outcomes:
    """Collects every violation so that one run reports them all."""

    def __init__(self, app):
        self.app, self.problems = app, []

    def check(self, label: str, response, *, open311: bool = False) -> bool:
        """True when the request was accepted (2xx/3xx); a refusal must be a proper 4xx."""
        status = response.status_code
        if status >= 500:
            self.problems.append(f"{label}: {status}")
            return False
        if status >= 400:
            if open311:
                ok = (
                    response.content_type.startswith("application/json")
                    and json.loads(response.data)[0]["code"] == status
                )
            else:
                ok = response.is_json and response.get_json()["error"]["code"]
            if not ok:
                self.problems.append(f"{label}: {status} without its error format")
            return False
        return True

    def same(self, label: str, stored, expected) -> None:
        if stored != expected:
            self.problems.append(f"{label}: stored {stored!r:.80} instead of {expected!r:.80}")

    def assert_none(self):
        assert not self.problems, "\n".join(self.problems[:40])


@pytest.fixture
def outcomes(app):
    return Outcomes(app)


@pytest.fixture
def report_id(reports) -> str:
    return reports.create()["id"]


REPORT_FIELDS = [
    ("title", False),
    ("description", True),
    ("author_name", False),
    ("location_text", False),
    ("theme", False),
    ("tags", False),
]


@pytest.mark.parametrize("field, multiline", REPORT_FIELDS)
def test_report_fields(app, client, outcomes, field, multiline):
    for value in TEXTS + WRONG_TYPES:
        body = report_payload(**{field: [value] if field == "tags" and isinstance(value, str) else value})
        before = counts(app)
        response = client.post("/api/v1/reports", json=body)
        label = f"{field}={value!r:.40}"
        if not outcomes.check(label, response):
            outcomes.same(f"{label} (rows after a refusal)", counts(app), before)
            continue
        if must_refuse(value):
            outcomes.problems.append(f"{label}: accepted")
        stored = client.get(f"/api/v1/reports/{response.get_json()['id']}").get_json()[field]
        if field == "tags":
            given = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            outcomes.same(label, stored, [promised(v, multiline=False) for v in given])
        elif isinstance(value, str):
            outcomes.same(label, stored, promised(value, multiline=multiline))
    outcomes.assert_none()


PARTICIPATION = [
    ("comment", "body", True),
    ("comment", "author_name", False),
    ("flag", "details", True),
    ("flag", "reason", False),
    ("vote", "kind", False),
]


@pytest.mark.parametrize("what, field, multiline", PARTICIPATION)
def test_participation_fields(app, client, outcomes, reports, what, field, multiline):
    for value in TEXTS + WRONG_TYPES:
        report = reports.create()["id"]  # a fresh one each time: one vote and one flag per resident
        body = {"comment": {"body": "Je confirme."}, "flag": {"reason": "spam"}, "vote": {}}[what] | {field: value}
        before = counts(app)
        response = client.post(
            f"/api/v1/reports/{report}/{ {'comment': 'comments', 'flag': 'flags', 'vote': 'vote'}[what] }", json=body
        )
        label = f"{what}.{field}={value!r:.40}"
        if not outcomes.check(label, response):
            outcomes.same(f"{label} (rows after a refusal)", counts(app), before)
            continue
        if must_refuse(value):
            outcomes.problems.append(f"{label}: accepted")
        if what == "comment" and isinstance(value, str):
            listed = client.get(f"/api/v1/reports/{report}/comments").get_json()["comments"]
            outcomes.same(label, listed[-1][field], promised(value, multiline=multiline))
        if what == "flag" and field == "details" and isinstance(value, str):
            with app.app_context():
                stored = db.session.scalars(select(Flag.details).order_by(Flag.id.desc())).first()
            outcomes.same(label, stored, promised(value, multiline=True) or None)
    outcomes.assert_none()


QUERY = {
    "/api/v1/reports": [
        "theme",
        "tag",
        "commune",
        "territoire",
        "departement",
        "since",
        "until",
        "bbox",
        "limit",
        "cursor",
        "workshop",
    ],
    "/api/v1/aggregates/territories": ["level", "exact", "status", "since", "theme"],
    "/api/v1/aggregates/hotspots": ["resolution", "bbox"],
    "/api/v1/aggregates/heatmap": ["zoom", "until"],
    "/donnees-ouvertes/agregats.csv": ["level", "sep", "tag"],
    "/open311/v2/requests.json": [
        "service_request_id",
        "service_code",
        "status",
        "start_date",
        "end_date",
        "jurisdiction_id",
    ],
    "/open311/v2/services.json": ["jurisdiction_id"],
}


@pytest.mark.parametrize("path", list(QUERY))
def test_query_parameters(client, reports, outcomes, path):
    reports.create()
    for name in QUERY[path]:
        for value in TEXTS + [str(v) for v in WRONG_TYPES] + ["9" * 400, "2147483648", "-2147483649"]:
            response = client.get(url(path, name, value), headers={"Accept": "application/json"})
            accepted = outcomes.check(f"{path}?{name}={value!r:.40}", response, open311=path.startswith("/open311"))
            if accepted and "\x00" in value:
                outcomes.problems.append(f"{path}?{name}: NUL accepted")
    outcomes.assert_none()


def test_moderation_and_theme_forms(app, client, outcomes, report_id):
    login_as(client, app, "admin")
    token = csrf_token_from(client.get("/animation/themes").get_data(as_text=True))
    accept = {"Accept": "application/json"}
    for value in TEXTS + [str(v) for v in WRONG_TYPES]:
        for field in ("label", "color", "icon"):
            fields = {
                "label": "Mobilités douces",
                "color": "#123456",
                "icon": "velo",
                field: value,
                "csrf_token": token,
            }
            before = counts(app)
            response = client.post("/animation/themes", **form(fields), headers=accept)
            label = f"theme.{field}={value!r:.40}"
            if not outcomes.check(label, response):
                outcomes.same(f"{label} (rows after a refusal)", counts(app), before)
            elif field == "label" and comparable_in_a_form(value):
                with app.app_context():
                    stored = db.session.scalars(select(Theme.label).order_by(Theme.id.desc())).first()
                outcomes.same(label, stored, promised(value, multiline=False))
                if must_refuse(value):
                    outcomes.problems.append(f"{label}: accepted")
        for action in ("hide", value):
            before = counts(app)
            response = client.post(
                f"/animation/moderation/report/{report_id}",
                headers=accept,
                **form({"action": action, "reason": value, "csrf_token": token}),
            )
            label = f"moderation {action!r:.20} reason={value!r:.40}"
            if not outcomes.check(label, response):
                outcomes.same(f"{label} (rows after a refusal)", counts(app), before)
            elif comparable_in_a_form(value):
                outcomes.same(label, response.get_json()["moderation_note"], promised(value, multiline=True))
    outcomes.assert_none()


def test_workshop_form_and_login_form(app, client, outcomes):
    login_as(client, app, "facilitator")
    token = csrf_token_from(client.get("/animation/ateliers").get_data(as_text=True))
    for value in TEXTS + [str(v) for v in WRONG_TYPES]:
        for field in ("title", "place", "question", "date", "territoire", "themes"):
            fields = {
                "title": "Atelier",
                "date": "2026-11-27",
                "place": "Salle",
                "question": "Quoi ?",
                "csrf_token": token,
                field: value,
            }
            before = counts(app)
            response = client.post("/animation/ateliers", **form(fields))
            label = f"workshop.{field}={value!r:.40}"
            if response.status_code >= 500:
                outcomes.problems.append(f"{label}: {response.status_code}")
            elif response.status_code >= 400:
                outcomes.same(f"{label} (rows after a refusal)", counts(app), before)
            elif field in ("title", "place", "question") and comparable_in_a_form(value):
                with app.app_context():
                    stored = db.session.scalars(select(getattr(Workshop, field)).order_by(Workshop.id.desc())).first()
                outcomes.same(label, stored, promised(value, multiline=field == "question"))
    anonymous = app.test_client()
    page_token = csrf_token_from(anonymous.get("/connexion").get_data(as_text=True))
    for value in TEXTS + [str(v) for v in WRONG_TYPES]:
        for field in ("email", "password", "next"):
            fields = {"email": "personne@example.org", "password": "secret", "csrf_token": page_token, field: value}
            response = anonymous.post("/connexion", **form(fields))
            if response.status_code >= 500 or response.status_code in (200, 302):
                outcomes.problems.append(f"login {field}={value!r:.40}: {response.status_code}")
    outcomes.assert_none()


OPEN311_FIELDS = [
    "description",
    "attribute[title]",
    "attribute[tags]",
    "address_string",
    "email",
    "first_name",
    "last_name",
    "media_url",
    "lat",
    "long",
    "service_code",
    "api_key",
    "jurisdiction_id",
]


def test_open311_post_fields(app, client, outcomes):
    from carte.open311.keys import issue_key

    with app.app_context():
        key = issue_key(db.session, "client-injection")
    for field in OPEN311_FIELDS:
        for value in TEXTS + [str(v) for v in WRONG_TYPES]:
            fields = {
                "api_key": key,
                "service_code": "mobilite",
                "lat": str(TOUR_EIFFEL[1]),
                "long": str(TOUR_EIFFEL[0]),
                "description": "Feu piéton en panne depuis trois jours.",
                field: value,
            }
            before = counts(app)
            response = client.post("/open311/v2/requests.json", **form(fields))
            label = f"open311 {field}={value!r:.40}"
            if not outcomes.check(label, response, open311=True):
                outcomes.same(f"{label} (rows after a refusal)", counts(app), before)
                continue
            if not comparable_in_a_form(value):
                continue
            if must_refuse(value):
                outcomes.problems.append(f"{label}: accepted")
            if field == "description":
                rid = json.loads(response.data)[0]["service_request_id"]
                shown = json.loads(client.get(f"/open311/v2/requests/{rid}.json").data)[0]["description"]
                if promised(value, multiline=True) not in shown:
                    outcomes.problems.append(f"{label}: shown {shown!r:.80}")
    outcomes.assert_none()


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.jpg",
        "..\\..\\evil.jpg",
        "/etc/cron.d/x.jpg",
        "a\x00b.jpg",
        "\u202egpj.exe",
        "x" * 300 + ".jpg",
    ],
)
def test_photo_file_names_never_choose_where_a_file_goes(app, client, reports, name, tmp_path):
    app.config["CARTE_UPLOAD_DIR"] = str(tmp_path / "uploads")
    report = reports.create()["id"]
    image = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(image, "JPEG")
    response = client.post(
        f"/api/v1/reports/{report}/photos",
        content_type="multipart/form-data",
        data={"photos": (io.BytesIO(image.getvalue()), name)},
    )
    assert response.status_code in (201, 400, 422), response.get_data(as_text=True)[:200]
    written = sorted(
        p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith("carte.sqlite")
    )  # the test database lives here too
    assert all(p.parts[0] == "uploads" and len(p.parts) == 2 for p in written), written
    if response.status_code == 201:
        with app.app_context():
            stored = db.session.scalars(select(Photo.filename)).all()
        assert stored and all(Path(f).name == f and ".." not in f and f.endswith(".jpg") for f in stored)
        photo = response.get_json()["photos"][0]
        assert client.get(photo["url"]).status_code == 200
