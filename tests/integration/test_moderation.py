"""Moderation queue, decisions, audit log and themes: roles, CSRF, bad input, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from carte.extensions import db
from carte.models import Report, Theme
from carte.models.accounts import AuditLog
from tests.helpers import csrf_token_from, login_as

pytestmark = pytest.mark.backends

# Every protected route with the weakest role allowed and a method.
PROTECTED = [
    ("GET", "/animation/moderation", "moderator"),
    ("POST", "/animation/moderation/report/abc", "moderator"),
    ("GET", "/animation/journal", "admin"),
    ("GET", "/animation/themes", "admin"),
    ("POST", "/animation/themes", "admin"),
    ("POST", "/animation/themes/1", "admin"),
    ("POST", "/animation/themes/1/suppression", "admin"),
]
WEAKER = {"moderator": "facilitator", "admin": "moderator"}


def token(client, path="/animation/moderation") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def report_status(app, rid):
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == rid)).unique().one()
        return report.status, report.moderation_note


@pytest.mark.parametrize("method, path, role", PROTECTED)
def test_anonymous_is_sent_to_login_and_weaker_role_gets_403(app, client, method, path, role):
    anonymous = client.open(path, method=method)
    if method == "GET":
        assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/connexion")
    else:  # an anonymous POST has no CSRF token: refused before anything else
        assert anonymous.status_code in (302, 400)
    as_json = client.open(path, method="GET" if method == "GET" else method, headers={"Accept": "application/json"})
    assert as_json.status_code in (302, 400, 401)

    weaker = app.test_client()
    login_as(weaker, app, WEAKER[role])
    csrf = csrf_token_from(weaker.get("/connexion?next=/", follow_redirects=True).get_data(as_text=True))
    response = weaker.open(path, method=method, data={"csrf_token": csrf} if method == "POST" else None)
    assert response.status_code == 403


def test_pending_report_published_by_a_moderator_is_logged(app, client, reports):
    app.config["CARTE_MODERATION"] = "pre"
    rid = reports.create(title="Lampadaire éteint")["id"]
    assert report_status(app, rid) == ("pending", None)
    user = login_as(client, app, "moderator")
    page = client.get("/animation/moderation").get_data(as_text=True)
    assert "Lampadaire éteint" in page
    response = client.post(
        f"/animation/moderation/report/{rid}", data={"action": "publish", "csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 303
    assert report_status(app, rid) == ("published", None)
    assert client.get(f"/api/v1/reports/{rid}").status_code == 200
    with app.app_context():
        entry = db.session.scalars(select(AuditLog)).one()
        assert (entry.user_id, entry.action, entry.target_type, entry.target_id) == (user.id, "publish", "report", rid)
    assert "Lampadaire éteint" not in client.get("/animation/moderation").get_data(as_text=True)


def test_hide_needs_a_reason_which_is_shown_publicly(app, client, reports):
    rid = reports.create()["id"]
    login_as(client, app, "moderator")
    csrf = token(client)
    refused = client.post(
        f"/animation/moderation/report/{rid}",
        data={"action": "hide", "csrf_token": csrf},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "reason"
    assert report_status(app, rid) == ("published", None)
    hidden = client.post(
        f"/animation/moderation/report/{rid}",
        data={"action": "hide", "reason": "Adresse privée visible", "csrf_token": csrf},
    )
    assert hidden.status_code == 303
    assert report_status(app, rid) == ("hidden", "Adresse privée visible")
    public = app.test_client().get(f"/api/v1/reports/{rid}/participation").get_json()
    assert public == {
        "status": "hidden",
        "hidden_label": "masqué par la modération",
        "moderation_note": "Adresse privée visible",
    }


def test_flagged_items_appear_in_the_queue_with_their_flags_and_decisions_resolve_them(app, client, reports):
    rid = reports.create(title="Dépôt sauvage")["id"]
    cid = client.post(f"/api/v1/reports/{rid}/comments", json={"body": "Achetez mes montres"}).get_json()["id"]
    app.test_client().post(f"/api/v1/comments/{cid}/flags", json={"reason": "spam", "details": "pub pour des montres"})
    login_as(client, app, "admin")
    page = client.get("/animation/moderation").get_data(as_text=True)
    assert "Achetez mes montres" in page and "pub pour des montres" in page
    client.post(f"/animation/moderation/comment/{cid}", data={"action": "reject", "csrf_token": csrf_token_from(page)})
    assert "Achetez mes montres" not in client.get("/animation/moderation").get_data(as_text=True)
    assert client.get(f"/api/v1/reports/{rid}/comments").get_json()["comments"] == []
    journal = client.get("/animation/journal").get_data(as_text=True)
    assert cid in journal and "rejeté" in journal


def test_the_journal_names_items_by_their_title_as_text(app, client, reports):
    rid = reports.create(title="Trottoir <b>défoncé</b>")["id"]
    cid = client.post(f"/api/v1/reports/{rid}/comments", json={"body": "Toujours là " + "x" * 80}).get_json()["id"]
    login_as(client, app, "admin")
    csrf = token(client)
    client.post(f"/animation/moderation/report/{rid}", data={"action": "hide", "reason": "test", "csrf_token": csrf})
    client.post(f"/animation/moderation/comment/{cid}", data={"action": "reject", "csrf_token": csrf})
    journal = client.get("/animation/journal").get_data(as_text=True)
    assert "Trottoir &lt;b&gt;défoncé&lt;/b&gt;" in journal and "<b>défoncé" not in journal
    assert "« Toujours là xxx" in journal and "x" * 80 not in journal  # an excerpt, with its report's title
    assert journal.count("Trottoir &lt;b&gt;défoncé&lt;/b&gt;") == 2


def test_unknown_id_missing_csrf_and_unknown_action_store_nothing(app, client, reports):
    rid = reports.create()["id"]
    login_as(client, app, "moderator")
    csrf = token(client)
    unknown = client.post(
        "/animation/moderation/report/doesnotexist",
        data={"action": "publish", "csrf_token": csrf},
        headers={"Accept": "application/json"},
    )
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    assert (
        client.post(
            "/animation/moderation/report/doesnotexist", data={"action": "publish", "csrf_token": csrf}
        ).status_code
        == 404
    )
    no_csrf = client.post(f"/animation/moderation/report/{rid}", data={"action": "reject"})
    assert no_csrf.status_code == 400
    bad_action = client.post(
        f"/animation/moderation/report/{rid}",
        data={"action": "burn", "csrf_token": csrf},
        headers={"Accept": "application/json"},
    )
    assert bad_action.status_code == 422
    assert report_status(app, rid) == ("published", None)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_journal_is_for_admins(app, client):
    login_as(client, app, "moderator")
    assert client.get("/animation/journal").status_code == 403
    admin = app.test_client()
    login_as(admin, app, "admin")
    assert admin.get("/animation/journal").status_code == 200


def test_admin_creates_edits_deactivates_and_cannot_delete_a_theme_in_use(app, client, reports):
    login_as(client, app, "admin")
    csrf = token(client, "/animation/themes")
    created = client.post(
        "/animation/themes",
        data={"label": "Bruit nocturne", "color": "#AA3300", "icon": "bruit", "active": "1", "csrf_token": csrf},
    )
    assert created.status_code == 303
    assert "bruit-nocturne" in [t["slug"] for t in client.get("/api/v1/themes").get_json()["themes"]]
    bad = client.post(
        "/animation/themes",
        data={"label": "X", "color": "rouge", "csrf_token": csrf},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 422
    with app.app_context():
        mobilite = db.session.scalars(select(Theme).where(Theme.slug == "mobilite")).one().id
        bruit = db.session.scalars(select(Theme).where(Theme.slug == "bruit-nocturne")).one().id
    reports.create(theme="mobilite")
    in_use = client.post(
        f"/animation/themes/{mobilite}/suppression", data={"csrf_token": csrf}, headers={"Accept": "application/json"}
    )
    assert in_use.status_code == 409 and in_use.get_json()["error"]["code"] == "theme_in_use"
    deactivated = client.post(
        f"/animation/themes/{mobilite}", data={"label": "Mobilité", "color": "#123456", "csrf_token": csrf}
    )
    assert deactivated.status_code == 303
    assert "mobilite" not in [t["slug"] for t in client.get("/api/v1/themes").get_json()["themes"]]
    assert client.post(f"/animation/themes/{bruit}/suppression", data={"csrf_token": csrf}).status_code == 303
    with app.app_context():
        assert db.session.get(Theme, bruit) is None and db.session.get(Theme, mobilite).active is False
    assert client.post("/animation/themes/999999/suppression", data={"csrf_token": csrf}).status_code == 404


def test_language_switch_is_remembered_and_accept_language_is_followed(app, client):
    page = client.get("/connexion").get_data(as_text=True)
    assert "Connexion de l'équipe d'animation" in page
    response = client.post("/langue", data={"lang": "en", "next": "/connexion", "csrf_token": csrf_token_from(page)})
    assert response.status_code == 303 and response.headers["Location"] == "/connexion"
    english = client.get("/connexion").get_data(as_text=True)
    assert "Staff sign-in" in english and 'value="fr"' in english  # the switch now offers French
    assert "Report without the map" in client.get("/").get_data(as_text=True)
    assert (
        client.post(
            "/langue", data={"lang": "xx", "next": "//evil.example", "csrf_token": csrf_token_from(english)}
        ).headers["Location"]
        == "/"
    )
    assert "Staff sign-in" in client.get("/connexion").get_data(as_text=True)  # an unknown language changes nothing

    browser_in_english = app.test_client()
    assert "Staff sign-in" in browser_in_english.get(
        "/connexion", headers={"Accept-Language": "en-GB,en;q=0.9"}
    ).get_data(as_text=True)
    assert "Connexion de l'équipe" in browser_in_english.get(
        "/connexion", headers={"Accept-Language": "de,fr;q=0.5"}
    ).get_data(as_text=True)


def test_dates_in_the_journal_follow_the_locale(app, client, reports):
    rid = reports.create()["id"]
    login_as(client, app, "admin")
    client.post(f"/animation/moderation/report/{rid}", data={"action": "reject", "csrf_token": token(client)})
    french = client.get("/animation/journal").get_data(as_text=True)
    english = client.get("/animation/journal?lang=en").get_data(as_text=True)
    import re

    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", french)  # 27/11/2026 11:02
    assert re.search(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\s?[AP]M", english)  # 11/27/26, 11:02 AM
