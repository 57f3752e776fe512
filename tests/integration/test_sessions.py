"""A session ends for good: logout, deactivation and a password change make captured cookies useless."""

from __future__ import annotations

from sqlalchemy import update

from carte.extensions import db
from carte.models.accounts import User
from tests.helpers import STAFF_PASSWORD, csrf_token_from, login_as

STAFF_PAGE = "/animation"


def captured_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str, name: str = "session"):
    """A new browser that only holds the captured cookie."""
    thief = app.test_client()
    thief.set_cookie(name, cookie)
    return thief.get(STAFF_PAGE)


def is_logged_out(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def log_out(client) -> None:
    token = csrf_token_from(client.get("/animation/ateliers").get_data(as_text=True))
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 302


def test_a_cookie_captured_before_logout_no_longer_opens_the_session(app, client):
    login_as(client, app, "facilitator")
    cookie = captured_cookie(client)
    assert replay(app, cookie).status_code == 200  # the capture works while the session is open
    log_out(client)
    assert is_logged_out(replay(app, cookie))
    assert is_logged_out(client.get(STAFF_PAGE))


def test_logout_ends_the_other_browsers_sessions_and_remember_me_cookies(app, client):
    from flask_login.utils import encode_cookie

    user = login_as(client, app, "moderator", email="m@example.org")
    laptop = app.test_client()
    login_as_existing(laptop, "m@example.org")
    with app.app_context():
        old_token = db.session.get(User, user.id).session_token
        remember = encode_cookie(old_token)
    assert replay(app, remember, "remember_token").status_code == 200
    log_out(client)
    assert is_logged_out(laptop.get(STAFF_PAGE))
    assert is_logged_out(replay(app, remember, "remember_token"))
    login_as_existing(laptop, "m@example.org")  # logging in again works, with a new token
    assert laptop.get(STAFF_PAGE).status_code == 200


def login_as_existing(client, email: str) -> None:
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    response = client.post("/connexion", data={"email": email, "password": STAFF_PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_deactivating_an_account_ends_its_sessions(app, client):
    login_as(client, app, "admin", email="old@example.org")
    cookie = captured_cookie(client)
    result = app.test_cli_runner().invoke(args=["carte", "deactivate-user", "old@example.org"])
    assert result.exit_code == 0, result.output
    assert is_logged_out(client.get(STAFF_PAGE))
    assert is_logged_out(replay(app, cookie))
    again = app.test_cli_runner().invoke(args=["carte", "activate-user", "old@example.org"])
    assert again.exit_code == 0, again.output
    assert is_logged_out(replay(app, cookie))  # reactivating does not revive the old cookies


def test_deactivating_through_the_orm_ends_sessions_too(app, client):
    user = login_as(client, app, "admin", email="old@example.org")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert is_logged_out(client.get(STAFF_PAGE))


def test_changing_the_password_ends_the_sessions_opened_with_the_old_one(app, client):
    login_as(client, app, "facilitator", email="f@example.org")
    cookie = captured_cookie(client)
    result = app.test_cli_runner().invoke(
        args=["carte", "set-password", "F@example.org"], input="un autre mot de passe\n"
    )
    assert result.exit_code == 0, result.output
    assert is_logged_out(replay(app, cookie))
    weak = app.test_cli_runner().invoke(args=["carte", "set-password", "f@example.org"], input="court\n")
    assert weak.exit_code != 0
    unknown = app.test_cli_runner().invoke(
        args=["carte", "set-password", "nobody@example.org"], input="un autre mot de passe\n"
    )
    assert unknown.exit_code != 0 and "Aucun compte" in unknown.output


def test_the_cookie_does_not_carry_the_user_id(app, client):
    """A stolen signing key must not be enough to name a user: the session holds a random token."""
    user = login_as(client, app, "admin")
    with client.session_transaction() as stored:
        assert stored["_user_id"] != str(user.id) and len(stored["_user_id"]) >= 40
    forged = app.test_client()
    with forged.session_transaction() as stored:
        stored["_user_id"], stored["_fresh"] = str(user.id), True
    assert is_logged_out(forged.get(STAFF_PAGE))


def test_accounts_from_before_session_tokens_can_log_in(app, client):
    login_as(app.test_client(), app, "facilitator", email="legacy@example.org")
    with app.app_context():
        db.session.execute(update(User).values(session_token=None))
        db.session.commit()
    login_as_existing(client, "legacy@example.org")
    assert client.get(STAFF_PAGE).status_code == 200
