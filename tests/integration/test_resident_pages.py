"""The /a code form and the accessibility statement (page rendering: SpatiaLite only)."""

from __future__ import annotations

from carte.extensions import db
from carte.models import Theme
from carte.workshops.service import create_workshop


def open_workshop(app) -> str:
    with app.app_context():
        themes = set(db.session.scalars(db.select(Theme.slug)))
        return create_workshop(
            db.session,
            {"title": "T", "date": "2026-12-01", "place": "Bobigny", "question": "Q ?"},
            themes=themes,
            territoires=(),
            created_by=None,
        ).code


def test_a_code_typed_with_spaces_and_lower_case_redirects_to_the_workshop(app, client):
    code = open_workshop(app)
    response = client.get("/a", query_string={"code": f" {code[:3].lower()} - {code[3:].lower()}"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/a/{code}")


def test_the_empty_form_and_an_unknown_code(client):
    empty = client.get("/a")
    assert empty.status_code == 200
    assert 'name="code"' in empty.get_data(as_text=True)
    unknown = client.get("/a", query_string={"code": "<b>x</b>"})
    assert unknown.status_code == 404
    html = unknown.get_data(as_text=True)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html  # the typed text is shown as text
    assert 'aria-invalid="true"' in html


def test_the_statement_names_its_status_alternative_contact_and_recourse(app, client):
    html = client.get("/accessibilite").get_data(as_text=True)
    assert "RGAA" in html and "non conforme" in html
    assert f"mailto:{app.config['CARTE_ACCESSIBILITY_CONTACT']}" in html
    assert "Défenseur des droits" in html and "Signaler sans la carte" in html
    english = client.get("/accessibilite", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Accessibility statement" in english and "Compliance status" in english
