"""The bodies' queue (/animation/suivi): scope by body (commune, territory routing, reassignment),
filters, pages, CSV, posting updates, reassigning, and who may do what (on both backends)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from carte.extensions import db
from carte.geo.atlas import get_atlas
from carte.models import Report, Theme
from carte.models.accounts import AuditLog
from carte.models.followup import ReportUpdate
from tests.helpers import BASILIQUE_SAINT_DENIS, MAIRIE_MONTREUIL, csrf_token_from, insert_points, login_as

pytestmark = pytest.mark.backends

SAINT_DENIS = {"lat": BASILIQUE_SAINT_DENIS[1], "lon": BASILIQUE_SAINT_DENIS[0]}
MONTREUIL = {"lat": MAIRIE_MONTREUIL[1], "lon": MAIRIE_MONTREUIL[0]}


def _listed(client, **params) -> list[str]:
    """The public ids in the queue's table, in order."""
    import re

    response = client.get("/animation/suivi", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return re.findall(r'<tr data-report="([^"]+)"', response.get_data(as_text=True))


def _row(app, public_id) -> Report:
    return db.session.scalars(select(Report).where(Report.public_id == public_id)).one()


def _route(app, slug, routing):
    with app.app_context():
        db.session.scalars(select(Theme).where(Theme.slug == slug)).one().routing = routing
        db.session.commit()


def _post_form(client, path, page, **data):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_an_agent_sees_its_bodys_reports_newest_first(app, client, reports):
    first = reports.create(**SAINT_DENIS)["id"]
    paris = reports.create()["id"]
    second = reports.create(theme="logement", **SAINT_DENIS)["id"]
    agent = app.test_client()
    login_as(agent, app, "agent")
    assert _listed(agent) == [second, first]
    page = agent.get("/animation/suivi").get_data(as_text=True)
    assert "Saint-Denis" in page and paris not in page
    # Another body's report: neither its page nor an update.
    assert agent.get(f"/animation/suivi/{paris}").status_code == 403
    forbidden = _post_form(
        agent, f"/animation/suivi/{paris}/mise-a-jour", "/animation/suivi", progress="fixed", text="Fait."
    )
    assert forbidden.status_code == 403
    with app.app_context():
        assert _row(app, paris).progress == "submitted"
    # An agent's queue is its own body's, whatever `body` says.
    assert _listed(agent, body="75056") == [second, first]


def test_territory_and_metropole_routing_move_the_reports_to_their_body(app, reports):
    mobility = reports.create(**SAINT_DENIS)["id"]
    housing = reports.create(theme="logement", **SAINT_DENIS)["id"]
    montreuil = reports.create(**MONTREUIL)["id"]
    with app.app_context():
        bodies = get_atlas(app).bodies
        plaine_commune = bodies.territory_of["93066"]
        assert bodies.territory_of["93048"] != plaine_commune  # Montreuil is in another territory
    _route(app, "mobilite", "territory")
    commune_agent, ept_agent, metropole_agent = app.test_client(), app.test_client(), app.test_client()
    login_as(commune_agent, app, "agent")
    login_as(ept_agent, app, "agent", body=plaine_commune)
    login_as(metropole_agent, app, "agent", body="200054781")
    assert _listed(commune_agent) == [housing]
    assert _listed(ept_agent) == [mobility]
    assert montreuil not in _listed(ept_agent) and _listed(metropole_agent) == []
    assert ept_agent.get(f"/animation/suivi/{mobility}").status_code == 200
    assert commune_agent.get(f"/animation/suivi/{mobility}").status_code == 403
    _route(app, "mobilite", "metropole")
    assert _listed(metropole_agent) == [montreuil, mobility] and _listed(ept_agent) == []


def test_a_facilitator_reassigns_with_a_reason_in_the_audit_log(app, reports):
    paris = reports.create()["id"]
    facilitator, agent = app.test_client(), app.test_client()
    user = login_as(facilitator, app, "facilitator")
    login_as(agent, app, "agent")
    assert _listed(agent) == []
    page = f"/animation/suivi/{paris}"
    # Without a reason nothing moves.
    refused = _post_form(facilitator, f"{page}/reattribution", page, body="93066", reason="")
    assert refused.status_code == 303
    unknown = _post_form(facilitator, f"{page}/reattribution", page, body="99999", reason="Erreur de commune.")
    assert unknown.status_code == 303
    with app.app_context():
        assert _row(app, paris).body_code is None
    done = _post_form(facilitator, f"{page}/reattribution", page, body="93066", reason="Le lieu relève de Saint-Denis.")
    assert done.status_code == 303
    assert "Saint-Denis" in facilitator.get(page).get_data(as_text=True)
    with app.app_context():
        assert _row(app, paris).body_code == "93066"
        logs = db.session.scalars(select(AuditLog).where(AuditLog.action == "reassign")).all()
        assert [(log.user_id, log.target_type, log.target_id, log.reason) for log in logs] == [
            (user.id, "report", paris, "93066 : Le lieu relève de Saint-Denis.")
        ]
    assert _listed(agent) == [paris]
    # An agent may not reassign, not even its own body's reports; and facilitators do not answer.
    assert _post_form(agent, f"{page}/reattribution", page, body="75056", reason="Pas chez nous.").status_code == 403
    assert _post_form(facilitator, f"{page}/mise-a-jour", page, progress="fixed", text="Fait.").status_code == 403


def test_an_agent_posts_updates_with_the_bodys_name_and_an_audit_row(app, reports, client):
    public_id = reports.create(**SAINT_DENIS)["id"]
    original = reports.create(**SAINT_DENIS)["id"]
    agent = app.test_client()
    user = login_as(agent, app, "agent")
    page = f"/animation/suivi/{public_id}"
    assert 'id="update-form"' in agent.get(page).get_data(as_text=True)
    posted = _post_form(agent, f"{page}/mise-a-jour", page, progress="in_progress", text="Équipe envoyée sur place.")
    assert posted.status_code == 303 and posted.headers["Location"].endswith(page)
    shown = agent.get(page).get_data(as_text=True)
    assert "Équipe envoyée sur place." in shown and "Mise à jour publiée" in shown
    # A refused update says why and stores nothing.
    empty = _post_form(agent, f"{page}/mise-a-jour", page, progress="in_progress", text="")
    assert empty.status_code == 303
    assert "Écrivez un texte" in agent.get(page).get_data(as_text=True)
    duplicate = _post_form(
        agent, f"{page}/mise-a-jour", page, progress="duplicate", text="Déjà signalé.", duplicate_of=original
    )
    assert duplicate.status_code == 303
    with app.app_context():
        report = _row(app, public_id)
        assert report.progress == "duplicate" and report.duplicate_of_id == _row(app, original).id
        updates = db.session.scalars(
            select(ReportUpdate).where(ReportUpdate.report_id == report.id).order_by(ReportUpdate.id)
        ).all()
        assert [(u.progress, u.body_code, u.author_kind, u.user_id) for u in updates] == [
            ("in_progress", "93066", "agent", user.id),
            ("duplicate", "93066", "agent", user.id),
        ]
        audit = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "progress_update").order_by(AuditLog.id)
        ).all()
        assert [(a.user_id, a.target_id, a.reason) for a in audit] == [
            (user.id, public_id, "in_progress"),
            (user.id, public_id, "duplicate"),
        ]
    # Residents read it, signed by the body.
    detail = client.get(f"/api/v1/reports/{public_id}").get_json()
    assert [u["body"] for u in detail["updates"]] == ["Saint-Denis", "Saint-Denis"]


