"""Security headers: every GET route, as anonymous and as each staff role, answers with the CSP and
the browser guards; embedding and HSTS follow their settings."""

from __future__ import annotations

import io

import pytest

from carte import create_app
from carte.models.accounts import ROLES
from carte.web.security import tile_origins
from tests.helpers import csrf_token_from, jpeg_with_gps, login_as

REQUIRED_DIRECTIVES = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
    "connect-src": {"'self'"},
}
OSM_TILES = "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png"
# Pages that must answer 200 HTML to the role (None: anonymous), so that the walk cannot go vacuous.
EXPECTED_PAGES = {
    None: {"pages.index", "auth.login", "workshop.join", "openapi.docs"},
    "facilitator": {
        "dashboard.index",
        "workshop_admin.workshop_list",
        "workshop_admin.workshop_detail",
        "workshop_admin.synthesis",
        "workshop.projection",
    },
    "moderator": {"moderation.queue"},
    "admin": {"audit.journal", "themes.index"},
}


def policy_of(response) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request.path}: no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_browser_guards(response) -> None:
    path = response.request.path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("Referrer-Policy") in {
        "strict-origin-when-cross-origin",
        "same-origin",
        "no-referrer",
    }, path
    permissions = response.headers.get("Permissions-Policy", "")
    assert "geolocation=(self)" in permissions and "camera=()" in permissions and "microphone=()" in permissions, path


def assert_strict_policy(response, tile_origin: str | None = None) -> None:
    path = response.request.path
    policy = policy_of(response)
    for name, sources in REQUIRED_DIRECTIVES.items():
        assert policy.get(name) == sources, f"{path}: {name} is {policy.get(name)}"
    assert {"'self'", "data:", "blob:"} <= policy["img-src"], path
    if tile_origin:
        assert tile_origin in policy["img-src"], path
    for name, sources in policy.items():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & sources, f"{path}: {name} {sources}"


@pytest.fixture
def samples(app, client, tmp_path):
    """One of each thing a route can name: a report with a photo, a closed workshop, a theme."""
    app.config["CARTE_UPLOAD_DIR"] = str(tmp_path / "uploads")
    report = client.post(
        "/api/v1/reports", json={"theme": "mobilite", "title": "Trottoir encombré", "lat": 48.8584, "lon": 2.2945}
    ).get_json()
    photo = client.post(
        f"/api/v1/reports/{report['id']}/photos",
        content_type="multipart/form-data",
        data={"photos": [(io.BytesIO(jpeg_with_gps((32, 32))), "p.jpg")]},
    )
    assert photo.status_code == 201, photo.get_json()
    photo_id = photo.get_json()["photos"][0]["url"].rstrip("/").rsplit("/", 1)[1]
    staff = app.test_client()
    login_as(staff, app, "facilitator", email="atelier@example.org")
    form = staff.get("/animation/ateliers").get_data(as_text=True)
    created = staff.post(
        "/animation/ateliers",
        data={
            "title": "Atelier",
            "date": "2026-11-27",
            "place": "Montreuil",
            "question": "Comment ?",
            "csrf_token": csrf_token_from(form),
        },
    )
    code = created.headers["Location"].rsplit("/", 1)[1]
    staff.post(f"/animation/ateliers/{code}/cloture", data={"csrf_token": csrf_token_from(form)})
    return {
        "code": code,
        "public_id": report["id"],
        "request_id": report["id"],
        "theme_id": "1",
        "target_type": "report",
        "fmt": "json",
        "kind": "svg",
        "anything": "inconnu",
        "filename": "css/carte.css",
        "photo_id": photo_id,
    }


FORMATS = {"dashboard.export_reports": "csv"}


def get_urls(app, samples) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET route, each argument filled with a sample (or a dummy: a 404 also counts)."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            values = {name: samples.get(name, "x") for name in rule.arguments}
            if rule.endpoint == "media.photo_file":
                values["public_id"] = samples["photo_id"]
            if rule.endpoint in FORMATS:
                values["fmt"] = FORMATS[rule.endpoint]
            urls.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return urls


