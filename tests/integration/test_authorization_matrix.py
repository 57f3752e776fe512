"""Every route of app.url_map, times anonymous and each staff role, with the status it must answer.

MATRIX is the one table to read and to extend: a route without an entry fails the test, and so does
an entry whose route is gone. LOGIN means "302 to the login page" (HTML pages); API paths answer 401.
Requests are real ones (valid bodies, CSRF tokens for forms), so the status shows the authorisation
decision, not a validation error. State-changing cells run in table order, logout last.
"""

from __future__ import annotations

import io

import pytest
from flask import url_for

from carte.extensions import db
from tests.helpers import csrf_token_from, jpeg_with_gps, login_as, report_payload

ROLES = ("anonymous", "agent", "facilitator", "moderator", "admin")
LOGIN = "login"


def ALL(status: int) -> tuple:  # noqa: N802 (reads as a constant in the table)
    return (status,) * len(ROLES)


# An agent (one body's staff) sees the follow-up queue, not the facilitators' pages.
STAFF = (LOGIN, 403, 200, 200, 200)
STAFF_API = (401, 403, 200, 200, 200)
MODERATORS = (LOGIN, 403, 403, 200, 200)
ADMINS = (LOGIN, 403, 403, 403, 200)
ADMINS_POST = (LOGIN, 403, 403, 403, 303)

