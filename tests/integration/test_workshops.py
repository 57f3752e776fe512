"""Workshop mode: setup, participants' page and submissions, restrictions, closing, live state and stream."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from carte.extensions import db
from carte.models import Report
from carte.models.workshops import Workshop
from tests.helpers import BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL, TOUR_EIFFEL, VERSAILLES, csrf_token_from, login_as

QUESTION = "Quels problèmes rencontrez-vous pour accéder à l'emploi ?"
AMBIGUOUS = set("0O1IL2Z5S8BUVDQ")


def create(client, **fields) -> tuple:
    page = client.get("/animation/ateliers")
    form = {
        "title": "Atelier emploi",
        "date": "2026-11-27",
        "place": "Maison de quartier, Saint-Denis",
        "question": QUESTION,
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        **fields,
    }
    return client.post("/animation/ateliers", data=form)


@pytest.fixture
def workshop_code(app, client):
    login_as(client, app, "facilitator")
    response = create(client)
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/", 1)[1]


def post(client, code, **fields):
    lon, lat = fields.pop("point", TOUR_EIFFEL)
    payload = {
        "theme": "emploi-insertion",
        "title": "Offres trop loin de chez moi",
        "description": "Deux heures de transport pour un entretien.",
        "lat": lat,
        "lon": lon,
        **fields,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return client.post(f"/api/v1/ateliers/{code}/signalements", json=payload)


def count_reports(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Report.id)))


def test_facilitator_creates_a_workshop_with_code_url_and_qr(app, client, workshop_code):
    assert len(workshop_code) == 6 and not (set(workshop_code) & AMBIGUOUS)
    page = client.get(f"/animation/ateliers/{workshop_code}").get_data(as_text=True)
    assert workshop_code in page and QUESTION.replace("'", "&#39;") in page
    assert f"http://localhost/a/{workshop_code}" in page
    png = client.get(f"/atelier/{workshop_code}/qr.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    svg = client.get(f"/atelier/{workshop_code}/qr.svg?telecharger=1")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert "attachment" in svg.headers["Content-Disposition"]
    with app.app_context():
        workshop = db.session.scalars(select(Workshop)).one()
        assert (workshop.title, workshop.status, workshop.question) == ("Atelier emploi", "open", QUESTION)
        assert workshop.created_by is not None


def test_workshop_pages_need_a_facilitator(app, client):
    assert client.get("/animation/ateliers").status_code == 302
    assert "/connexion" in client.get("/animation").headers["Location"]
    login_as(client, app, "moderator")  # a stronger role may too
    assert client.get("/animation/ateliers").status_code == 200


def test_invalid_setup_is_refused_and_nothing_is_stored(app, client):
    login_as(client, app, "facilitator")
    response = create(client, title="", date="27/11/2026", themes=["pas-un-theme"])
    assert response.status_code == 422
    assert "Le titre est obligatoire." in response.get_data(as_text=True)
    assert create(client, territoire="999999999").status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Workshop.id))) == 0


@pytest.mark.backends
def test_participant_joins_without_account_and_reports_are_tagged(app, client, workshop_code):
    phone = app.test_client()
    page = phone.get(f"/a/{workshop_code.lower()}")
    assert page.status_code == 200
    assert QUESTION.replace("'", "&#39;") in page.get_data(as_text=True)
    assert 'name="viewport"' in page.get_data(as_text=True)

    pinned = post(phone, workshop_code, point=BASILIQUE_SAINT_DENIS)
    assert pinned.status_code == 201, pinned.get_json()
    assert pinned.get_json()["commune"]["code"] == "93066"
    by_commune = post(phone, workshop_code, lat=None, lon=None, point=(None, None), commune="93048")
    assert by_commune.status_code == 201, by_commune.get_json()
    with app.app_context():
        rows = db.session.scalars(select(Report).order_by(Report.id)).unique().all()
        workshop_id = db.session.scalar(select(Workshop.id))
        assert [r.workshop_id for r in rows] == [workshop_id, workshop_id]
        assert all(f"atelier-{workshop_code.lower()}" in [t.tag for t in r.tags] for r in rows)
        assert (rows[1].commune_code, rows[1].approximate) == ("93048", True)
        assert rows[0].approximate is False


def test_unknown_code_is_a_clear_404(client):
    response = client.post("/api/v1/ateliers/AAAAAA/signalements", json={})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/a/XXXXXX").status_code == 404


@pytest.mark.backends
def test_theme_and_territory_restrictions(app, client):
    login_as(client, app, "facilitator")
    response = create(client, themes=["emploi-insertion"], territoire="200057867")  # Plaine Commune
    code = response.headers["Location"].rsplit("/", 1)[1]
    phone = app.test_client()
    join = phone.get(f"/a/{code}").get_data(as_text=True)
    assert 'value="mobilite"' not in join and 'value="emploi-insertion"' in join
    assert 'value="93066"' in join and 'value="94081"' not in join  # Saint-Denis yes, Vitry no
    wrong_theme = post(phone, code, theme="mobilite", point=BASILIQUE_SAINT_DENIS)
    assert wrong_theme.status_code == 422
    assert wrong_theme.get_json()["error"] == {
        "code": "theme_not_in_workshop",
        "message": "Ce thème ne fait pas partie de l'atelier.",
        "field": "theme",
    }
    outside = post(phone, code, point=MAIRIE_MONTREUIL)  # Est Ensemble
    assert outside.get_json()["error"]["code"] == "outside_workshop_territory"
    assert post(phone, code, point=VERSAILLES).get_json()["error"]["code"] == "outside_area"
    assert count_reports(app) == 0
    assert post(phone, code, point=BASILIQUE_SAINT_DENIS).status_code == 201


@pytest.mark.backends
def test_closed_workshop_refuses_submissions_with_a_clear_message(app, client, workshop_code):
    page = client.get(f"/animation/ateliers/{workshop_code}")
    closed = client.post(
        f"/animation/ateliers/{workshop_code}/cloture",
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True))},
    )
    assert closed.status_code == 303 and closed.headers["Location"].endswith(
        f"/animation/ateliers/{workshop_code}/synthese"
    )
    phone = app.test_client()
    refused = post(phone, workshop_code)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "workshop_closed"
    assert "terminé" in refused.get_json()["error"]["message"]
    assert "Cet atelier est terminé" in phone.get(f"/a/{workshop_code}").get_data(as_text=True)
    assert count_reports(app) == 0


@pytest.mark.config(CARTE_WORKSHOP_RATE_LIMIT="2/minute", RATELIMIT_ENABLED=True)
def test_submissions_are_rate_limited_per_device_not_per_room(app, client, workshop_code):
    first_phone, second_phone = app.test_client(), app.test_client()  # same IP, like a venue's Wi-Fi
    first_phone.get(f"/a/{workshop_code}")
    second_phone.get(f"/a/{workshop_code}")
    assert [post(first_phone, workshop_code).status_code for _ in range(3)] == [201, 201, 429]
    assert post(first_phone, workshop_code).get_json()["error"]["code"] == "rate_limited"
    assert post(second_phone, workshop_code).status_code == 201
    assert count_reports(app) == 3


@pytest.mark.backends
def test_live_state_counts_themes_and_communes(app, client, workshop_code):
    phone = app.test_client()
    post(phone, workshop_code, point=BASILIQUE_SAINT_DENIS)
    post(phone, workshop_code, point=BASILIQUE_SAINT_DENIS, title="Pas de crèche pour aller travailler")
    post(phone, workshop_code, point=MAIRIE_MONTREUIL, theme="mobilite", title="Bus trop rares le matin")
    state = client.get(f"/api/v1/ateliers/{workshop_code}/etat").get_json()
    assert state["count"] == 3
    assert [(r["theme"], r["count"]) for r in state["ranking"]] == [("emploi-insertion", 2), ("mobilite", 1)]
    assert [(c["code"], c["count"]) for c in state["communes"]] == [("93066", 2), ("93048", 1)]
    assert sum(p["count"] for p in state["heatmap"]) == 3
    assert state["hotspots"]["type"] == "FeatureCollection"
    assert app.test_client().get(f"/api/v1/ateliers/{workshop_code}/etat").status_code == 401


@pytest.mark.backends
def test_comparison_puts_the_workshop_beside_the_metropolitan_ranking(app, client, workshop_code, reports):
    reports.create(theme="logement", title="Loyers trop chers")
    post(app.test_client(), workshop_code)
    data = client.get(f"/api/v1/ateliers/{workshop_code}/comparaison").get_json()
    assert data["workshop"] == [{"theme": "emploi-insertion", "label": data["workshop"][0]["label"], "count": 1}]
    metro = {m["theme"]: m for m in data["metropole"]}
    assert metro["logement"]["rank"] < metro["securite-tranquillite"]["rank"]
    assert all(isinstance(m["sentence"], str) and m["sentence"] for m in data["metropole"])


def read_events(chunks, wanted: int) -> list[dict]:
    events, buffer = [], ""
    for chunk in chunks:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            message, buffer = buffer.split("\n\n", 1)
            if message.startswith("event: snapshot"):
                events.append(json.loads(re.search(r"^data: (.*)$", message, re.M).group(1)))
                if len(events) == wanted:
                    return events
    return events


@pytest.mark.backends
def test_stream_sends_a_snapshot_then_one_after_each_submission(app, client, workshop_code):
    response = client.get(f"/atelier/{workshop_code}/flux", buffered=False)
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    first = read_events(chunks, 1)
    assert first[0]["count"] == 0 and first[0]["status"] == "open"
    assert post(app.test_client(), workshop_code, point=BASILIQUE_SAINT_DENIS).status_code == 201
    second = read_events(chunks, 1)
    assert second[0]["count"] == 1
    assert second[0]["communes"] == [{"code": "93066", "nom": "Saint-Denis", "count": 1}]
    response.close()


def test_stream_needs_a_facilitator(app, workshop_code):
    assert app.test_client().get(f"/atelier/{workshop_code}/flux").status_code == 302


def test_join_address_warns_about_localhost(app, client, workshop_code):
    page = client.get(f"/animation/ateliers/{workshop_code}").get_data(as_text=True)
    assert 'id="join-url-warning"' in page  # http://localhost/... cannot be reached from a phone


@pytest.mark.config(CARTE_PUBLIC_URL="http://192.168.1.20:5000/")
def test_public_url_sets_the_join_address(app, client, workshop_code):
    page = client.get(f"/animation/ateliers/{workshop_code}").get_data(as_text=True)
    assert f'href="http://192.168.1.20:5000/a/{workshop_code}"' in page
    assert 'id="join-url-warning"' not in page
    projection = client.get(f"/atelier/{workshop_code}/projection").get_data(as_text=True)
    assert f"http://192.168.1.20:5000/a/{workshop_code}" in projection