def test_moderators_answer_for_every_body_and_pick_one(app, reports):
    paris = reports.create()["id"]
    saint_denis = reports.create(**SAINT_DENIS)["id"]
    moderator = app.test_client()
    login_as(moderator, app, "moderator")
    assert _listed(moderator) == [saint_denis, paris]
    assert _listed(moderator, body="93066") == [saint_denis]
    assert _listed(moderator, body="75056") == [paris]
    assert moderator.get("/animation/suivi?body=12345").status_code == 422
    page = f"/animation/suivi/{paris}"
    assert _post_form(moderator, f"{page}/mise-a-jour", page, progress="acknowledged", text="Vu.").status_code == 303
    with app.app_context():
        update = db.session.scalars(select(ReportUpdate)).one()
        assert (update.body_code, update.author_kind) == ("75056", "staff")


def test_queue_filters_and_pages(app, reports):
    fixed = reports.create(title="Lampadaire éteint rue Gabriel Péri", **SAINT_DENIS)["id"]
    reports.create(theme="logement", title="Fuite dans la cage d'escalier", **SAINT_DENIS)
    agent = app.test_client()
    login_as(agent, app, "agent")
    page = f"/animation/suivi/{fixed}"
    _post_form(agent, f"{page}/mise-a-jour", page, progress="fixed", text="Remplacé.")
    assert _listed(agent, progress="fixed") == [fixed]
    assert _listed(agent, theme="mobilite") == [fixed]
    assert _listed(agent, q="lampadaire") == [fixed]
    assert _listed(agent, q="100%_") == []
    assert _listed(agent, since="2999-01-01") == []
    assert agent.get("/animation/suivi?progress=resolu").status_code == 422
    assert agent.get("/animation/suivi?page=0").status_code == 422
    # 60 more reports in Saint-Denis: two pages of 50.
    insert_points(app, [BASILIQUE_SAINT_DENIS[0]] * 60, [BASILIQUE_SAINT_DENIS[1]] * 60, "mobilite")
    first, second = _listed(agent), _listed(agent, page=2)
    assert (len(first), len(second)) == (50, 12) and not set(first) & set(second)
    assert "62 signalements" in agent.get("/animation/suivi").get_data(as_text=True)