MATRIX: dict[tuple[str, str], tuple] = {
    ("aggregates.heatmap", "GET"): ALL(200),
    ("aggregates.hotspots", "GET"): ALL(200),
    ("aggregates.issue_groups", "GET"): ALL(200),
    ("aggregates.passerelles", "GET"): ALL(200),
    ("aggregates.similar_places", "GET"): ALL(422),  # public; without ?code= the same 422 for everyone
    ("aggregates.shared_needs", "GET"): ALL(200),
    ("aggregates.territories", "GET"): ALL(200),
    ("alerts.confirm", "GET"): ALL(404),  # the signed link is the only key: a wrong one opens nothing
    ("alerts.confirm", "POST"): ALL(404),
    ("alerts.one_click_unsubscribe", "POST"): ALL(404),
    ("alerts.subscribe", "POST"): ALL(202),  # never says whether the address is known
    ("alerts.unsubscribe", "GET"): ALL(404),
    ("alerts.unsubscribe", "POST"): ALL(404),
    ("api.communes", "GET"): ALL(200),
    ("api.list_reports", "GET"): ALL(200),
    ("api.post_report", "POST"): ALL(201),
    ("api.show_report", "GET"): ALL(200),
    ("api.similar", "GET"): ALL(422),  # public; without lat/lon/theme/title the same 422 for everyone
    ("api.themes", "GET"): ALL(200),
    ("auth.login", "GET"): (200, 302, 302, 302, 302),  # logged in: straight to `next`
    ("auth.login", "POST"): ALL(401),  # wrong password, whoever asks
    ("auth.logout", "POST"): ALL(302),
    ("dashboard.chronology", "GET"): STAFF_API,
    ("dashboard.export_reports", "GET"): STAFF,
    ("dashboard.index", "GET"): STAFF,
    ("dashboard.open_aggregates", "GET"): ALL(200),
    ("workshop_admin.synthesis", "GET"): STAFF,
    ("workshop_admin.synthesis_map", "GET"): STAFF,
    ("workshop_admin.synthesis_pdf", "GET"): STAFF,
    ("workshop_admin.workshop_close", "POST"): (
        LOGIN,
        403,
        303,
        403,
        303,
    ),  # the workshop's creator (the facilitator) or an admin
    ("workshop_admin.workshop_detail", "GET"): STAFF,
    ("workshop_admin.workshop_list", "GET"): STAFF,
    ("workshop_admin.workshop_list", "POST"): (LOGIN, 403, 303, 303, 303),
    ("workshop_admin.workshop_reopen", "POST"): (LOGIN, 403, 303, 403, 303),
    ("erasure.erase", "GET"): ADMINS,
    ("erasure.erase", "POST"): (LOGIN, 403, 403, 403, 200),  # the counts first; erasing takes a second step
    ("feeds.report_feed", "GET"): ALL(200),
    ("feeds.reports_feed", "GET"): ALL(200),
    # The civic loop. Nobody in the matrix wrote or follows the report when this cell runs: 403 for all.
    ("followup.answer_resolution", "POST"): ALL(403),
    ("followup.follow_report", "POST"): ALL(201),  # anyone, by the contributor cookie
    ("followup.unfollow_report", "DELETE"): ALL(200),
    # Agents see their own body's queue; facilitators read every body's (they reassign), moderators and
    # admins answer for every body. The matrix's report is in Paris: the agent (Saint-Denis) may not open it.
    ("followup.post_report_update", "POST"): (LOGIN, 403, 403, 303, 303),
    ("followup.queue", "GET"): (LOGIN, 200, 200, 200, 200),
    ("followup.queue_csv", "GET"): (LOGIN, 200, 200, 200, 200),
    ("followup.reassign", "POST"): (LOGIN, 403, 303, 303, 303),
    ("followup.report_page", "GET"): (LOGIN, 403, 200, 200, 200),
    ("language.switch_language", "POST"): ALL(303),
    ("media.photo_file", "GET"): ALL(200),
    ("themes.create_theme", "POST"): ADMINS_POST,
    ("moderation.decide", "POST"): (LOGIN, 403, 403, 303, 303),
    ("themes.delete_theme", "POST"): ADMINS_POST,
    ("audit.journal", "GET"): ADMINS,
    ("moderation.queue", "GET"): MODERATORS,
    ("themes.index", "GET"): ADMINS,
    ("themes.update_theme", "POST"): ADMINS_POST,
    ("open311.discovery", "GET"): ALL(200),
    ("open311.list_requests", "GET"): ALL(200),
    ("open311.list_updates", "GET"): ALL(200),
    ("open311.post_update", "POST"): ALL(200),  # authorised by its api_key's body, never by a session
    ("open311.post_request", "POST"): ALL(200),  # authorised by its api_key, never by a session
    ("open311.service_definition", "GET"): ALL(200),
    ("open311.services", "GET"): ALL(200),
    ("open311.show_request", "GET"): ALL(200),
    ("openapi.docs", "GET"): ALL(200),
    ("openapi.openapi_json", "GET"): ALL(200),
    ("pages.accessibility", "GET"): ALL(200),
    ("pages.index", "GET"): ALL(200),
    ("pages.report_page", "GET"): ALL(200),  # public: one page per published report
    ("participation.flag_comment", "POST"): ALL(201),
    ("participation.flag_report", "POST"): ALL(201),
    ("participation.list_comments", "GET"): ALL(200),
    ("participation.post_comment", "POST"): ALL(201),
    ("participation.post_photos", "POST"): ALL(403),  # only the report's author (its contributor cookie)
    ("participation.report_participation", "GET"): ALL(200),
    ("participation.vote", "POST"): ALL(201),
    ("participation.withdraw", "DELETE"): ALL(200),
    ("workshop.comparison", "GET"): STAFF_API,
    ("workshop.enter_code", "GET"): ALL(200),
    ("workshop.join", "GET"): ALL(200),
    ("workshop.projection", "GET"): STAFF,
    ("workshop.qr", "GET"): ALL(200),
    ("workshop.state", "GET"): STAFF_API,
    ("workshop.stream", "GET"): STAFF,
    ("workshop.submit", "POST"): ALL(201),
    ("withdrawal.confirm", "GET"): ALL(404),  # the private link is the only key: a wrong one opens nothing
    ("withdrawal.confirm", "POST"): ALL(404),
    ("withdrawal.withdraw_comment", "DELETE"): ALL(403),  # only the browser that posted it
    ("withdrawal.withdraw_report", "DELETE"): ALL(403),
}
RUN_LAST = {("auth.logout", "POST")}  # it ends the session the other cells need

