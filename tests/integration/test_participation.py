"""Votes, comments and flags through the API, on both backends: each rule, and bad input storing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from carte.extensions import db
from carte.models import Report, Theme
from carte.models.accounts import AuditLog
from carte.models.participation import Comment, Flag, Vote

pytestmark = pytest.mark.backends


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def set_status(app, public_id: str, status: str) -> None:
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).unique().one()
        report.status = status
        db.session.commit()


def allow_dissent(app, slug: str) -> None:
    with app.app_context():
        db.session.scalars(select(Theme).where(Theme.slug == slug)).one().allows_dissent = True
        db.session.commit()


# -- votes ---------------------------------------------------------------------------------


def test_support_counts_once_per_resident_and_can_be_withdrawn(app, client, reports):
    rid = reports.create()["id"]
    first = client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "support"})
    assert first.status_code == 201
    assert first.get_json() == {"support": 1, "dissent": 0, "dissent_allowed": False, "mine": "support"}

    second = client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "support"})
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "already_voted"
    assert count(app, Vote) == 1

    other_resident = app.test_client()
    assert other_resident.post(f"/api/v1/reports/{rid}/vote", json={"kind": "support"}).get_json()["support"] == 2
    assert client.get(f"/api/v1/reports/{rid}").get_json()["support"] == 2

    withdrawn = client.delete(f"/api/v1/reports/{rid}/vote")
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["support"] == 1 and withdrawn.get_json()["mine"] is None
    assert client.delete(f"/api/v1/reports/{rid}/vote").status_code == 404
    assert count(app, Vote) == 1


def test_a_forged_voter_cookie_does_not_vote_twice_under_the_same_id(app, client, reports):
    rid = reports.create()["id"]
    client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "support"})
    client.set_cookie("carte_contributeur", "forged-value")  # an unsigned value is ignored: a new id is issued
    assert client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "support"}).status_code == 201
    with app.app_context():
        voters = db.session.scalars(select(Vote.voter)).all()
    assert len(set(voters)) == 2 and "forged-value" not in voters


def test_unique_constraint_is_the_last_word(app, reports):
    rid = reports.create()["id"]
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == rid)).unique().one()
        db.session.add_all(
            [
                Vote(report_id=report.id, voter="v1", kind="support"),
                Vote(report_id=report.id, voter="v1", kind="dissent"),
            ]
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_dissent_only_where_the_theme_allows_debate(app, client, reports):
    rid = reports.create(theme="mobilite")["id"]
    refused = client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "dissent"})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "dissent_not_allowed"
    allow_dissent(app, "mobilite")
    accepted = client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "dissent"})
    assert accepted.status_code == 201
    assert accepted.get_json()["dissent"] == 1 and accepted.get_json()["support"] == 0
    assert client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "bravo"}).status_code in (409, 422)


def test_vote_on_a_hidden_or_unknown_report_is_refused(app, client, reports):
    rid = reports.create()["id"]
    set_status(app, rid, "hidden")
    hidden = client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "support"})
    assert hidden.status_code == 409 and hidden.get_json()["error"]["code"] == "report_hidden"
    set_status(app, rid, "pending")
    assert client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "support"}).status_code == 404
    assert client.post("/api/v1/reports/nope/vote", json={"kind": "support"}).status_code == 404
    assert count(app, Vote) == 0


def test_honeypot_refuses_bots_on_votes_comments_and_reports(app, client, reports):
    rid = reports.create()["id"]
    bot_vote = client.post(f"/api/v1/reports/{rid}/vote", json={"kind": "support", "website": "http://spam"})
    assert bot_vote.status_code == 400 and bot_vote.get_json()["error"]["code"] == "rejected"
    bot_comment = client.post(f"/api/v1/reports/{rid}/comments", json={"body": "Super offre", "website": "x"})
    assert bot_comment.status_code == 400
    bot_report = reports.post(website="http://spam")
    assert bot_report.status_code == 400
    assert count(app, Vote) == 0 and count(app, Comment) == 0 and count(app, Report) == 1


@pytest.mark.config(RATELIMIT_ENABLED=True, CARTE_PARTICIPATION_RATE_LIMIT="2/minute")
def test_votes_are_rate_limited_per_ip(app, reports):
    ids = [reports.create(title=f"Trottoir abîmé {i}")["id"] for i in range(3)]
    statuses = [
        app.test_client().post(f"/api/v1/reports/{rid}/vote", json={"kind": "support"}).status_code for rid in ids
    ]
    assert statuses == [201, 201, 429]
    assert count(app, Vote) == 2


# -- comments ------------------------------------------------------------------------------


def test_comments_are_listed_in_time_order_and_kept_as_text(app, client, reports):
    rid = reports.create()["id"]
    first = client.post(
        f"/api/v1/reports/{rid}/comments", json={"body": "<script>alert(1)</script> même souci", "author_name": "Lou"}
    )
    assert first.status_code == 201
    client.post(f"/api/v1/reports/{rid}/comments", json={"body": "Toujours pas réparé."})
    listed = client.get(f"/api/v1/reports/{rid}/comments").get_json()["comments"]
    assert [c["body"] for c in listed] == ["<script>alert(1)</script> même souci", "Toujours pas réparé."]
    assert listed[0]["author_name"] == "Lou" and listed[1]["author_name"] is None
    assert client.get(f"/api/v1/reports/{rid}").get_json()["comments"] == 2


@pytest.mark.parametrize(
    "body, code",
    [("", "required"), ("x", "too_short"), ("   ", "required"), ("é" * 1001, "too_long"), (42, "invalid_type")],
)
def test_bad_comments_are_refused_and_nothing_is_stored(app, client, reports, body, code):
    rid = reports.create()["id"]
    response = client.post(f"/api/v1/reports/{rid}/comments", json={"body": body})
    assert response.status_code == 422
    assert response.get_json()["error"] == {
        "code": code,
        "message": response.get_json()["error"]["message"],
        "field": "body",
    }
    assert count(app, Comment) == 0


def test_thousand_characters_is_the_limit(app, client, reports):
    rid = reports.create()["id"]
    assert client.post(f"/api/v1/reports/{rid}/comments", json={"body": "a" * 1000}).status_code == 201


@pytest.mark.config(CARTE_MODERATION="pre")
def test_premoderated_comments_wait_for_a_moderator(app, client, reports):
    rid = reports.create()["id"]
    set_status(app, rid, "published")
    response = client.post(f"/api/v1/reports/{rid}/comments", json={"body": "En attente ?"})
    assert response.status_code == 201 and response.get_json()["status"] == "pending"
    assert client.get(f"/api/v1/reports/{rid}/comments").get_json()["comments"] == []


def test_comment_on_a_hidden_report_is_refused(app, client, reports):
    rid = reports.create()["id"]
    set_status(app, rid, "hidden")
    response = client.post(f"/api/v1/reports/{rid}/comments", json={"body": "Bonjour à tous"})
    assert response.status_code == 409
    assert count(app, Comment) == 0


# -- flags ---------------------------------------------------------------------------------


def resident_at(app, address: str):
    """A resident's browser (its own cookies) at its own address."""
    resident = app.test_client()
    resident.environ_base["REMOTE_ADDR"] = address
    return resident


