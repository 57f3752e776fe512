"""Every message a person reads follows the request's language, server messages included: API errors
keep their stable `code` and `field`, and their message is in the asked language."""

import pytest


@pytest.mark.parametrize("lang, message", [("fr", "Au moins 5 caractères."), ("en", "At least 5 characters.")])
def test_api_error_messages_follow_the_language(client, reports, lang, message):
    response = client.post("/api/v1/reports", json={**_payload(), "title": "abc"}, headers={"Accept-Language": lang})
    assert response.status_code == 422
    assert response.get_json()["error"] == {"code": "too_short", "message": message, "field": "title"}


def test_the_session_choice_wins_over_the_browser(client):
    page = client.get("/")
    from tests.helpers import csrf_token_from

    client.post("/langue", data={"lang": "en", "next": "/", "csrf_token": csrf_token_from(page.get_data(as_text=True))})
    response = client.get("/api/v1/reports?since=2026-02-01&until=2026-01-01", headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "The start date must come before the end date."


def test_parameters_survive_translation(client):
    response = client.get("/api/v1/reports?bbox=2.3,48.8,2.4,48.9&zoom=99", headers={"Accept-Language": "en"})
    assert response.get_json()["error"] == {
        "code": "invalid_zoom",
        "message": "zoom expects a whole number between 0 and 22.",
        "field": "zoom",
    }


@pytest.mark.parametrize(
    "lang, title, back",
    [("fr", "Ressource introuvable.", "Retour à la carte"), ("en", "Resource not found.", "Back to the map")],
)
def test_error_pages_speak_the_request_language(client, lang, title, back):
    response = client.get("/pas-de-page-ici", headers={"Accept-Language": lang, "Accept": "text/html"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in html and f"<p>{title}</p>" in html and back in html
    assert "carte.css" in html  # styled like the other pages


def _payload():
    from tests.helpers import report_payload

    return report_payload()


@pytest.mark.parametrize("lang, label", [("fr", "Mobilité"), ("en", "Transport and mobility")])
def test_theme_labels_follow_the_language(client, reports, lang, label):
    """Seeded themes have an English label (admins edit it); every answer that names a theme uses it."""
    themes = {
        t["slug"]: t["label"]
        for t in client.get("/api/v1/themes", headers={"Accept-Language": lang}).get_json()["themes"]
    }
    assert themes["mobilite"] == label
    created = client.post("/api/v1/reports", json=_payload(), headers={"Accept-Language": lang}).get_json()
    assert created["theme"] == "mobilite" and created["theme_label"] == label
    detail = client.get(f"/api/v1/reports/{created['id']}", headers={"Accept-Language": lang}).get_json()
    assert detail["theme_label"] == label
    listed = client.get("/api/v1/reports?bbox=2.0,48.6,2.7,49.1&zoom=16", headers={"Accept-Language": lang}).get_json()
    assert {f["properties"]["theme_label"] for f in listed["features"] if f["properties"]["theme"] == "mobilite"} == {
        label
    }