# URL arguments: by name, then per endpoint. "@name" is an object of `world`; anything else is literal.
ARGUMENTS = {
    "code": "@workshop",
    "public_id": "@report",
    "request_id": "@report",
    "fmt": "json",
    "kind": "svg",
    "target_type": "comment",
    "theme_id": "@theme",
    "anything": "inconnu",
    "token": "lien-inconnu",
}
ENDPOINT_ARGUMENTS = {
    "dashboard.export_reports": {"fmt": "csv"},
    "media.photo_file": {"public_id": "@photo"},
    "moderation.decide": {"public_id": "@comment"},
    "themes.delete_theme": {"theme_id": "@spare_theme"},
    "open311.service_definition": {"code": "mobilite"},
    "participation.flag_comment": {"public_id": "@comment"},
    "withdrawal.withdraw_comment": {"public_id": "@comment"},
    "workshop.submit": {"code": "@busy_workshop"},  # the other workshop's synthesis stays small
}
WORKSHOP_REPORT = {**report_payload(), "theme": "emploi-insertion"}
# Bodies: "json" for API calls, "form" for HTML forms (a CSRF token is added), "files" for uploads.
BODIES = {
    "alerts.subscribe": {"json": {"email": "matrice@example.org", "commune": "93066"}},
    "alerts.one_click_unsubscribe": {"data": {"List-Unsubscribe": "One-Click"}},
    "api.post_report": {"json": report_payload()},
    "auth.login": {"form": {"email": "personne@example.org", "password": "pas le bon mot de passe"}},
    "erasure.erase": {"form": {"contributor": "inconnu"}},
    "followup.answer_resolution": {"json": {"answer": "confirmed"}},
    "followup.post_report_update": {"form": {"progress": "acknowledged", "text": "Transmis au service de la voirie."}},
    "followup.reassign": {"form": {"body": "75056", "reason": "Relève de la Ville de Paris."}},
    "workshop_admin.workshop_list": {
        "form": {
            "title": "Atelier",
            "date": "2026-11-27",
            "place": "Salle des fêtes",
            "question": "Qu'est-ce qui manque ici ?",
        }
    },
    "language.switch_language": {"form": {"lang": "fr", "next": "/"}},
    "themes.create_theme": {"form": {"label": "Thème de la matrice", "color": "#336699", "active": "1"}},
    "moderation.decide": {"form": {"action": "publish"}},
    "themes.update_theme": {"form": {"label": "Thème renommé", "color": "#336699", "active": "1"}},
    "open311.post_request": {
        "data": {
            "api_key": "@api_key",
            "service_code": "mobilite",
            "lat": "48.8584",
            "long": "2.2945",
            "description": "Feu piéton en panne depuis trois jours.",
        }
    },
    "open311.post_update": {
        "data": {
            "api_key": "@body_api_key",
            "service_request_id": "@report",
            "status": "in_progress",
            "description": "Intervention prévue cette semaine.",
        }
    },
    "participation.flag_comment": {"json": {"reason": "spam"}},
    "participation.flag_report": {"json": {"reason": "spam"}},
    "participation.post_comment": {"json": {"body": "Je confirme, c'est dangereux le soir."}},
    "participation.post_photos": {"files": True},
    "participation.vote": {"json": {"kind": "support"}},
    "workshop.submit": {"json": WORKSHOP_REPORT},
}


def routes(app) -> dict[tuple[str, str], list]:
    found: dict[tuple[str, str], list] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.setdefault((rule.endpoint, method), []).append(rule)
    return found


def test_every_route_has_an_entry_and_every_entry_a_route(app):
    present = set(routes(app))
    assert sorted(present - set(MATRIX)) == [], "routes without an entry in MATRIX"
    assert sorted(set(MATRIX) - present) == [], "MATRIX entries whose route is gone"