@pytest.mark.config(CARTE_FLAGS_TO_HIDE=3)
def test_three_distinct_residents_hide_a_report_until_a_moderator_decides(app, client, reports):
    rid = reports.create()["id"]
    residents = [resident_at(app, f"203.0.113.{n}") for n in range(1, 4)]
    first = residents[0].post(f"/api/v1/reports/{rid}/flags", json={"reason": "spam", "details": "publicité"})
    assert first.status_code == 201 and first.get_json() == {"flagged": True, "hidden": False}
    again = residents[0].post(f"/api/v1/reports/{rid}/flags", json={"reason": "abuse"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_flagged"
    assert residents[1].post(f"/api/v1/reports/{rid}/flags", json={"reason": "abuse"}).get_json()["hidden"] is False
    assert client.get(f"/api/v1/reports/{rid}").status_code == 200
    third = residents[2].post(f"/api/v1/reports/{rid}/flags", json={"reason": "personal_data"})
    assert third.get_json()["hidden"] is True
    detail = client.get(f"/api/v1/reports/{rid}")
    assert detail.status_code == 200
    assert detail.get_json() == {
        "id": rid,
        "status": "hidden",
        "hidden_label": "masqué par la modération",
        "moderation_note": None,
    }  # no title, text, author or position
    assert rid not in [f["id"] for f in reports.list().get_json()["features"]]
    state = client.get(f"/api/v1/reports/{rid}/participation").get_json()
    assert state["status"] == "hidden" and state["hidden_label"] == "masqué par la modération"
    assert count(app, Flag) == 3
    with app.app_context():
        assert db.session.scalars(select(AuditLog.action)).all() == ["auto_hide"]


@pytest.mark.config(CARTE_FLAGS_TO_HIDE=2)
def test_flags_threshold_is_configurable_and_applies_to_comments(app, client, reports):
    rid = reports.create()["id"]
    cid = client.post(f"/api/v1/reports/{rid}/comments", json={"body": "Mon voisin M. Dupont au 3 rue X"}).get_json()[
        "id"
    ]
    for resident in (resident_at(app, "203.0.113.1"), resident_at(app, "203.0.113.2")):
        assert resident.post(f"/api/v1/comments/{cid}/flags", json={"reason": "personal_data"}).status_code == 201
    listed = client.get(f"/api/v1/reports/{rid}/comments").get_json()["comments"]
    assert listed == [{**listed[0], "body": None, "author_name": None, "status": "hidden"}]
    assert listed[0]["hidden_label"] == "masqué par la modération"


@pytest.mark.config(CARTE_FLAGS_TO_HIDE=3)
def test_one_person_dropping_their_cookie_cannot_hide_a_report_alone(app, client, reports):
    """Fresh cookies are free to mint, addresses are not: every flag is kept for the moderators,
    but the automatic hide waits for distinct addresses."""
    rid = reports.create()["id"]
    for _ in range(5):
        fresh = resident_at(app, "198.51.100.7")  # a new browser profile each time, the same address
        assert fresh.post(f"/api/v1/reports/{rid}/flags", json={"reason": "spam"}).get_json()["hidden"] is False
    assert client.get(f"/api/v1/reports/{rid}").status_code == 200
    assert count(app, Flag) == 5
    with app.app_context():
        sources = db.session.scalars(select(Flag.source)).all()
    assert len(set(sources)) == 1 and "198.51.100.7" not in sources[0]
    others = [resident_at(app, f"203.0.113.{n}") for n in (1, 2)]
    assert others[0].post(f"/api/v1/reports/{rid}/flags", json={"reason": "spam"}).get_json()["hidden"] is False
    assert others[1].post(f"/api/v1/reports/{rid}/flags", json={"reason": "spam"}).get_json()["hidden"] is True


def test_flag_needs_a_known_reason(app, client, reports):
    rid = reports.create()["id"]
    response = client.post(f"/api/v1/reports/{rid}/flags", json={"reason": "boring"})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "reason"
    assert client.post("/api/v1/comments/unknown/flags", json={"reason": "spam"}).status_code == 404
    assert count(app, Flag) == 0
