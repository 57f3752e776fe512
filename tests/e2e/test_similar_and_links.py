"""Similar reports before filing, and the map's state in the address, in Chromium (issue 13).

- typing a title near an existing report of the same theme suggests it; « Je soutiens plutôt
  celui-ci », by keyboard, supports it, closes the form and opens its detail, and files nothing;
- opening a report's detail pushes ?signalement=<id>; Back closes it, Forward reopens it;
- a reload restores the view from #carte=zoom/lat/lon; « Lien de partage » gives the report's page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.e2e.conftest import CartePage, serve_app, watch_context
from tests.e2e.helpers import axe_violations, create_report, new_page, set_view
from tests.helpers import TOUR_EIFFEL

LON, LAT = TOUR_EIFFEL


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve_app(tmp_path_factory.mktemp("similar-e2e")) as (app, base_url):
        app.base_url = base_url
        yield app


@pytest.fixture
def resident(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR", timezone_id="Europe/Paris")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
    watch = watch_context(context)
    page = context.new_page()
    page.watch = watch
    page.set_default_timeout(10_000)
    yield page
    context.close()
    watch.assert_quiet()


def count_reports(app) -> int:
    from carte.extensions import db
    from carte.models import Report

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Report))


def support_count(app, public_id: str) -> int:
    from carte.extensions import db
    from carte.models import Report

    with app.app_context():
        return db.session.scalar(select(Report.support_count).where(Report.public_id == public_id))


def open_map(page, base_url: str, path: str = "/"):
    page.goto(f"{base_url}{path}")
    page.wait_for_selector("#map[data-state=ready]")


def test_a_similar_report_is_suggested_and_supported_instead_of_filed(resident, server):
    page = resident
    rid = create_report(
        server, "Nid de poule énorme devant l'école", lat=LAT, lon=LON, theme="mobilite", contributor="e2e-author"
    )
    before = count_reports(server)
    open_map(page, server.base_url)
    carte = CartePage(page, server.base_url)
    carte.open_form_at(LAT + 0.0003, LON)  # about 33 m north
    carte.field("theme").select_option("mobilite")
    title = carte.field("title")
    title.focus()
    page.keyboard.type("Nid de poule énorme", delay=20)  # typed: debounced requests, the last one wins
    box = page.locator("#similar-reports")
    expect(box).to_be_visible()
    expect(box.locator("h3")).to_have_text("Ces signalements existent déjà près d'ici")
    item = box.locator(f"li[data-report-id='{rid}']")
    expect(item).to_contain_text("Nid de poule énorme devant l'école")
    expect(item).to_contain_text(re.compile(r"à \d+ m"))
    expect(page.locator("#similar-live")).to_have_text(re.compile("semblable"))
    assert box.locator("li").count() <= 5

    # By keyboard: the suggestions come right after the title in the Tab order.
    page.keyboard.press("Tab")
    button = item.locator("button")
    expect(button).to_be_focused()
    expect(button).to_have_text("Je soutiens plutôt celui-ci")
    page.keyboard.press("Enter")

    expect(page.locator("#report-panel")).to_be_hidden()
    expect(page.locator(".pin-marker")).to_have_count(0)
    expect(page.locator("#pp-detail")).to_have_attribute("data-state", "ready")
    expect(page.locator("#pp-title")).to_have_text("Nid de poule énorme devant l'école")
    expect(page.locator("#pp-support")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#confirmation")).to_contain_text("soutien est enregistré")
    assert support_count(server, rid) == 1
    assert count_reports(server) == before  # nothing new was filed


def test_nothing_is_shown_when_nothing_is_alike_and_filing_still_works(resident, server):
    page = resident
    create_report(server, "Feu piéton trop court", lat=LAT, lon=LON, theme="mobilite", contributor="e2e-author")
    before = count_reports(server)
    open_map(page, server.base_url)
    carte = CartePage(page, server.base_url)
    carte.open_form_at(LAT + 0.0003, LON)
    with page.expect_response(lambda response: "/api/v1/reports/similar" in response.url):  # after the debounce
        carte.fill_report(theme="mobilite", title="Banc public arraché")
    expect(page.locator("#similar-reports")).to_have_attribute("data-state", "ready")  # the answer is rendered
    expect(page.locator("#similar-reports")).to_be_hidden()
    carte.submit()
    expect(page.locator("#report-panel")).to_be_hidden()
    assert count_reports(server) == before + 1


def test_a_failing_suggestion_request_never_blocks_filing(resident, server):
    page = resident
    create_report(server, "Bouche d'égout bruyante", lat=LAT - 0.0010, lon=LON, contributor="e2e-author")
    asked = []

    def fail(route):
        asked.append(route.request.url)
        route.fulfill(
            status=500,
            content_type="application/json",
            body='{"error": {"code": "internal_error", "message": "Erreur interne.", "field": null}}',
        )

    page.route("**/api/v1/reports/similar*", fail)
    before = count_reports(server)
    open_map(page, server.base_url)
    carte = CartePage(page, server.base_url)
    carte.open_form_at(LAT - 0.0011, LON)
    carte.fill_report(theme="mobilite", title="Bouche d'égout bruyante")
    page.wait_for_function("() => document.querySelector('#similar-reports')?.dataset.state === 'ready'")
    assert asked  # the suggestions were asked for, and failed
    expect(page.locator("#similar-reports")).to_be_hidden()
    carte.submit()
    expect(page.locator("#report-panel")).to_be_hidden()
    assert count_reports(server) == before + 1


def test_opening_a_report_pushes_the_address_and_back_and_forward_follow(resident, server):
    page = resident
    rid = create_report(server, "Passage piéton effacé", lat=LAT - 0.0004, lon=LON + 0.0004, contributor="e2e-author")
    open_map(page, server.base_url)
    set_view(page, LAT, LON, 17)
    page.locator("#list-toggle").focus()
    page.keyboard.press("Enter")
    item = page.locator("#pp-list-items button", has_text="Passage piéton effacé")
    item.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pp-title")).to_have_text("Passage piéton effacé")
    expect(page).to_have_url(re.compile(rf"\?signalement={rid}"))

    page.go_back()
    expect(page.locator("#participation-panel")).to_be_hidden()
    assert "signalement=" not in page.url

    page.go_forward()
    expect(page.locator("#participation-panel")).to_be_visible()
    expect(page.locator("#pp-title")).to_have_text("Passage piéton effacé")
    expect(page.locator("#pp-detail")).to_have_attribute("data-state", "ready")
    assert f"signalement={rid}" in page.url

    # Closing it is one more step in the history, too.
    page.locator("#pp-close").click()
    expect(page).not_to_have_url(re.compile("signalement="))
    page.go_back()
    expect(page.locator("#pp-title")).to_have_text("Passage piéton effacé")


def test_a_reload_restores_the_view_and_an_address_opens_its_report(resident, server):
    page = resident
    open_map(page, server.base_url)
    set_view(page, 48.9356, 2.3597, 15)
    expect(page).to_have_url(re.compile(r"#carte=15/48\.935\d\d/2\.359\d\d"))
    page.reload()
    page.wait_for_selector("#map[data-state=ready]")
    view = page.evaluate(
        "() => { const c = window.carte.map.getCenter(); return [window.carte.map.getZoom(), c.lat, c.lng]; }"
    )
    assert view[0] == 15
    assert abs(view[1] - 48.9356) < 1e-4 and abs(view[2] - 2.3597) < 1e-4

    rid = create_report(server, "Poubelle débordante au marché", lat=LAT, lon=LON - 0.0005, contributor="e2e-author")
    open_map(page, server.base_url, f"/?signalement={rid}")
    expect(page.locator("#pp-title")).to_have_text("Poubelle débordante au marché")
    page.wait_for_function(
        "([lat, lon]) => window.carte.map.getCenter().distanceTo([lat, lon]) < 50", arg=[LAT, LON - 0.0005]
    )


def test_the_share_link_is_the_report_page(resident, server):
    page = resident
    rid = create_report(server, "Arbre tombé sur le trottoir", lat=LAT + 0.0006, lon=LON, contributor="e2e-author")
    open_map(page, server.base_url, f"/?signalement={rid}")
    expect(page.locator("#pp-detail")).to_have_attribute("data-state", "ready")
    page.locator("#pp-share").focus()
    page.keyboard.press("Enter")
    status = page.locator("#pp-share-status")
    expect(status).to_have_text(f"Lien copié : {server.base_url}/signalements/{rid}")
    assert page.evaluate("() => navigator.clipboard.readText()") == f"{server.base_url}/signalements/{rid}"

    page.goto(f"{server.base_url}/signalements/{rid}")
    expect(page.locator("h1")).to_have_text("Arbre tombé sur le trottoir")
    expect(page.locator("#report-map")).to_have_attribute("data-ready", "true")
    page.locator("#report-map-link").click()
    page.wait_for_selector("#map[data-state=ready]")
    expect(page.locator("#pp-title")).to_have_text("Arbre tombé sur le trottoir")


def test_axe_finds_no_serious_violation_on_the_report_page_and_the_suggestions(browser, server):
    context, page = new_page(browser, bypass_csp=True)  # axe is injected as an inline script
    try:
        _axe_pages(page, server, lambda *args: axe_violations(*args, serious_only=True))
    finally:
        context.close()
    page.watch.assert_quiet()


def _axe_pages(page, server, axe_violations):
    rid = create_report(server, "Trottoir défoncé rue Cler", lat=LAT + 0.0009, lon=LON, contributor="e2e-author")
    page.goto(f"{server.base_url}/signalements/{rid}")
    expect(page.locator("#report-map")).to_have_attribute("data-ready", "true")
    assert axe_violations(page) == []
    page.goto(f"{server.base_url}/signalements/inconnu")
    assert axe_violations(page) == []

    open_map(page, server.base_url)
    carte = CartePage(page, server.base_url)
    carte.open_form_at(LAT + 0.0011, LON)
    carte.fill_report(theme="mobilite", title="Trottoir défoncé")
    expect(page.locator("#similar-reports")).to_be_visible()
    assert axe_violations(page, "#report-panel") == []


def test_the_suggestions_in_english(browser, server):
    rid = create_report(server, "Lampadaire éteint rue Cler", lat=LAT + 0.0015, lon=LON, contributor="e2e-author")
    context, page = new_page(browser, locale="en-GB")
    try:
        open_map(page, server.base_url)
        carte = CartePage(page, server.base_url)
        carte.open_form_at(LAT + 0.0016, LON)
        carte.fill_report(theme="mobilite", title="Lampadaire éteint")
        box = page.locator("#similar-reports")
        expect(box.locator("h3")).to_have_text("These reports already exist near here")
        item = box.locator(f"li[data-report-id='{rid}']")
        expect(item.locator("button")).to_have_text("I'll support this one instead")
        expect(item).to_contain_text(re.compile(r"\d+ m away"))
    finally:
        context.close()
    page.watch.assert_quiet()
