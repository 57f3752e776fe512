"""Residents withdraw their own reports and comments: from the browser that posted them, or with
the private link shown once. Withdrawn items leave every public view; their texts are erased."""

from __future__ import annotations

import hashlib
import io

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from carte.extensions import db
from carte.models import Report, ReportTag
from carte.models.accounts import AuditLog
from carte.models.participation import Comment, Flag, Photo
from tests.helpers import csrf_token_from, jpeg_with_gps

pytestmark = pytest.mark.backends

TITLE = "Trottoir défoncé devant l'école"
SECRET = "mon voisin du 3e étage"


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def audit(app) -> list[tuple]:
    with app.app_context():
        return [
            (a.action, a.target_type, a.target_id, a.reason, a.user_id)
            for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id)).unique()
        ]


def stored_report(app, public_id) -> Report:
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).unique().one()
        db.session.expunge(report)
        return report


def test_the_201_carries_a_private_link_once_and_only_its_hash_is_stored(app, reports, client):
    created = reports.create(title=TITLE)
    url = created["withdraw_url"]
    assert url.startswith("http://localhost/retrait/") and len(token_of(url)) >= 40
    assert stored_report(app, created["id"]).withdraw_hash == hashlib.sha256(token_of(url).encode()).hexdigest()
    assert "withdraw_url" not in client.get(f"/api/v1/reports/{created['id']}").get_json()
    comment = client.post(f"/api/v1/reports/{created['id']}/comments", json={"body": "Moi aussi"}).get_json()
    assert comment["withdraw_url"] != url and comment["can_withdraw"] is True
    with app.app_context():
        (stored,) = db.session.scalars(select(Comment)).all()
        assert stored.withdraw_hash == hashlib.sha256(token_of(comment["withdraw_url"]).encode()).hexdigest()
    listed = client.get(f"/api/v1/reports/{created['id']}/comments").get_json()["comments"]
    assert "withdraw_url" not in listed[0]


@pytest.mark.config(CARTE_MIN_PUBLIC_COUNT=1)
def test_the_author_withdraws_a_report_and_it_leaves_every_public_view(app, client, reports, uploads, tmp_path):
    from tests.integration.test_import import run

    created = reports.create(
        title=TITLE,
        description=f"Signalé par {SECRET}",
        tags=["école", "trottoir"],
        location_text="12 rue des Écoles",
        author_name="Camille",
    )
    rid = created["id"]
    photo = client.post(
        f"/api/v1/reports/{rid}/photos",
        data={"photos": [(io.BytesIO(jpeg_with_gps()), "a.jpg")]},
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201 and len(list(uploads.iterdir())) == 2
    other = app.test_client()
    assert other.post(f"/api/v1/reports/{rid}/flags", json={"reason": "spam"}).status_code == 201
    assert client.get(f"/api/v1/reports/{rid}/participation").get_json()["can_withdraw"] is True
    assert other.get(f"/api/v1/reports/{rid}/participation").get_json()["can_withdraw"] is False

    def commune_count():
        places = client.get("/api/v1/aggregates/territories?level=commune&theme=mobilite").get_json()["places"]
        return next((p["count"] or 0 for p in places if p["code"] == created["commune"]["code"]), 0)

    before = commune_count()
    assert before >= 1
    assert any(f["id"] == rid for f in client.get("/api/v1/reports").get_json()["features"])

    refused = other.delete(f"/api/v1/reports/{rid}")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_author"
    assert stored_report(app, rid).status == "published"

    response = client.delete(f"/api/v1/reports/{rid}")
    assert response.status_code == 200 and response.get_json() == {"id": rid, "status": "withdrawn"}

    assert client.get(f"/api/v1/reports/{rid}").status_code == 404
    assert client.get(f"/api/v1/reports/{rid}/participation").status_code == 404
    assert all(f["id"] != rid for f in client.get("/api/v1/reports").get_json()["features"])
    assert commune_count() == before - 1
    assert rid not in client.get("/open311/v2/requests.json").get_data(as_text=True)
    assert client.get(f"/open311/v2/requests/{rid}.json").status_code == 404
    assert run(app, "export", tmp_path / "out.csv").exit_code == 0
    exported = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert rid not in exported and TITLE not in exported

    report = stored_report(app, rid)
    assert (report.status, report.title, report.description, report.author_name, report.location_text) == (
        "withdrawn",
        "",
        "",
        None,
        None,
    )
    assert report.withdraw_hash is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportTag)) == 0
        assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
        assert db.session.scalar(select(func.count()).select_from(Flag).where(Flag.resolved.is_(False))) == 0
    assert list(uploads.iterdir()) == []
    entries = audit(app)
    assert entries[-1] == ("withdraw", "report", rid, "author", None)
    assert not any(SECRET in str(e) or TITLE in str(e) for e in entries)
    assert client.delete(f"/api/v1/reports/{rid}").status_code == 404  # once is enough
    # A used private link no longer works.
    assert client.get(f"/retrait/{token_of(created['withdraw_url'])}").status_code == 404


