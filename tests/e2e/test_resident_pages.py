"""Pages around the map, in Chromium: typing a workshop code (/a) and the accessibility statement."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError, expect

from tests.e2e.conftest import serve_app, watch_context
from tests.e2e.helpers import axe_violations

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
QUESTION = "Qu'est-ce qui manque pour se déplacer à pied ?"
PLAINE_COMMUNE = "200057867"  # EPT Plaine Commune (Saint-Denis, Aubervilliers, ...)


def open_workshop(app, place: str, territoire: str | None = None) -> str:
    """An open workshop created through the use case; returns its code."""
    from carte.extensions import db
    from carte.models import Theme
    from carte.workshops.service import create_workshop

    with app.app_context():
        form = {
            "title": f"Atelier à {place}",
            "date": "2026-12-01",
            "place": place,
            "question": QUESTION,
            "territoire": territoire or "",
        }
        return create_workshop(
            db.session,
            form,
            themes=set(db.session.scalars(db.select(Theme.slug))),
            territoires={territoire} if territoire else (),
            created_by=None,
        ).code


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server of its own with two open workshops (one in Plaine Commune), offline (no tile layer)."""
    with serve_app(tmp_path_factory.mktemp("e2e-pages"), CARTE_TILE_URL="") as (app, base_url):
        yield {
            "base_url": base_url,
            "code": open_workshop(app, "Pantin"),
            "plaine_commune": open_workshop(app, "Saint-Denis", PLAINE_COMMUNE),
        }


@pytest.fixture(scope="module")
def tiled_site(tmp_path_factory):
    """The default tile server, which the browser cannot reach here: every tile fails, as offline."""
    from carte.accounts import create_user
    from carte.extensions import db
    from tests.helpers import STAFF_PASSWORD

    with serve_app(tmp_path_factory.mktemp("e2e-tiles")) as (app, base_url):
        assert app.config["CARTE_TILE_URL"]
        with app.app_context():
            create_user(db.session, "hors-ligne@example.org", STAFF_PASSWORD, "facilitator")
        yield {
            "base_url": base_url,
            "code": open_workshop(app, "Bobigny"),
            "staff": ("hors-ligne@example.org", STAFF_PASSWORD),
        }


def zoom_in_until(page, map_selector: str, locator, clicks: int = 8) -> None:
    """Zoom in with the map's own button, one level at a time, until `locator` shows: the names
    appear from zoom 12, whatever zoom the map opened at."""
    button = page.locator(f"{map_selector} .leaflet-control-zoom-in")
    for _ in range(clicks):
        if locator.count():
            break
        button.click()
        try:  # the names of the new zoom level, or the next click after the zoom animation
            locator.first.wait_for(state="attached", timeout=500)
        except PlaywrightTimeoutError:
            pass
    expect(locator.first).to_be_visible()


