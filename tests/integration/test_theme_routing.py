"""Theme routing in the admin (/animation/themes): who answers a theme's reports, on every backend.

The responsible body is computed (commune by default, or the territory, or the Métropole), so a
routing change moves every report of the theme at once, except those reassigned by hand.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from carte.demo import seed_themes
from carte.extensions import db
from carte.geo.atlas import get_atlas
from carte.models import Report, Theme
from carte.models.accounts import AuditLog
from tests.helpers import BASILIQUE_SAINT_DENIS, csrf_token_from, login_as

pytestmark = pytest.mark.backends

PLAINE_COMMUNE = "200057867"  # Saint-Denis's EPT (SIREN)
METROPOLE = "200054781"


def theme_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Theme.id).where(Theme.slug == slug))


def form_of(theme: Theme, **changes) -> dict:
    values = {
        "label": theme.label,
        "color": theme.color,
        "icon": theme.icon or "",
        "routing": theme.routing,
        "label_en": theme.label_en or "",
    }
    if theme.active:
        values["active"] = "1"
    values.update(changes)
    return values


def save(client, app, slug: str, **changes):
    token = csrf_token_from(client.get("/animation/themes").get_data(as_text=True))
    with app.app_context():
        theme = db.session.scalar(select(Theme).where(Theme.slug == slug))
        data = {**form_of(theme, **changes), "csrf_token": token}
        tid = theme.id
    return client.post(f"/animation/themes/{tid}", data=data)


def responsible_of(app, public_id: str) -> str:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        return get_atlas(app).bodies.responsible(report.commune_code, report.theme.routing, report.body_code)


def saint_denis_report(reports, **overrides) -> str:
    lon, lat = BASILIQUE_SAINT_DENIS
    return reports.create(lat=lat, lon=lon, **overrides)["id"]


def test_the_page_offers_routing_and_english_label_fields(client, app):
    login_as(client, app, "admin")
    page = client.get("/animation/themes").get_data(as_text=True)
    tid = theme_id(app, "mobilite")
    assert f'<label for="theme-{tid}-routing">Qui répond aux signalements</label>' in page
    select_html = re.search(rf'<select id="theme-{tid}-routing" name="routing"[^>]*>(.*?)</select>', page, re.S).group(
        1
    )
    options = re.findall(r'<option value="(\w+)" ?(selected)?>([^<]+)</option>', select_html)
    assert options == [
        ("commune", "selected", "Commune"),
        ("territory", "", "Territoire (EPT)"),
        ("metropole", "", "Métropole"),
    ]
    assert f'<label for="theme-{tid}-label-en">Libellé en anglais</label>' in page
    assert f'id="theme-{tid}-label-en" name="label_en" lang="en"' in page
    assert 'value="Transport and mobility"' in page  # the seeded English label
    assert '<select id="new-routing" name="routing"' in page

    token = csrf_token_from(page)
    client.post("/langue", data={"lang": "en", "next": "/animation/themes", "csrf_token": token})
    english = client.get("/animation/themes").get_data(as_text=True)
    assert ">Territory (EPT)</option>" in english and ">Who answers the reports</label>" in english


def test_admin_routes_a_theme_to_the_territory(client, app, reports):
    request_id = saint_denis_report(reports)
    reassigned = saint_denis_report(reports, title="Bus trop rares le soir")
    other_theme = saint_denis_report(reports, theme="logement", title="Immeuble insalubre")
    with app.app_context():
        db.session.scalar(select(Report).where(Report.public_id == reassigned)).body_code = "93066"
        db.session.commit()
    assert responsible_of(app, request_id) == "93066"

    admin = login_as(client, app, "admin")
    response = save(client, app, "mobilite", routing="territory", label_en="Getting around")
    assert response.status_code == 303
    assert "Thème enregistré." in client.get(response.headers["Location"]).get_data(as_text=True)

    with app.app_context():
        theme = db.session.scalar(select(Theme).where(Theme.slug == "mobilite"))
        assert (theme.routing, theme.label_en) == ("territory", "Getting around")
        entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "route_theme")).all()
        assert [(e.user_id, e.target_type, e.target_id, e.reason) for e in entries] == [
            (admin.id, "theme", "mobilite", "commune → territoire (EPT)")
        ]
    assert responsible_of(app, request_id) == PLAINE_COMMUNE
    assert responsible_of(app, reassigned) == "93066"  # reassigned by hand: stays
    assert responsible_of(app, other_theme) == "93066"
    # Open311 names the new body at once
    item = client.get(f"/open311/v2/requests/{request_id}.json").get_json()[0]
    assert item["agency_responsible"] == "Plaine Commune"

    journal = client.get("/animation/journal").get_data(as_text=True)
    assert "thème routé" in journal and "commune → territoire (EPT)" in journal

    assert save(client, app, "mobilite", routing="metropole").status_code == 303
    assert responsible_of(app, request_id) == METROPOLE
    # saving without changing the routing writes no audit row
    assert save(client, app, "mobilite", label="Mobilités").status_code == 303
    with app.app_context():
        reasons = db.session.scalars(
            select(AuditLog.reason).where(AuditLog.action == "route_theme").order_by(AuditLog.id)
        ).all()
    assert reasons == ["commune → territoire (EPT)", "territoire (EPT) → Métropole"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"routing": "departement"}, "Routage inconnu"), ({"label_en": "x"}, "Au moins 2 caractères")],
)
def test_invalid_routing_or_label_changes_nothing(client, app, changes, message):
    login_as(client, app, "admin")
    response = save(client, app, "mobilite", **changes)
    assert response.status_code == 303
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        theme = db.session.scalar(select(Theme).where(Theme.slug == "mobilite"))
        assert (theme.routing, theme.label_en) == ("commune", "Transport and mobility")
        assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "route_theme")) is None


def test_new_theme_with_a_routing_is_audited(client, app):
    admin = login_as(client, app, "admin")
    token = csrf_token_from(client.get("/animation/themes").get_data(as_text=True))
    response = client.post(
        "/animation/themes",
        data={
            "label": "Voirie métropolitaine",
            "color": "#336699",
            "active": "1",
            "routing": "metropole",
            "label_en": "Metropolitan roads",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    with app.app_context():
        theme = db.session.scalar(select(Theme).where(Theme.slug == "voirie-metropolitaine"))
        assert (theme.routing, theme.label_en) == ("metropole", "Metropolitan roads")
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "route_theme"))
        assert (entry.user_id, entry.target_id, entry.reason) == (
            admin.id,
            "voirie-metropolitaine",
            "commune → Métropole",
        )


@pytest.mark.parametrize("role", ["agent", "facilitator", "moderator"])
def test_only_admins_route_themes(client, app, role):
    login_as(client, app, role)
    tid = theme_id(app, "mobilite")
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post(
        f"/animation/themes/{tid}",
        data={"label": "Mobilité", "color": "#0072b2", "active": "1", "routing": "metropole", "csrf_token": token},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Theme, tid).routing == "commune"
        assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "route_theme")) is None


def test_anonymous_is_sent_to_login(client, app):
    tid = theme_id(app, "mobilite")
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post(f"/animation/themes/{tid}", data={"routing": "metropole", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    with app.app_context():
        assert db.session.get(Theme, tid).routing == "commune"


def test_seed_fills_missing_english_labels_and_keeps_edited_ones(app):
    with app.app_context():
        themes = {t.slug: t for t in db.session.scalars(select(Theme))}
        themes["logement"].label_en = None
        themes["mobilite"].label_en = "Getting around"
        db.session.commit()
        assert seed_themes(db.session) == 0
        labels = dict(db.session.execute(select(Theme.slug, Theme.label_en)).all())
    assert labels["logement"] == "Housing"
    assert labels["mobilite"] == "Getting around"
    assert labels["securite-tranquillite"] == "Safety and quiet"
    assert all(labels.values())
