"""The civic loop in Chromium, on the agent's side: an agent logs in, lands on the queue of its
body, opens a report and posts an update that residents then read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serve_app
from tests.e2e.helpers import axe_violations, create_report, new_page
from tests.e2e.test_participation import PASSWORD


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve_app(tmp_path_factory.mktemp("followup-agent-e2e")) as (app, base_url):
        app.base_url = base_url
        yield app


def create_agent(app, email: str, body: str) -> None:
    from carte.accounts import create_user
    from carte.extensions import db
    from carte.geo.atlas import get_atlas

    with app.app_context():
        create_user(db.session, email, PASSWORD, "agent", body, get_atlas(app).bodies)


def test_an_agent_lands_on_the_queue_and_posts_an_update(browser, server):
    title = "Nid-de-poule avenue de la Bourdonnais"
    public_id = create_report(server, title, contributor="quelquun")
    create_agent(server, "voirie-paris@example.org", "75056")
    context, page = new_page(browser, bypass_csp=True)  # axe-core is injected as a script
    page.goto(f"{server.base_url}/connexion")
    page.locator("#email").fill("voirie-paris@example.org")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/animation/suivi")
    expect(page.locator("#queue-body")).to_contain_text("Paris")
    expect(page.locator(".staff-menu a[aria-current=page]")).to_have_text("Suivi")
    assert axe_violations(page, serious_only=True) == []

    link = page.locator("#queue-table a", has_text=title)
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/animation/suivi/{public_id}")
    # The « Doublon de » field appears only for the duplicate state.
    expect(page.locator("#u-duplicate-field")).to_be_hidden()
    page.locator("#u-progress").select_option("duplicate")
    expect(page.locator("#u-duplicate-field")).to_be_visible()
    page.locator("#u-progress").select_option("in_progress")
    page.locator("#u-text").fill("Une équipe passe jeudi.")
    page.locator("#u-submit").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/animation/suivi/{public_id}")
    expect(page.locator(".flash--success")).to_have_text("Mise à jour publiée : En cours.")
    expect(page.locator("#updates li")).to_contain_text("Une équipe passe jeudi.")
    expect(page.locator("#report-progress")).to_have_text("En cours")
    assert axe_violations(page, serious_only=True) == []

    detail = page.request.get(f"{server.base_url}/api/v1/reports/{public_id}").json()
    assert [(u["progress"], u["text"], u["body"]) for u in detail["updates"]] == [
        ("in_progress", "Une équipe passe jeudi.", "Paris")
    ]
    context.close()
    page.watch.assert_quiet()
