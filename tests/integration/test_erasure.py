"""An admin erases a person's data on request (GDPR art. 17), by CLI or in the staff area;
Open311 contacts expire after the retention period."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from carte.extensions import db
from carte.models import Report
from carte.models.accounts import AuditLog
from carte.models.interop import ReportContact
from carte.models.participation import Comment, Flag, Photo, Vote
from tests.helpers import BASILIQUE_SAINT_DENIS, csrf_token_from, jpeg_with_gps, login_as, report_payload
from tests.integration.test_import import run

pytestmark = pytest.mark.backends

EMAIL = "Sacha.Secret@example.org"


def counts(app) -> dict:
    with app.app_context():
        return {
            m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Report, Comment, Vote, Flag, Photo, ReportContact)
        }


def seed(app, uploads) -> dict:
    """Alice posts two reports (one with a photo), comments, votes and flags on Bob's; Bob does the same on hers."""
    alice, bob = app.test_client(), app.test_client()
    a1 = alice.post("/api/v1/reports", json=report_payload(title="Chez Alice, rue X")).get_json()["id"]
    a2 = alice.post("/api/v1/reports", json=report_payload(title="Deuxième d'Alice")).get_json()["id"]
    lon, lat = BASILIQUE_SAINT_DENIS
    b1 = bob.post("/api/v1/reports", json=report_payload(title="Le signalement de Bob", lon=lon, lat=lat)).get_json()[
        "id"
    ]
    assert (
        alice.post(
            f"/api/v1/reports/{a1}/photos",
            data={"photos": [(io.BytesIO(jpeg_with_gps()), "a.jpg")]},
            content_type="multipart/form-data",
        ).status_code
        == 201
    )
    for client, target in ((alice, b1), (bob, a1)):
        assert client.post(f"/api/v1/reports/{target}/comments", json={"body": "Un avis"}).status_code == 201
        assert client.post(f"/api/v1/reports/{target}/vote", json={"kind": "support"}).status_code == 201
        assert client.post(f"/api/v1/reports/{target}/flags", json={"reason": "spam"}).status_code == 201
    with app.app_context():
        contributor = db.session.scalar(select(Report.contributor).where(Report.public_id == a1))
    return {"a1": a1, "a2": a2, "b1": b1, "contributor": contributor, "alice": alice, "bob": bob}


def test_cli_erases_everything_of_one_contributor_and_nothing_of_others(app, uploads):
    s = seed(app, uploads)
    before = counts(app)
    assert len(list(uploads.iterdir())) == 2
    aggregates = "/api/v1/aggregates/territories?level=commune"
    assert s["bob"].get(aggregates).status_code == 200  # the in-memory index is loaded, then must reload
    dry = run(app, "erase", "--report", s["a2"], "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "2 signalements, 1 commentaire, 1 vote, 1 signalement de contenu, 1 photo, 0 contact" in dry.output
    assert counts(app) == before

    result = run(app, "erase", "--contributor", s["contributor"])
    assert result.exit_code == 0 and result.output.startswith("Effacé : 2 signalements"), result.output
    # Alice's two reports go with what they carried (Bob's comment, vote and flag on them); Bob's report stays.
    assert counts(app) == {"Report": 1, "Comment": 0, "Vote": 0, "Flag": 0, "Photo": 0, "ReportContact": 0}
    assert list(uploads.iterdir()) == []
    with app.app_context():
        bob_report = db.session.scalars(select(Report)).unique().one()
        assert (bob_report.public_id, bob_report.comment_count, bob_report.support_count) == (s["b1"], 0, 0)
        (entry,) = db.session.scalars(select(AuditLog).where(AuditLog.action == "erase")).unique()
        assert entry.target_type == "person" and entry.target_id.startswith("hmac:") and entry.user_id is None
        assert s["contributor"] not in entry.target_id and entry.reason.startswith("2 signalements")
    assert s["bob"].get(f"/api/v1/reports/{s['a1']}").status_code == 404
    assert s["bob"].get(f"/api/v1/reports/{s['b1']}").status_code == 200
    assert s["bob"].get(aggregates).status_code == 200


def test_cli_erases_by_open311_email_and_refuses_bad_arguments(app, client):
    from carte.open311.keys import issue_key

    with app.app_context():
        key = issue_key(db.session, "k")
    for email in (EMAIL, "other@example.org"):
        response = client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": key,
                "service_code": "mobilite",
                "lat": "48.8584",
                "long": "2.2945",
                "description": "Feu en panne",
                "email": email,
                "first_name": "Sacha",
            },
        )
        assert response.status_code == 200
    with app.app_context():
        dates = db.session.scalars(select(ReportContact.created_at)).all()
        assert all(d is not None and datetime.now(UTC) - d < timedelta(minutes=5) for d in dates)
    assert "1 signalement," in run(app, "erase", "--email", EMAIL.upper(), "--dry-run").output
    result = run(app, "erase", "--email", EMAIL.lower())
    assert (
        "Effacé : 1 signalement, 0 commentaire, 0 vote, 0 signalement de contenu, 0 photo, 1 contact" in result.output
    )
    with app.app_context():
        assert db.session.scalars(select(ReportContact.email)).all() == ["other@example.org"]
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1
    assert run(app, "erase").exit_code == 2
    assert run(app, "erase", "--email", EMAIL, "--contributor", "abc").exit_code == 2
    assert run(app, "erase", "--report", "inconnu").exit_code == 1


