"""Idempotency-Key on POST /api/v1/reports (and workshop and comment posts): a retry never stores twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from carte.extensions import db
from carte.models import Report, utcnow
from carte.models.idempotency import IdempotencyKey
from carte.models.participation import Comment
from tests.helpers import report_payload

pytestmark = pytest.mark.backends

URL = "/api/v1/reports"


def count(app, model=Report) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def post(client, key, **overrides):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(URL, json=report_payload(**overrides), headers=headers)


def test_a_retry_returns_the_first_answer_and_stores_nothing_more(app, client):
    first = post(client, "3f2c8a1e-retry")
    assert first.status_code == 201
    retry = app.test_client().post(URL, json=report_payload(), headers={"Idempotency-Key": "3f2c8a1e-retry"})
    assert retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    # The replay hands back the same contributor as the first answer's cookie.
    assert retry.headers["Set-Cookie"].split(";")[0] == first.headers["Set-Cookie"].split(";")[0]
    # A retry from the client that did receive the first answer's cookie is a replay too.
    again = post(client, "3f2c8a1e-retry")
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert count(app) == 1


def test_without_a_key_each_post_stores_a_report(app, client):
    assert post(client, None).status_code == 201
    assert post(client, None).status_code == 201
    assert count(app) == 2


def test_keys_are_scoped_by_contributor(app, client):
    assert post(client, "same-key").status_code == 201  # this client now holds a contributor cookie
    other = app.test_client()
    assert post(other, None).status_code == 201  # another contributor, with its own cookie
    answer = post(other, "same-key")
    assert answer.status_code == 201 and "Idempotent-Replayed" not in answer.headers
    assert count(app) == 3


def test_the_same_key_with_another_body_is_refused(app, client):
    assert post(client, "k-1").status_code == 201
    reused = post(client, "k-1", title="Un autre titre pour le même signalement")
    assert reused.status_code == 422
    assert reused.get_json()["error"] == {
        "code": "idempotency_key_reused",
        "message": reused.get_json()["error"]["message"],
        "field": "Idempotency-Key",
    }
    assert count(app) == 1


@pytest.mark.parametrize("key", ["", "a" * 256, "espace interdit", "accentué", "tab\there"])
def test_invalid_keys_are_refused(app, client, key):
    answer = client.post(URL, json=report_payload(), headers={"Idempotency-Key": key})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "invalid_idempotency_key"
    assert count(app) == 0


def test_a_refused_request_frees_its_key(app, client):
    refused = post(client, "k-fix", theme="pas-un-theme")
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] != "idempotency_key_reused"
    assert post(client, "k-fix").status_code == 201  # the corrected request with the same key runs
    assert count(app) == 1


def test_keys_expire(app, client):
    assert post(client, "k-old").status_code == 201
    with app.app_context():
        db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    again = post(client, "k-old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert count(app) == 2


def test_a_retry_while_the_first_runs_gets_409_and_only_one_row_is_stored(app, monkeypatch):
    """Two threads race with the same key: the second arrives while the first is inside its view."""
    import carte.web.api as api_module

    entered, release = threading.Event(), threading.Event()
    real_build = api_module.build_report

    def slow_build(*args, **kwargs):
        if not entered.is_set():
            entered.set()
            release.wait(10)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(api_module, "build_report", slow_build)
    answers = {}

    def first():
        answers["first"] = post(app.test_client(), "race-key")

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(10)
    answers["second"] = post(app.test_client(), "race-key")
    release.set()
    thread.join(10)
    assert answers["first"].status_code == 201
    assert answers["second"].status_code == 409
    assert answers["second"].get_json()["error"]["code"] == "idempotency_in_progress"
    assert count(app) == 1
    replay = post(app.test_client(), "race-key")
    assert replay.status_code == 201 and replay.get_json() == answers["first"].get_json()


def test_many_threads_racing_with_one_key_store_one_report(app):
    answers = []
    barrier = threading.Barrier(6)

    def send():
        client = app.test_client()
        barrier.wait(10)
        answers.append(post(client, "storm-key"))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(answers) == 6
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409} and 201 in statuses
    bodies = {a.get_data() for a in answers if a.status_code == 201}
    assert len(bodies) == 1  # every 201 is the same answer
    assert count(app) == 1


def test_comment_posts_accept_a_key(app, client, reports):
    public_id = reports.create()["id"]
    body = {"body": "Même constat devant l'école."}
    url = f"/api/v1/reports/{public_id}/comments"
    first = client.post(url, json=body, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == 201
    retry = client.post(url, json=body, headers={"Idempotency-Key": "c-1"})
    assert retry.status_code == 201 and retry.get_json() == first.get_json()
    assert count(app, Comment) == 1
