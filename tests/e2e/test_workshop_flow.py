"""A whole workshop in Chromium, with every request to another host blocked (offline).

A facilitator logs in, filters the dashboard (map, table and URL change), creates a workshop;
a participant on a phone (a second browser context) submits; the projection shows it within
two seconds; the facilitator closes the workshop; the synthesis map opens from file:// with the
network blocked. The README walkthrough screenshots are refreshed with
`CARTE_UPDATE_SCREENSHOTS=1 pytest tests/e2e/test_workshop_flow.py` (otherwise under test-artifacts/).
"""

from __future__ import annotations

import os
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, ROOT, serve_app, watch_context
from tests.e2e.helpers import axe_in_every_page, axe_violations, log_in, shot
from tests.helpers import STAFF_PASSWORD

# The README's screenshots are refreshed on demand (CARTE_UPDATE_SCREENSHOTS=1), so that a test
# run leaves the work tree clean; otherwise they go with the other test artifacts.
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("CARTE_UPDATE_SCREENSHOTS") else ARTIFACTS / "screenshots"
EMAIL = "animatrice@example.org"


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory):
    """A server of its own (demo data, one facilitator account), offline: no tile layer."""
    from carte.accounts import create_user
    from carte.extensions import db

    with serve_app(tmp_path_factory.mktemp("e2e-workshop"), CARTE_TILE_URL="", SERVER_NAME=None) as (app, base_url):
        with app.app_context():
            create_user(db.session, EMAIL, STAFF_PASSWORD, "facilitator")
        yield base_url


def offline_context(browser, **options):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **options)
    watch_context(context)
    return context


def create_workshop(page, server: str, title: str, place: str, question: str) -> str:
    """Creates a workshop through its form; returns its join code."""
    page.goto(f"{server}/animation/ateliers")
    page.fill("#w-title", title)
    page.fill("#w-date", "2026-11-27")
    page.fill("#w-place", place)
    page.fill("#w-question", question)
    page.click("text=Créer l'atelier")
    return page.locator("#join-code").inner_text().strip()


def test_a_whole_workshop_offline(browser, staff_server, tmp_path):
    staff = offline_context(browser, viewport={"width": 1366, "height": 900})
    page = staff.new_page()
    page.set_default_timeout(15_000)

    # Log in, then the dashboard.
    page.goto(f"{staff_server}/animation")
    assert "/connexion" in page.url
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("form.staff-form button[type=submit]")
    page.wait_for_url(re.compile(r"/animation$"))
    expect(page.locator("#status")).to_contain_text("signalements dans la sélection")
    first_status = page.locator("#status").inner_text()
    first_legend = page.locator(".map-legend--choropleth").inner_text()
    first_rows = page.locator("#territory-table tbody tr").count()
    assert first_rows > 12  # territories × themes
    shot(page, "animation-tableau-de-bord.png", SHOTS)

    # A filter change updates the URL, the map legend and the table.
    page.check("input[name=theme][value=logement]")
    page.wait_for_function("() => new URLSearchParams(location.search).get('theme') === 'logement'")
    expect(page.locator("#status")).not_to_have_text(first_status)
    assert parse_qs(urlparse(page.url).query)["theme"] == ["logement"]
    page.wait_for_function(
        "() => [...document.querySelectorAll('#territory-table tbody tr td:nth-child(2)')].every(td => td.textContent === 'Logement')"
    )
    rows = page.locator("#territory-table tbody tr").count()
    assert 0 < rows < first_rows
    assert page.locator(".map-legend--choropleth").inner_text() != first_legend
    page.select_option("#f-level", "territoire")
    page.wait_for_function("() => new URLSearchParams(location.search).get('level') === 'territoire'")
    # The shared link restores the same view.
    shared = page.url
    other = staff.new_page()
    other.goto(shared)
    expect(other.locator("input[name=theme][value=logement]")).to_be_checked()
    expect(other.locator("#f-level")).to_have_value("territoire")
    other.close()

    # Create a workshop.
    page.goto(f"{staff_server}/animation/ateliers")
    page.fill("#w-title", "Atelier emploi — Saint-Denis")
    page.fill("#w-date", "2026-11-27")
    page.fill("#w-place", "Maison de quartier Floréal")
    page.fill("#w-question", "Quels problèmes rencontrez-vous pour accéder à l'emploi ?")
    page.click("text=Créer l'atelier")
    code = page.locator("#join-code").inner_text().strip()
    assert re.fullmatch(r"[34679ACEFGHJKMNPRTWXY]{6}", code)
    shot(page, "atelier-code-et-qr.png", SHOTS)

    # The projection view, listening.
    projection = staff.new_page()
    projection.set_viewport_size({"width": 1366, "height": 768})
    projection.goto(f"{staff_server}/atelier/{code}/projection")
    expect(projection.locator("#live-count")).to_have_text("0")

    # A participant on a phone, with no account, in another browser context.
    phone_context = offline_context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = phone_context.new_page()
    phone.goto(f"{staff_server}/a/{code.lower()}")
    expect(phone.locator("h1")).to_have_text("Quels problèmes rencontrez-vous pour accéder à l'emploi ?")
    phone.check("input[name=mode][value=commune]")
    phone.select_option("#j-commune", "93066")
    phone.select_option("#j-theme", "emploi-insertion")
    phone.fill("#j-title", "Pas de bus pour la zone d'activité")
    phone.fill("#j-description", "Le premier bus arrive après le début du poste.")
    shot(phone, "atelier-participant-telephone.png", SHOTS, full_page=True)
    phone.click("#join-form button[type=submit]")
    expect(phone.locator("#join-message")).to_contain_text("Merci")
    submitted = time.monotonic()

    expect(projection.locator("#live-count")).to_have_text("1", timeout=2_000)
    assert time.monotonic() - submitted < 2.0
    expect(projection.locator("#live-communes")).to_contain_text("Saint-Denis")
    expect(projection.locator("#live-ranking")).to_contain_text("Emploi")
    projection.click("#btn-compare")
    expect(projection.locator("#compare-metropole li").first).to_be_visible()
    shot(projection, "atelier-projection.png", SHOTS)
    projection.click("#btn-compare")

    # Close: the phone is refused with a clear message; the synthesis opens.
    page.click("#close-workshop-ask")  # closing takes a second, explicit step
    page.click("#close-workshop")
    page.wait_for_url(re.compile(r"/synthese$"))
    expect(page.locator("#synthesis-count")).to_have_text("1")
    shot(page, "atelier-synthese.png", SHOTS, full_page=True)
    phone.fill("#j-title", "Encore une idée")
    phone.click("#join-form button[type=submit]")
    expect(phone.locator("#join-message")).to_contain_text("terminé")

    # The standalone map, from file://, with every network request blocked.
    download = page.request.get(f"{staff_server}/animation/ateliers/{code}/carte.html")
    assert download.ok
    map_file = tmp_path / f"carte-atelier-{code}.html"
    map_file.write_bytes(download.body())
    sealed = browser.new_context(viewport={"width": 1200, "height": 800})
    requested: list[str] = []

    def block(route):
        requested.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort("internetdisconnected")

    sealed.route("**/*", block)
    offline = sealed.new_page()
    offline_errors: list[str] = []
    offline.on("pageerror", lambda error: offline_errors.append(str(error)))
    offline.goto(map_file.as_uri())
    expect(offline.locator(".leaflet-container")).to_be_visible()
    expect(offline.locator("path.leaflet-interactive").first).to_be_attached()  # the choropleth
    expect(offline.locator("canvas.leaflet-heatmap-layer")).to_be_attached()  # the heatmap
    assert offline.locator("path.leaflet-interactive").count() >= 130
    shot(offline, "atelier-carte-hors-ligne.png", SHOTS)
    assert [u for u in requested if not u.startswith("file://")] == []
    assert not offline_errors, offline_errors
    sealed.close()

    staff.watch.assert_quiet()
    phone_context.watch.assert_quiet()
    phone_context.close()
    staff.close()