@pytest.mark.config(CARTE_TILE_URL=OSM_TILES)
def test_every_page_carries_the_policy_for_every_role(app, client, samples):
    html_pages: dict[str | None, set[str]] = {}
    for role in (None, *ROLES):
        browser = app.test_client()
        if role:
            login_as(browser, app, role)
        html_pages[role] = set()
        for endpoint, url in get_urls(app, samples):
            response = browser.get(url)
            try:
                assert_browser_guards(response)
                if endpoint == "media.photo_file":
                    continue  # its own stricter policy, tested below
                if response.mimetype == "text/html":
                    assert_strict_policy(response, "https://*.tile.openstreetmap.fr")
                    assert response.headers.get("X-Frame-Options") == "DENY", url
                    if response.status_code == 200:
                        html_pages[role].add(endpoint)
            finally:
                response.close()  # the live stream never ends by itself
    for role, expected in EXPECTED_PAGES.items():
        assert expected <= html_pages[role], f"{role}: {expected - html_pages[role]} missing"


def test_a_view_policy_is_kept(app, client, samples):
    response = client.get(f"/media/photos/{samples['photo_id']}")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_error_pages_carry_the_policy(client):
    for response in (client.get("/nulle-part", headers={"Accept": "text/html"}), client.get("/api/v1/reports/nope")):
        assert_browser_guards(response)
        assert_strict_policy(response)


@pytest.mark.config(CARTE_EMBED_ORIGINS="https://www.example.org https://*.mairie.example.fr")
def test_embed_origins_open_the_public_map_only(client):
    index = client.get("/")
    assert policy_of(index)["frame-ancestors"] == {"https://www.example.org", "https://*.mairie.example.fr"}
    assert "X-Frame-Options" not in index.headers
    for path in ("/connexion", "/api/v1/docs", "/animation"):
        response = client.get(path)
        assert policy_of(response)["frame-ancestors"] == {"'none'"}, path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_without_embed_origins_nothing_can_frame_the_map(client):
    assert policy_of(client.get("/"))["frame-ancestors"] == {"'none'"}


@pytest.mark.parametrize("value", ["https://a.example; script-src *", "'unsafe-inline'", "javascript:alert(1)", "*"])
def test_an_embed_origin_that_is_not_an_origin_stops_start_up(value):
    with pytest.raises(ValueError, match="CARTE_EMBED_ORIGINS"):
        create_app("config.TestConfig", {"CARTE_EMBED_ORIGINS": value})


def test_no_hsts_unless_configured(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.config(CARTE_HSTS_SECONDS=31_536_000)
def test_hsts_when_configured(client):
    for path in ("/", "/api/v1/themes", "/static/css/carte.css"):
        assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000", path


def test_production_config_turns_hsts_on():
    from config import ProductionConfig

    assert ProductionConfig.CARTE_HSTS_SECONDS > 0


@pytest.mark.parametrize(
    ("url", "origins"),
    [
        (OSM_TILES, ["https://*.tile.openstreetmap.fr"]),
        ("https://tile.example.org:8443/{z}/{x}/{y}.png", ["https://tile.example.org:8443"]),
        (
            "https://tiles-{s}.example.org/{z}/{x}/{y}.png",
            ["https://tiles-a.example.org", "https://tiles-b.example.org", "https://tiles-c.example.org"],
        ),
        ("//tiles.example.org/{z}/{x}/{y}.png", ["tiles.example.org"]),
        ("/tuiles/{z}/{x}/{y}.png", []),
        ("", []),
    ],
)
def test_tile_origins(url, origins):
    assert tile_origins(url) == origins


@pytest.mark.config(CARTE_TILE_URL="")
def test_no_tiles_no_tile_origin(client):
    assert policy_of(client.get("/"))["img-src"] == {"'self'", "data:", "blob:"}
