"""Residents' side of the civic loop: following a report by cookie, and « C'est réglé » /
« Toujours pas réglé » for its author and followers once it is fixed (on both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from carte.extensions import db
from carte.followup.updates import post_update
from carte.models import Report
from carte.models.accounts import AuditLog
from carte.models.followup import ReportFollow, ReportUpdate
from tests.helpers import report_payload

pytestmark = pytest.mark.backends


def _fix(app, public_id):
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        post_update(db.session, report, progress="fixed", text="Réparé.", body_code="75056", author_kind="agent")


def _answer(client, public_id, answer):
    return client.post(f"/api/v1/reports/{public_id}/resolution", json={"answer": answer})


def test_follow_and_unfollow_by_cookie(app, client, reports):
    public_id = reports.create()["id"]
    resident = app.test_client()
    assert client.get(f"/api/v1/reports/{public_id}").get_json()["viewer"]["author"] is True
    first = resident.post(f"/api/v1/reports/{public_id}/follow")
    assert first.status_code == 201 and first.get_json() == {"id": public_id, "following": True}
    assert "carte_contributeur" in first.headers.get("Set-Cookie", "")
    assert resident.post(f"/api/v1/reports/{public_id}/follow").status_code == 200  # once is enough
    assert resident.get(f"/api/v1/reports/{public_id}").get_json()["viewer"] == {
        "following": True,
        "author": False,
        "may_answer": False,
    }
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportFollow)) == 1
    gone = resident.delete(f"/api/v1/reports/{public_id}/follow")
    assert gone.status_code == 200 and gone.get_json()["following"] is False
    assert resident.get(f"/api/v1/reports/{public_id}").get_json()["viewer"]["following"] is False
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportFollow)) == 0
    missing = resident.post("/api/v1/reports/inconnu/follow")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_the_author_confirms_once_and_the_report_stays_fixed(app, client, reports):
    public_id = reports.create()["id"]
    assert _answer(client, public_id, "confirmed").status_code == 409  # not fixed yet
    _fix(app, public_id)
    assert client.get(f"/api/v1/reports/{public_id}").get_json()["viewer"]["may_answer"] is True
    first = _answer(client, public_id, "confirmed")
    assert first.status_code == 200
    assert (first.get_json()["progress"], first.get_json()["confirmations"], first.get_json()["already"]) == (
        "fixed",
        1,
        False,
    )
    again = _answer(client, public_id, "confirmed").get_json()
    assert (again["confirmations"], again["already"]) == (1, True)
    follower = app.test_client()
    follower.post(f"/api/v1/reports/{public_id}/follow")
    assert _answer(follower, public_id, "confirmed").get_json()["confirmations"] == 2
    detail = client.get(f"/api/v1/reports/{public_id}").get_json()
    assert detail["progress"] == "fixed" and detail["confirmations"] == 2 and len(detail["updates"]) == 1
    with app.app_context():
        keys = db.session.scalars(select(AuditLog.reason).where(AuditLog.action == "confirm_fixed")).all()
        assert len(set(keys)) == 2 and all(k.startswith("habitant:") for k in keys)


def test_a_follower_says_it_is_not_fixed_and_it_reopens(app, client, reports):
    public_id = reports.create()["id"]
    _fix(app, public_id)
    follower = app.test_client()
    follower.post(f"/api/v1/reports/{public_id}/follow")
    response = _answer(follower, public_id, "not_fixed")
    assert response.status_code == 200
    assert (response.get_json()["progress"], response.get_json()["progress_label"]) == ("in_progress", "En cours")
    detail = client.get(f"/api/v1/reports/{public_id}").get_json()
    assert detail["progress"] == "in_progress"
    last = detail["updates"][-1]
    assert (last["progress"], last["body"]) == ("in_progress", None) and "toujours pas réglé" in last["text"]
    english = client.get(f"/api/v1/reports/{public_id}?lang=en").get_json()["updates"][-1]
    assert english["text"] == "A resident says it is still not fixed."
    with app.app_context():
        kinds = db.session.scalars(select(ReportUpdate.author_kind).order_by(ReportUpdate.id)).all()
        assert kinds == ["agent", "resident"]
    # Reopened: nobody can answer until it is fixed again.
    assert _answer(client, public_id, "confirmed").get_json()["error"]["code"] == "not_fixed"


def test_others_may_not_answer_and_odd_answers_are_refused(app, client, reports):
    public_id = reports.create()["id"]
    _fix(app, public_id)
    stranger = app.test_client()
    refused = _answer(stranger, public_id, "not_fixed")
    assert refused.status_code == 403
    assert refused.get_json()["error"] == {
        "code": "not_author_or_follower",
        "field": "answer",
        "message": "Seuls l'auteur du signalement et les personnes qui le suivent peuvent répondre.",
    }
    assert stranger.get(f"/api/v1/reports/{public_id}").get_json()["viewer"]["may_answer"] is False
    for body in ({"answer": "peut-être"}, {"answer": None}, ["confirmed"], {}):
        odd = client.post(f"/api/v1/reports/{public_id}/resolution", json=body)
        assert odd.status_code == 422 and odd.get_json()["error"]["code"] == "invalid_answer"
    assert client.post(f"/api/v1/reports/{public_id}/resolution", data="x").status_code == 415
    other = app.test_client().post("/api/v1/reports", json=report_payload()).get_json()["id"]
    assert _answer(client, other, "confirmed").status_code == 403  # the author of another report
    with app.app_context():
        assert db.session.scalars(select(Report.progress).where(Report.public_id == public_id)).one() == "fixed"


def test_erasing_a_person_forgets_their_follows_and_confirmations(app, client, reports, tmp_path):
    from carte.participation.erasure import Person, erase_person

    public_id = reports.create()["id"]
    _fix(app, public_id)
    follower = app.test_client()
    follower.post(f"/api/v1/reports/{public_id}/follow")
    assert _answer(follower, public_id, "confirmed").get_json()["confirmations"] == 1
    assert _answer(client, public_id, "confirmed").get_json()["confirmations"] == 2  # the author, who stays
    with app.app_context():
        contributor = db.session.scalars(select(ReportFollow.contributor)).one()
        erase_person(
            db.session,
            Person.of(contributor=contributor),
            upload_dir=tmp_path,
            secret=app.config["SECRET_KEY"],
            user_id=None,
        )
        assert db.session.scalar(select(func.count()).select_from(ReportFollow)) == 0
    detail = client.get(f"/api/v1/reports/{public_id}").get_json()
    assert detail["confirmations"] == 1 and detail["progress"] == "fixed"