@pytest.fixture
def world(app, tmp_path) -> dict:
    """One of everything a route can name: report, comment, photo, workshop, themes, API key, staff clients."""
    from carte.geo.atlas import get_atlas
    from carte.models import Theme
    from carte.open311.keys import issue_key

    app.config.update(CARTE_UPLOAD_DIR=str(tmp_path / "uploads"), CARTE_FLAGS_TO_HIDE=100)
    author = app.test_client()
    report = author.post("/api/v1/reports", json=report_payload()).get_json()["id"]
    comment = author.post(f"/api/v1/reports/{report}/comments", json={"body": "Même chose devant l'école."}).get_json()
    photo = author.post(
        f"/api/v1/reports/{report}/photos", data={"photos": [(io.BytesIO(jpeg_with_gps()), "photo.jpg")]}
    ).get_json()["photos"][0]
    clients = {"anonymous": app.test_client()}
    for role in ROLES[1:]:
        clients[role] = app.test_client()
        login_as(clients[role], app, role)
    token = csrf_token_from(clients["facilitator"].get("/animation/ateliers").get_data(as_text=True))
    workshops = [
        clients["facilitator"]
        .post("/animation/ateliers", data={**BODIES["workshop_admin.workshop_list"]["form"], "csrf_token": token})
        .headers["Location"]
        .rsplit("/", 1)[1]
        for _ in range(2)
    ]
    with app.app_context():
        themes = [Theme(slug=slug, label=slug, color="#112233", active=True) for slug in ("matrice", "matrice-bis")]
        db.session.add_all(themes)
        db.session.commit()
        theme_ids = [t.id for t in themes]
        api_key = issue_key(db.session, "matrice")
        body_api_key = issue_key(db.session, "matrice-organisme", "75056", get_atlas(app).bodies)  # the report's body
    return {
        "report": report,
        "comment": comment["id"],
        "photo": photo["id"],
        "workshop": workshops[0],
        "busy_workshop": workshops[1],
        "theme": theme_ids[0],
        "spare_theme": theme_ids[1],
        "api_key": api_key,
        "body_api_key": body_api_key,
        "clients": clients,
    }


def resolve(world: dict, value):
    return world[value[1:]] if isinstance(value, str) and value.startswith("@") else value


def build_request(app, client, world: dict, endpoint: str, method: str, rule) -> dict:
    names = {**ARGUMENTS, **ENDPOINT_ARGUMENTS.get(endpoint, {})}
    values = {name: resolve(world, names[name]) for name in rule.arguments if name not in (rule.defaults or {})}
    with app.test_request_context():
        url = url_for(endpoint, **values, **(rule.defaults or {}))
    body = BODIES.get(endpoint, {})
    request = {"method": method, "path": url, "buffered": False}
    if "json" in body:
        request["json"] = body["json"]
    elif "data" in body:
        request["data"] = {k: resolve(world, v) for k, v in body["data"].items()}
    elif "files" in body:
        request["data"] = {"photos": [(io.BytesIO(jpeg_with_gps()), "photo.jpg")]}
    elif method == "POST" and not url.startswith(("/api/", "/open311/")):
        token = csrf_token_from(client.get("/").get_data(as_text=True))  # the language switch's form
        request["data"] = {**body.get("form", {}), "csrf_token": token}
    return request


def observed(response) -> int | str:
    if response.status_code == 302 and response.headers["Location"].startswith("/connexion"):
        return LOGIN
    return response.status_code


def test_authorization_matrix(app, world):
    table = routes(app)
    order = [cell for cell in MATRIX if cell not in RUN_LAST] + [cell for cell in MATRIX if cell in RUN_LAST]
    mismatches = []
    for column, role in enumerate(ROLES):
        client = world["clients"][role]
        for endpoint, method in order:
            for rule in table.get((endpoint, method), []):
                response = client.open(**build_request(app, client, world, endpoint, method, rule))
                got = observed(response)
                response.close()  # the live stream never ends on its own
                if got != MATRIX[endpoint, method][column]:
                    mismatches.append(
                        f"{role:<11} {method:<6} {rule.rule:<55} expected {MATRIX[endpoint, method][column]}, got {got}"
                    )
    assert mismatches == [], "\n" + "\n".join(mismatches)
