"""Only the facilitator who created a workshop, or an admin, may close or reopen it."""

from __future__ import annotations

from sqlalchemy import select

from carte.extensions import db
from carte.models.workshops import Workshop
from tests.helpers import csrf_token_from, login_as
from tests.integration.test_workshops import create


def status(app, code: str) -> str:
    with app.app_context():
        return db.session.scalars(select(Workshop.status).where(Workshop.code == code)).one()


def logged_in(app, role: str):
    client = app.test_client()
    login_as(client, app, role)
    return client


def action(client, code: str, verb: str, **headers):
    token = csrf_token_from(client.get("/animation/ateliers").get_data(as_text=True))
    return client.post(f"/animation/ateliers/{code}/{verb}", data={"csrf_token": token}, headers=headers)


def new_workshop(client) -> str:
    response = create(client)
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/", 1)[1]


def test_another_facilitator_or_a_moderator_gets_403_and_no_buttons(app):
    code = new_workshop(logged_in(app, "facilitator"))
    for role in ("facilitator", "moderator"):
        other = logged_in(app, role)
        page = other.get(f"/animation/ateliers/{code}").get_data(as_text=True)
        assert page.count('action="/animation/ateliers/') == 0 and "close-workshop" not in page
        html = action(other, code, "cloture")
        assert html.status_code == 403 and html.mimetype == "text/html"
        as_json = action(other, code, "cloture", Accept="application/json")
        assert as_json.status_code == 403 and as_json.get_json()["error"]["code"] == "forbidden"
        assert status(app, code) == "open"


def test_the_creator_closes_and_reopens_and_others_cannot_reopen(app):
    creator = logged_in(app, "facilitator")
    code = new_workshop(creator)
    assert "close-workshop" in creator.get(f"/animation/ateliers/{code}").get_data(as_text=True)
    assert action(creator, code, "cloture").status_code == 303 and status(app, code) == "closed"
    assert action(logged_in(app, "facilitator"), code, "reouverture").status_code == 403
    assert status(app, code) == "closed"
    assert action(creator, code, "reouverture").status_code == 303 and status(app, code) == "open"


def test_an_admin_may_close_and_reopen_any_workshop(app):
    code = new_workshop(logged_in(app, "facilitator"))
    admin = logged_in(app, "admin")
    assert "close-workshop" in admin.get(f"/animation/ateliers/{code}").get_data(as_text=True)
    assert action(admin, code, "cloture").status_code == 303 and status(app, code) == "closed"
    assert action(admin, code, "reouverture").status_code == 303 and status(app, code) == "open"


def test_a_workshop_whose_creator_left_is_managed_by_admins_only(app):
    code = new_workshop(logged_in(app, "facilitator"))
    with app.app_context():
        db.session.scalars(select(Workshop).where(Workshop.code == code)).one().created_by = None
        db.session.commit()
    assert action(logged_in(app, "facilitator"), code, "cloture").status_code == 403
    assert action(logged_in(app, "admin"), code, "cloture").status_code == 303
