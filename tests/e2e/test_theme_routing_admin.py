"""Theme routing in the admin, by keyboard only, in Chromium: an admin routes « Mobilité » to the
territory (EPT), gives it an English label, and finds the change in the journal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import serve_app, watch_context
from tests.helpers import STAFF_PASSWORD

ADMIN = "admin-routage@example.org"


@pytest.fixture(scope="module")
def routing_server(tmp_path_factory):
    from carte.accounts import create_user
    from carte.extensions import db

    with serve_app(tmp_path_factory.mktemp("routing")) as (app, base_url):
        with app.app_context():
            create_user(db.session, ADMIN, STAFF_PASSWORD, "admin")
        yield app, base_url


def test_admin_routes_a_theme_by_keyboard(browser, routing_server):
    from carte.extensions import db
    from carte.models import Theme

    app, base_url = routing_server
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    watch = watch_context(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{base_url}/connexion?next=/animation/themes")
        page.focus("input[name=email]")
        page.keyboard.type(ADMIN)
        page.keyboard.press("Tab")
        page.keyboard.type(STAFF_PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/animation/themes")
        with app.app_context():
            theme_id = db.session.scalar(select(Theme.id).where(Theme.slug == "mobilite"))
        label_en = page.locator(f"#theme-{theme_id}-label-en")
        routing = page.locator(f"#theme-{theme_id}-routing")
        expect(routing).to_have_value("commune")
        expect(page.get_by_label("Qui répond aux signalements").first).to_be_visible()

        label_en.focus()
        page.keyboard.press("Tab")  # the routing select follows the English label
        assert page.evaluate("document.activeElement.id") == f"theme-{theme_id}-routing"
        page.keyboard.press("ArrowDown")
        expect(routing).to_have_value("territory")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Control+A")
        page.keyboard.type("Getting around")
        page.keyboard.press("Enter")  # the form's implicit submission
        page.wait_for_load_state()
        expect(page.get_by_text("Thème enregistré.")).to_be_visible()
        expect(page.locator(f"#theme-{theme_id}-routing")).to_have_value("territory")
        expect(page.locator(f"#theme-{theme_id}-label-en")).to_have_value("Getting around")
        with app.app_context():
            theme = db.session.get(Theme, theme_id)
            assert (theme.routing, theme.label_en) == ("territory", "Getting around")

        page.goto(f"{base_url}/animation/journal")
        row = page.locator("table.journal tbody tr").first
        expect(row).to_contain_text("thème routé")
        expect(row).to_contain_text("commune → territoire (EPT)")
    finally:
        context.close()
    watch.assert_quiet()