@contextmanager
def opened(browser, size: str, locale: str = "fr-FR"):
    """(watch, page) in a browser context of its own, closed at the end of the block."""
    context = browser.new_context(viewport=SIZES[size], locale=locale, timezone_id="Europe/Paris")
    try:
        watch = watch_context(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield watch, page
    finally:
        context.close()


def assert_axe_clean(browser, url: str, size: str = "desktop", locale: str = "fr-FR") -> None:
    """axe-core is injected as a script, so it runs in a context of its own that bypasses the CSP."""
    context = browser.new_context(viewport=SIZES[size], locale=locale, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(url)
        assert axe_violations(page) == []
    finally:
        context.close()


def loosely_typed(code: str) -> str:
    """How a participant may type a code read aloud: lower case, a space in the middle."""
    return f" {code[:3].lower()} {code[3:].lower()} "


@pytest.mark.parametrize("size", SIZES)
def test_a_typed_workshop_code_opens_the_workshop(browser, site, size):
    with opened(browser, size) as (watch, page):
        page.goto(f"{site['base_url']}/a")
        field = page.get_by_label("Code de l'atelier")
        expect(field).to_be_focused()
        page.keyboard.type(loosely_typed(site["code"]))
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{site['base_url']}/a/{site['code']}")
        expect(page.locator("h1")).to_have_text(QUESTION)
        watch.assert_quiet()


@pytest.mark.parametrize("size", SIZES)
def test_an_unknown_code_gives_a_helpful_page_with_the_form_again(browser, site, size):
    with opened(browser, size) as (watch, page):
        wrong = "7KX4PA" if site["code"] != "7KX4PA" else "9KX4PA"
        response = page.goto(f"{site['base_url']}/a/{wrong}")
        assert response.status == 404
        expect(page.get_by_role("alert")).to_contain_text(f"Aucun atelier ne correspond au code « {wrong} »")
        field = page.get_by_label("Code de l'atelier")
        expect(field).to_have_value(wrong)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_role("link", name="Retour à la carte")).to_be_visible()
        # Correct it in place, by keyboard.
        field.fill("")
        field.type(site["code"].lower())
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text(QUESTION)
        watch.assert_quiet()
        assert_axe_clean(browser, f"{site['base_url']}/a/{wrong}", size)


@pytest.mark.parametrize(
    "locale,title,recourse",
    [
        ("fr-FR", "Déclaration d'accessibilité", "Défenseur des droits"),
        ("en-GB", "Accessibility statement", "Défenseur des droits"),
    ],
)
def test_every_page_links_to_the_accessibility_statement(browser, site, locale, title, recourse):
    with opened(browser, "desktop", locale) as (watch, page):
        link_name = "Accessibilité : non conforme" if locale == "fr-FR" else "Accessibility: not compliant"
        for path in ("/", f"/a/{site['code']}", "/a", "/connexion", "/a/XXXXXX"):
            page.goto(f"{site['base_url']}{path}")
            expect(page.get_by_role("link", name=link_name)).to_have_count(1)
        page.get_by_role("link", name=link_name).focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{site['base_url']}/accessibilite")
        expect(page.locator("h1")).to_have_text(title)
        body = page.locator("main")
        expect(body).to_contain_text("RGAA")
        expect(body).to_contain_text(recourse)
        expect(body.locator("a[href^='mailto:']")).to_have_count(1)
        watch.assert_quiet()
        assert_axe_clean(browser, f"{site['base_url']}/accessibilite", locale=locale)


def test_the_login_page_keeps_side_margins_on_a_phone(browser, site):
    with opened(browser, "phone") as (watch, page):
        page.goto(f"{site['base_url']}/connexion")
        width = SIZES["phone"]["width"]
        for selector in ("h1", "input[name=email]", "input[name=password]", "form.staff-form button[type=submit]"):
            box = page.locator(selector).bounding_box()
            assert box["x"] >= 12 and box["x"] + box["width"] <= width - 12, (selector, box)
        watch.assert_quiet()


@pytest.mark.parametrize("size", SIZES)
def test_the_participant_map_opens_on_the_workshops_territory(browser, site, size):
    """A tap in the middle of the map, as it opens, lands in the workshop's territory (it was Paris)."""
    with opened(browser, size) as (watch, page):
        page.goto(f"{site['base_url']}/a/{site['plaine_commune']}")
        page.wait_for_selector("#join-map path.leaflet-interactive, #join-map svg path")
        box = page.locator("#join-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.select_option("#j-theme", index=1)
        page.fill("#j-title", "Trottoir trop étroit")
        with page.expect_response(lambda r: r.request.method == "POST" and "/signalements" in r.url) as answer:
            page.get_by_role("button", name="Envoyer").click()
        report = answer.value.json()
        assert answer.value.status == 201, report
        assert report["territoire"]["code"] == PLAINE_COMMUNE, report["commune"]
        watch.assert_quiet()


@pytest.mark.parametrize("size", SIZES)
def test_without_tiles_the_participant_page_says_so_and_names_the_communes(browser, tiled_site, size):
    with opened(browser, size) as (watch, page):
        page.goto(f"{tiled_site['base_url']}/a/{tiled_site['code']}")
        expect(page.locator("#join-map [role=status]")).to_contain_text("Fond de carte indisponible")
        page.wait_for_selector("#join-map svg path")  # the outlines, fitted to the Métropole
        labels = page.locator("#join-map .commune-label")
        expect(labels).to_have_count(0)  # the whole Métropole: names would cover it
        zoom_in_until(page, "#join-map", labels)
        names = labels.all_inner_texts()
        assert len(names) >= 2 and all(name.strip() for name in names)
        assert (
            page.locator("#join-map .commune-label :not(span), #join-map .commune-label span *").count() == 0
        )  # text only
        assert watch.blocked  # the tiles were asked for, and refused
        watch.assert_quiet()


@pytest.mark.parametrize("size", SIZES)
def test_without_tiles_the_resident_map_names_the_communes(browser, tiled_site, size):
    with opened(browser, size) as (watch, page):
        page.goto(f"{tiled_site['base_url']}/")
        page.wait_for_selector("#map[data-state=ready]")
        expect(page.locator("#map .commune-label")).to_have_count(0)  # the whole Métropole: names would cover it
        zoom_in_until(page, "#map", page.locator("#map .commune-label"))
        names = page.locator("#map .commune-label").all_inner_texts()
        assert len(names) >= 2 and all(name.strip() for name in names)
        assert watch.blocked
        watch.assert_quiet()


def test_without_tiles_the_dashboard_says_so_and_names_the_communes(browser, tiled_site):
    with opened(browser, "desktop") as (watch, page):
        email, password = tiled_site["staff"]
        page.goto(f"{tiled_site['base_url']}/connexion")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("form.staff-form button[type=submit]")
        page.goto(f"{tiled_site['base_url']}/animation")
        expect(page.locator("#dash-map [role=status]")).to_contain_text("Fond de carte indisponible")
        zoom_in_until(page, "#dash-map", page.locator("#dash-map .commune-label"))
        assert page.locator("#dash-map .commune-label :not(span), #dash-map .commune-label span *").count() == 0
        assert watch.blocked
        watch.assert_quiet()


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_on_a_phone_the_header_takes_two_rows_and_nothing_overlaps(browser, tiled_site, locale):
    """The header was three rows (131 px); the list button sat over the tile notice and the legend,
    and a confirmation covered the buttons for 10 s."""

    def boxes_meet(a, b):
        return not (
            a["x"] + a["width"] <= b["x"]
            or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"]
            or b["y"] + b["height"] <= a["y"]
        )

    with opened(browser, "phone", locale=locale) as (watch, page):
        page.goto(f"{tiled_site['base_url']}/")
        page.wait_for_selector("#map[data-state=ready]")
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 100, header
        first_row = [
            page.locator(s).bounding_box()
            for s in (".brand", ".language-switch button", ".site-nav a[href='#credits']")
        ]
        assert all(not boxes_meet(a, b) for i, a in enumerate(first_row) for b in first_row[i + 1 :]), first_row
        for button in page.locator(".site-nav button:visible").all():  # every action reachable by keyboard
            button.focus()
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, box  # scrolled into view when focused
        expect(page.locator("#map-notice")).to_be_visible()  # the tiles failed
        toggle = page.locator("#list-toggle").bounding_box()
        for other in ("#map-notice", "#legend"):
            assert not boxes_meet(toggle, page.locator(other).bounding_box()), other
        page.evaluate("""() => { const t = document.querySelector('#confirmation');
                                 t.textContent = 'Signalement enregistré à Saint-Ouen-sur-Seine (position approximative)';
                                 t.classList.add('toast--visible'); }""")
        page.wait_for_function("() => document.querySelector('#confirmation').getAnimations().length === 0")  # shown
        toast = page.locator("#confirmation").bounding_box()
        for control in page.locator(
            ".map-region button:visible, .leaflet-control-zoom a, #list-toggle, .site-nav button:visible"
        ).all():
            assert not boxes_meet(toast, control.bounding_box()), control.inner_text()
        watch.assert_quiet()
