"""A moderator hides or publishes any report from its own page, not only what reached the queue
(issue 11, "Moderation"); residents see no moderation form."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serve_app, watch_context
from tests.e2e.helpers import log_in
from tests.helpers import STAFF_PASSWORD

EMAIL = "moderatrice@example.org"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from carte.accounts import create_user
    from carte.extensions import db

    with serve_app(tmp_path_factory.mktemp("e2e-moderate"), CARTE_TILE_URL="", SERVER_NAME=None) as (app, base_url):
        with app.app_context():
            create_user(db.session, EMAIL, STAFF_PASSWORD, "moderator")
        yield base_url


def test_a_moderator_hides_then_publishes_a_report_from_its_page(browser, site):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    watch_context(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        report = page.request.get(f"{site}/api/v1/reports?limit=1").json()["features"][0]
        url = f"{site}/signalements/{report['id']}"
        page.goto(url)
        expect(page.locator("#moderate-title")).to_have_count(0)  # residents see no moderation form
        log_in(page, site, EMAIL, next_path=f"/signalements/{report['id']}")
        page.locator("#moderate-reason").focus()
        page.keyboard.type("Contient des données personnelles.")
        page.keyboard.press("Tab")
        expect(page.locator("#moderate-hide")).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_url(url)
        expect(page.locator("#report-hidden")).to_contain_text("masqué par la modération")
        expect(page.locator("#report-hidden-reason")).to_contain_text("Contient des données personnelles.")
        assert page.request.get(f"{site}/api/v1/reports/{report['id']}").json()["status"] == "hidden"
        page.locator("#moderate-publish").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(url)
        expect(page.locator("#report-hidden")).to_have_count(0)
        assert page.request.get(f"{site}/api/v1/reports/{report['id']}").json()["status"] == "published"
        context.watch.assert_quiet()
    finally:
        context.close()