def test_the_private_link_withdraws_a_report_from_another_browser(app, reports):
    created = reports.create(title=TITLE)
    link = created["withdraw_url"].removeprefix("http://localhost")
    elsewhere = app.test_client()
    page = elsewhere.get(link)
    assert page.status_code == 200 and str(escape(TITLE)) in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer" and "no-store" in page.headers["Cache-Control"]
    assert stored_report(app, created["id"]).status == "published"  # a GET (link preview) withdraws nothing
    assert elsewhere.post(link).status_code == 400  # no CSRF token
    done = elsewhere.post(link, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert done.status_code == 200 and "Votre signalement est retiré." in done.get_data(as_text=True)
    assert stored_report(app, created["id"]).status == "withdrawn"
    assert audit(app)[-1] == ("withdraw", "report", created["id"], "private link", None)
    again = elsewhere.get(link)
    assert again.status_code == 404 and "Ce lien de retrait ne fonctionne pas" in again.get_data(as_text=True)


def test_unknown_tokens_answer_a_clear_404_page(client):
    for token in ("nope", "x" * 43, "x" * 5000):
        response = client.get(f"/retrait/{token}")
        assert response.status_code == 404 and "Ce lien de retrait ne fonctionne pas" in response.get_data(as_text=True)


def test_comments_are_withdrawn_by_their_author_or_their_link(app, client, reports):
    rid = reports.create(title=TITLE)["id"]
    first = client.post(f"/api/v1/reports/{rid}/comments", json={"body": f"Je confirme, {SECRET}"}).get_json()
    second = client.post(
        f"/api/v1/reports/{rid}/comments", json={"body": "Deuxième avis", "author_name": "Lou"}
    ).get_json()
    other = app.test_client()
    assert [c["can_withdraw"] for c in other.get(f"/api/v1/reports/{rid}/participation").get_json()["comments"]] == [
        False,
        False,
    ]
    assert [c["can_withdraw"] for c in client.get(f"/api/v1/reports/{rid}/participation").get_json()["comments"]] == [
        True,
        True,
    ]
    refused = other.delete(f"/api/v1/comments/{first['id']}")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_author"

    assert client.delete(f"/api/v1/comments/{first['id']}").status_code == 200
    link = second["withdraw_url"].removeprefix("http://localhost")
    page = other.get(link)
    assert "Deuxième avis" in page.get_data(as_text=True)
    assert other.post(link, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))}).status_code == 200

    assert client.get(f"/api/v1/reports/{rid}/comments").get_json()["comments"] == []
    assert client.get(f"/api/v1/reports/{rid}").get_json().get("comment_count", 0) == 0
    with app.app_context():
        rows = db.session.scalars(select(Comment).order_by(Comment.id)).all()
        assert [(c.status, c.body, c.author_name, c.withdraw_hash) for c in rows] == [("withdrawn", "", None, None)] * 2
        assert db.session.scalar(select(Report.comment_count)) == 0
    assert [e[:4] for e in audit(app)[-2:]] == [
        ("withdraw", "comment", first["id"], "author"),
        ("withdraw", "comment", second["id"], "private link"),
    ]
    assert client.delete("/api/v1/comments/inconnu").status_code == 404