def test_queue_csv_has_the_body_and_progress_and_neutralises_formulas(app, reports):
    formula = reports.create(title='=HYPERLINK("http://x")', **SAINT_DENIS)["id"]
    reports.create()  # Paris: not this agent's
    agent = app.test_client()
    login_as(agent, app, "agent")
    response = agent.get("/animation/suivi.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [(r["id"], r["progress"], r["body_code"], r["body"]) for r in rows] == [
        (formula, "submitted", "93066", "Saint-Denis")
    ]
    assert rows[0]["title"].startswith("'=")
    assert agent.get("/animation/suivi.csv?progress=fixed").data.decode("utf-8-sig").count("\n") == 1


def test_agents_land_on_their_queue_after_login(app):
    from carte.accounts import create_user
    from tests.helpers import STAFF_PASSWORD

    with app.app_context():
        create_user(db.session, "agent-93@example.org", STAFF_PASSWORD, "agent", "93066", get_atlas(app).bodies)
    client = app.test_client()
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    # The login form sends `next` = "/" when no page asked for the login, like a browser does.
    response = client.post(
        "/connexion",
        data={"email": "agent-93@example.org", "password": STAFF_PASSWORD, "csrf_token": token, "next": "/"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/animation/suivi")
    # A page that asked for the login comes first.
    other = app.test_client()
    token = csrf_token_from(other.get("/connexion").get_data(as_text=True))
    back = other.post(
        "/connexion",
        data={
            "email": "agent-93@example.org",
            "password": STAFF_PASSWORD,
            "csrf_token": token,
            "next": "/animation/suivi?progress=fixed",
        },
    )
    assert back.headers["Location"].endswith("/animation/suivi?progress=fixed")
    menu = client.get("/animation/suivi").get_data(as_text=True)
    assert 'href="/animation/suivi" aria-current="page"' in menu
    facilitator = app.test_client()
    login_as(facilitator, app, "facilitator")
    assert facilitator.get("/connexion").headers["Location"].endswith("/")


def test_create_user_makes_an_agent_of_a_body(app):
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["carte", "create-user", "voirie@example.org", "--role", "agent", "--body", "93066"],
        input="un mot de passe long\n",
    )
    assert made.exit_code == 0, made.output
    assert "Saint-Denis" in made.output
    unknown = runner.invoke(
        args=["carte", "create-user", "x@example.org", "--role", "agent", "--body", "12345"],
        input="un mot de passe long\n",
    )
    assert unknown.exit_code != 0
    with app.app_context():
        from carte.models.accounts import User

        users = db.session.scalars(select(User)).all()
        assert [(u.email, u.role, u.body_code) for u in users] == [("voirie@example.org", "agent", "93066")]


def test_odd_queue_parameters_stay_out_of_its_links(app):
    moderator = app.test_client()
    login_as(moderator, app, "moderator")
    response = moderator.get("/animation/suivi?_external=1&_scheme=javascript&_anchor=x&progress=fixed")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<a class="button" id="queue-csv" href="/animation/suivi.csv?progress=fixed">' in html


def test_an_agent_without_a_body_sees_no_queue(app):
    from carte.models.accounts import User

    agent = app.test_client()
    user = login_as(agent, app, "agent")
    with app.app_context():
        db.session.get(User, user.id).body_code = None
        db.session.commit()
    assert agent.get("/animation/suivi").status_code == 403
    assert agent.get("/animation/suivi.csv").status_code == 403


def test_the_index_and_the_sql_select_the_same_queue(app, reports):
    """The queue page reads the in-memory index; the CSV and text search read SQL: same scope."""
    from carte.domain import ReportFilter
    from carte.followup.queue import QueueQuery, _scope, queue_page, write_queue_csv
    from carte.storage.reports import iter_queue
    from carte.web.aggregates import service

    lons = [BASILIQUE_SAINT_DENIS[0], MAIRIE_MONTREUIL[0], 2.2945, 2.3500] * 6
    lats = [BASILIQUE_SAINT_DENIS[1], MAIRIE_MONTREUIL[1], 48.8584, 48.8600] * 6
    insert_points(app, lons, lats, ["mobilite", "logement", "mobilite", "emploi-insertion"] * 6)
    _route(app, "mobilite", "territory")
    _route(app, "emploi-insertion", "metropole")
    with app.app_context():
        rows = db.session.scalars(select(Report).order_by(Report.id)).all()
        rows[0].body_code, rows[5].body_code, rows[6].body_code = "75056", "93066", "200054781"
        db.session.commit()
        bodies = get_atlas(app).bodies
        aggregates = service()
        checked = 0
        for body in (
            "93066",
            "75056",
            "93048",
            bodies.territory_of["93066"],
            bodies.territory_of["93048"],
            "200054781",
            None,
        ):
            for flt in (ReportFilter(), ReportFilter(themes=("mobilite",)), ReportFilter(progress=("submitted",))):
                query = QueueQuery(body=body, filter=flt)
                by_index = queue_page(
                    db.session, bodies, query, page_size=100, index=aggregates.index, places=aggregates.places
                )
                by_sql = queue_page(db.session, bodies, query, page_size=100)
                assert [r.id for r in by_index.rows] == [r.id for r in by_sql.rows], (body, flt)
                assert by_index.total == by_sql.total
                # The CSV's reading, in small batches, gives the same reports in the same order.
                streamed = [r.id for r in iter_queue(db.session, flt, _scope(db.session, bodies, body), None, batch=7)]
                assert streamed == [r.id for r in by_sql.rows]
                csv_index, csv_sql = io.StringIO(), io.StringIO()
                write_queue_csv(db.session, bodies, query, csv_index, index=aggregates.index, places=aggregates.places)
                write_queue_csv(db.session, bodies, query, csv_sql)
                assert csv_index.getvalue() == csv_sql.getvalue()
                checked += by_sql.total
        assert checked > 50  # the bodies above do hold reports
