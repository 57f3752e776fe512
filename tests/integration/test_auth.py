"""Staff accounts: login form, CSRF, rate limit, the role decorator and the create-user command."""

from __future__ import annotations

import pytest

from carte.extensions import db
from carte.models.accounts import User
from carte.web.access import role_required
from tests.helpers import STAFF_PASSWORD, csrf_token_from, login_as


def add_probe_routes(app):
    """Two protected routes, one HTML and one API, to exercise role_required alone."""

    @role_required("moderator")
    def html_probe():
        return "ok"

    @role_required("moderator")
    def api_probe():
        return {"ok": True}

    app.add_url_rule("/probe-moderator", "probe_html", html_probe)
    app.add_url_rule("/api/v1/probe-moderator", "probe_api", api_probe)


def test_login_with_the_form_logs_in_and_hashes_with_scrypt(app, client):
    user = login_as(client, app, "moderator", email="Modo@Example.org")
    assert user.email == "modo@example.org"
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.password_hash.startswith("scrypt:")
        assert STAFF_PASSWORD not in stored.password_hash
        assert stored.last_login_at is not None


def test_wrong_password_is_refused_with_a_message(app, client):
    login_as(app.test_client(), app, "admin", email="a@example.org")
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={
            "email": "a@example.org",
            "password": "not the password",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 401
    assert "Adresse ou mot de passe incorrect" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(app, client):
    with app.app_context():
        from carte.accounts import create_user

        create_user(db.session, "m@example.org", STAFF_PASSWORD, "moderator")
    response = client.post("/connexion", data={"email": "m@example.org", "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert "jeton" in response.get_data(as_text=True)
    json_response = client.post(
        "/connexion",
        data={"email": "m@example.org", "password": STAFF_PASSWORD},
        headers={"Accept": "application/json"},
    )
    assert json_response.get_json()["error"]["code"] == "csrf_invalid"


def test_role_decorator_401_redirect_403_and_200(app, client):
    add_probe_routes(app)
    anonymous_html = client.get("/probe-moderator")
    assert anonymous_html.status_code == 302
    assert anonymous_html.headers["Location"].startswith("/connexion?next=/probe-moderator")
    anonymous_api = client.get("/api/v1/probe-moderator")
    assert anonymous_api.status_code == 401
    assert anonymous_api.get_json()["error"]["code"] == "unauthenticated"

    login_as(client, app, "facilitator")
    assert client.get("/probe-moderator").status_code == 403
    assert client.get("/api/v1/probe-moderator").get_json()["error"]["code"] == "forbidden"

    admin_client = app.test_client()
    login_as(admin_client, app, "admin")
    assert admin_client.get("/probe-moderator").get_data(as_text=True) == "ok"


def test_logout_needs_the_csrf_token_and_ends_the_session(app, client):
    add_probe_routes(app)
    login_as(client, app, "moderator")
    assert client.post("/deconnexion").status_code == 400
    assert client.get("/probe-moderator").status_code == 200
    token = _form_token(client)
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 302
    assert client.get("/probe-moderator").status_code == 302


def _form_token(client) -> str:
    """The CSRF token a page would embed for this client's session."""
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf

    with client.session_transaction() as stored:
        saved = dict(stored)
    with client.application.test_request_context():
        flask_session.update(saved)
        return generate_csrf()


def test_login_redirects_only_to_local_paths(app, client):
    with app.app_context():
        from carte.accounts import create_user

        create_user(db.session, "f@example.org", STAFF_PASSWORD, "facilitator")
    page = client.get("/connexion")
    response = client.post(
        "/connexion?next=https://evil.example/",
        data={
            "email": "f@example.org",
            "password": STAFF_PASSWORD,
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.config(RATELIMIT_ENABLED=True, CARTE_LOGIN_RATE_LIMIT="3/minute")
def test_login_attempts_are_rate_limited(app, client):
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    statuses = [
        client.post(
            "/connexion", data={"email": "x@example.org", "password": "wrong-password", "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_api_refuses_cross_site_writes(app, client):
    from tests.helpers import report_payload

    response = client.post("/api/v1/reports", json=report_payload(), headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "cross_origin"
    sandboxed = client.post("/api/v1/reports", json=report_payload(), headers={"Origin": "null"})
    assert sandboxed.status_code == 403 and sandboxed.get_json()["error"]["code"] == "cross_origin"
    same = client.post("/api/v1/reports", json=report_payload(), headers={"Origin": "http://localhost"})
    assert same.status_code == 201


def test_create_user_command_reads_the_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["carte", "create-user", "Chef@Example.org", "--role", "admin"], input="un mot de passe long\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.email == "chef@example.org")).one()
        assert user.role == "admin" and user.check_password("un mot de passe long")
    again = runner.invoke(
        args=["carte", "create-user", "chef@example.org", "--role", "admin"], input="un mot de passe long\n"
    )
    assert again.exit_code != 0 and "existe déjà" in again.output
    weak = runner.invoke(args=["carte", "create-user", "x@example.org", "--role", "admin"], input="court\n")
    assert weak.exit_code != 0
    bad_role = runner.invoke(
        args=["carte", "create-user", "y@example.org", "--role", "king"], input="un mot de passe long\n"
    )
    assert bad_role.exit_code != 0


@pytest.mark.config(SESSION_COOKIE_SECURE=True)
def test_session_cookie_is_secure_httponly_and_samesite(app, client):
    with app.app_context():
        from carte.accounts import create_user

        create_user(db.session, "s@example.org", STAFF_PASSWORD, "moderator")
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    response = client.post(
        "/connexion", data={"email": "s@example.org", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_deactivated_account_cannot_log_in(app, client):
    with app.app_context():
        from carte.accounts import create_user

        user = create_user(db.session, "old@example.org", STAFF_PASSWORD, "admin")
        user.active = False
        db.session.commit()
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    response = client.post(
        "/connexion", data={"email": "old@example.org", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 401


# Known open-redirect bypasses, as they arrive in the query string (percent-encoded where a browser would).
REDIRECT_BYPASSES = [
    "/%09/evil.example",
    "%09//evil.example",
    "/%0a/evil.example",
    "/%0d%0a/evil.example",
    "/%00/evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "%5C%5Cevil.example",
    "//evil.example",
    "///evil.example",
    "/%20/evil.example",
    "%20//evil.example",
    "/%E2%80%8B/evil.example",
    "/%E2%80%AE/evil.example",
    "/%E3%80%80/evil.example",
    "https:evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "//evil.example@localhost",
    "/%2F%2Fevil.example",
    "/%252F%252Fevil.example",
]


def _stays_on_site(location: str) -> bool:
    """As a browser reads it: strip tabs and newlines, backslash = slash, resolve against the page."""
    from urllib.parse import urljoin, urlsplit

    cleaned = "".join(ch for ch in location if ch not in "\t\r\n").replace("\\", "/").strip(" \x00")
    return urlsplit(urljoin("http://localhost/connexion", cleaned)).netloc == "localhost"


@pytest.mark.parametrize("target", REDIRECT_BYPASSES)
def test_login_never_redirects_to_another_site(app, client, target):
    with app.app_context():
        from carte.accounts import create_user

        create_user(db.session, "f@example.org", STAFF_PASSWORD, "facilitator")
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    response = client.post(
        f"/connexion?next={target}", data={"email": "f@example.org", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    if "%00" in target:  # refused at the boundary (carte.web.boundary) before any redirect
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 302
    assert _stays_on_site(response.headers["Location"]), response.headers["Location"]
    already_in = client.get(f"/connexion?next={target}")  # logged in: GET redirects at once
    assert already_in.status_code == 302 and _stays_on_site(already_in.headers["Location"])


@pytest.mark.parametrize("target", REDIRECT_BYPASSES)
def test_language_switch_never_redirects_to_another_site(app, client, target):
    from urllib.parse import unquote

    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    response = client.post("/langue", data={"lang": "en", "csrf_token": token, "next": unquote(target)})
    if "%00" in target:  # refused at the boundary (carte.web.boundary) before any redirect
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 303 and _stays_on_site(response.headers["Location"])


@pytest.mark.parametrize("target", ["/animation", "/animation/ateliers?x=1&y=%2F", "/a/ABCDEF#frag"])
def test_login_still_follows_local_paths(app, client, target):
    with app.app_context():
        from carte.accounts import create_user

        create_user(db.session, "f@example.org", STAFF_PASSWORD, "facilitator")
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    response = client.post(
        "/connexion",
        query_string={"next": target},
        data={"email": "f@example.org", "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == target