def test_admin_page_previews_then_erases_with_csrf(app, client, uploads):
    s = seed(app, uploads)
    moderator = app.test_client()
    login_as(moderator, app, "moderator")
    assert moderator.get("/animation/effacement").status_code == 403
    assert app.test_client().get("/animation/effacement").status_code in (302, 401)
    admin = login_as(client, app, "admin")
    page = client.get("/animation/effacement")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    assert client.post("/animation/effacement", data={"report": s["a1"], "step": "preview"}).status_code == 400
    bad = client.post("/animation/effacement", data={"csrf_token": token, "step": "preview"})
    assert bad.status_code == 422 and "un seul" in bad.get_data(as_text=True)
    before = counts(app)
    preview = client.post("/animation/effacement", data={"csrf_token": token, "report": s["a1"], "step": "preview"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "À effacer : 2 signalements, 1 commentaire" in text
    assert counts(app) == before
    done = client.post(
        "/animation/effacement",
        data={"csrf_token": csrf_token_from(text), "contributor": s["contributor"], "email": "", "step": "confirm"},
    )
    assert done.status_code == 200 and "Effacé : 2 signalements" in done.get_data(as_text=True)
    assert counts(app)["Report"] == 1
    with app.app_context():
        (entry,) = db.session.scalars(select(AuditLog).where(AuditLog.action == "erase")).unique()
        assert entry.user_id == admin.id
    journal = client.get("/animation/journal").get_data(as_text=True)
    assert "une personne effacées" in journal and s["contributor"] not in journal


def test_purge_contacts_deletes_only_expired_ones_idempotently(app, client):
    from carte.open311.keys import issue_key

    with app.app_context():
        key = issue_key(db.session, "k")
    for email in ("old@example.org", "new@example.org"):
        assert (
            client.post(
                "/open311/v2/requests.json",
                data={
                    "api_key": key,
                    "service_code": "mobilite",
                    "lat": "48.8584",
                    "long": "2.2945",
                    "description": "Feu en panne",
                    "email": email,
                },
            ).status_code
            == 200
        )
    with app.app_context():
        old = db.session.scalars(select(ReportContact).where(ReportContact.email == "old@example.org")).one()
        old.created_at = datetime.now(UTC) - timedelta(days=366)
        db.session.commit()
    assert "1 contact de plus de 365 jours effacé." in run(app, "purge-contacts").output
    assert "0 contact de plus de" in run(app, "purge-contacts").output
    with app.app_context():
        assert db.session.scalars(select(ReportContact.email)).all() == ["new@example.org"]
        assert db.session.scalar(select(func.count()).select_from(Report)) == 2  # the reports stay
        entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "purge_contacts")).unique().all()
        assert [(e.target_id, "old@example.org" in (e.reason or "")) for e in entries] == [("1", False)]
    app.config["CARTE_CONTACT_RETENTION_DAYS"] = 0
    assert "1 contact de plus de 0 jours effacé." in run(app, "purge-contacts").output