def test_facilitation_pages_pass_an_axe_audit(browser, staff_server):
    context = offline_context(browser, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    axe_in_every_page(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, staff_server, EMAIL, next_path="/animation")
        expect(page.locator("#status")).to_contain_text("signalements dans la sélection")
        problems = {"dashboard": axe_violations(page)}
        page.goto(f"{staff_server}/animation/ateliers")
        page.click("text=Créer l'atelier")  # empty: the errors show
        problems["workshop form with errors"] = axe_violations(page)
        code = create_workshop(
            page, staff_server, "Atelier a11y", "Bobigny", "Qu'est-ce qui manque près de chez vous ?"
        )
        problems["workshop"] = axe_violations(page)
        page.goto(f"{staff_server}/atelier/{code}/projection")
        expect(page.locator("#live-count")).to_have_text("0")
        problems["projection"] = axe_violations(page)
        phone = context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(f"{staff_server}/a/{code}")
        problems["participant"] = axe_violations(phone)
        assert {name: found for name, found in problems.items() if found} == {}
        context.watch.assert_quiet()
    finally:
        context.close()


def test_projection_reconnects_by_itself_after_a_503(browser, staff_server):
    """A 503 (database down) closes an EventSource for good; the projection opens a new one."""
    context = offline_context(browser, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, staff_server, EMAIL, next_path="/animation/ateliers")
        code = create_workshop(page, staff_server, "Atelier panne", "Pantin", "Et si la base tombe ?")
        calls = []

        def stream(route):
            calls.append(route.request.url)
            if len(calls) == 1:
                route.fulfill(status=503, headers={"Retry-After": "30"}, content_type="text/html", body="<p>503</p>")
            else:
                route.continue_()

        page.route("**/flux", stream)
        page.clock.install()  # the page's own timers, on a clock the test can move
        with page.expect_response("**/flux"):  # the 503
            page.goto(f"{staff_server}/atelier/{code}/projection")
        page.clock.fast_forward(5_000)  # the room is told after 4 s, by the handler that plans the reconnection
        expect(page.locator("#live-state")).to_have_text("Connexion au direct perdue, nouvelle tentative…")
        with page.expect_response("**/flux"):  # 10 s after the 503: a new stream
            page.clock.fast_forward(6_000)
        assert len(calls) >= 2, "the projection never opened a new stream after the 503"
        context.watch.assert_quiet()
    finally:
        context.close()
