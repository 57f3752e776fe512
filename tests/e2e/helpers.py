"""Steps the e2e modules share, written once: offline pages, logging in, axe-core, screenshots,
reports made on the server's side, free ports. Fixtures stay in conftest.py."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, MAP_IDLE, ROOT, watch_context
from tests.helpers import STAFF_PASSWORD

# axe-core as `make setup` copies it, or straight from node_modules.
AXE_FILES = [
    ROOT / "carte" / "static" / "vendor" / "axe-core" / "axe.min.js",
    ROOT / "node_modules" / "axe-core" / "axe.min.js",
]
WCAG_21 = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def new_page(browser, *, timeout: int = 10_000, **options):
    """(context, page) in a browser context of its own that stays offline (see `watch_context`);
    `page.watch` holds what the page did. Close the context, then call `page.watch.assert_quiet()`."""
    options = {"viewport": {"width": 1280, "height": 800}, "locale": "fr-FR", **options}
    context = browser.new_context(**options)
    watch = watch_context(context)
    page = context.new_page()
    page.watch = watch
    page.set_default_timeout(timeout)
    return context, page


def open_resident_map(browser, base_url: str, **options):
    """(context, page) on the resident map, loaded (communes drawn, first reports asked for)."""
    context, page = new_page(browser, **{"timezone_id": "Europe/Paris", **options})
    page.goto(f"{base_url}/")
    page.wait_for_selector("#map[data-state=ready]")
    return context, page


def log_in(page, base_url: str, email: str, password: str = STAFF_PASSWORD, next_path: str | None = None) -> None:
    """Through the real login form; waits until the staff page (`next_path`, or any page but the form) opens."""
    page.goto(f"{base_url}/connexion" + (f"?next={next_path}" if next_path else ""))
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("form.staff-form button[type=submit]").click()
    if next_path:
        page.wait_for_url(f"**{next_path}")
    else:
        page.wait_for_url(lambda url: "/connexion" not in url)


def axe_file() -> Path:
    found = next((path for path in AXE_FILES if path.exists()), None)
    if found is None:
        pytest.fail("axe-core is missing: run `make setup` (npm ci)")
    return found


def axe_in_every_page(context) -> None:
    """axe-core in every document of a browser context that audits several pages: sent to the browser once,
    instead of 0.5 MB through Playwright for each page."""
    context.add_init_script(path=str(axe_file()))


def axe_violations(page, context: str | None = None, *, tags=WCAG_21, serious_only: bool = False) -> list[dict]:
    """axe-core's violations on the page (or inside the `context` selector). The script is injected unless
    the context already has it (`axe_in_every_page`), so the page's context must bypass the CSP or the page
    must allow it (the staff pages do)."""
    if not page.evaluate("() => 'axe' in window"):
        page.add_script_tag(path=str(axe_file()))
    return page.evaluate(
        """async ([context, tags, seriousOnly]) => {
            const result = await window.axe.run(context || document, {runOnly: {type: 'tag', values: tags}});
            return result.violations
                .filter((v) => !seriousOnly || v.impact === 'serious' || v.impact === 'critical')
                .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                              targets: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}));
        }""",
        [context, list(tags), serious_only],
    )


def shot(page, name: str, folder: Path = ARTIFACTS, full_page: bool = False) -> None:
    """A screenshot kept for the people who read the run (test-artifacts/ unless told otherwise)."""
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=full_page)


def create_report(app, title: str, *, contributor: str = "e2e", pending: bool = False, **payload) -> str:
    """A report stored on the server's side (the use case the API calls), for a page to show; its public id."""
    from carte.extensions import db
    from carte.geo.atlas import get_atlas
    from carte.reports.service import create_report as create
    from tests.helpers import report_payload

    with app.app_context():
        report = create(
            db.session,
            get_atlas(app),
            report_payload(title=title, tags=[], **payload),
            contributor=contributor,
            premoderation=pending,
        )
        return report.public_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def set_view(page, lat: float, lon: float, zoom: float) -> None:
    """Moves the resident map at once and waits until the reports of the new view are drawn (the map's
    aria-busy). The script returns nothing on purpose: Playwright would serialise the map that `setView`
    returns, its whole graph of layers, which took 4 s a call."""
    page.evaluate(
        "([lat, lon, zoom]) => { window.carte.map.setView([lat, lon], zoom, {animate: false}); }", [lat, lon, zoom]
    )
    page.wait_for_selector(MAP_IDLE)


# The resident map is still: the reports of its view loaded and drawn, no zoom, pan or markercluster animation
# (a fan opening or closing, groups merging) under way. Leaflet starts an animated zoom in the next frame,
# before this check in that frame (Playwright polls on requestAnimationFrame).
MAP_STILL = """() => {
    const map = window.carte.map;
    return !document.querySelector("#map[aria-busy]") && !map._animatingZoom && !map._panAnim?._inProgress
        && !window.carte.reports.layer()._inZoomAnimation;
}"""


def wait_for_the_map_to_settle(page) -> None:
    page.wait_for_function(MAP_STILL)


def wait_for_report(page, report_id: str) -> None:
    """Until the resident map has loaded that report."""
    page.wait_for_function("(id) => window.carte.reports.features.has(id)", arg=report_id)


def show_report(page, report_id: str) -> None:
    """Opens a report's popup as the app does (its list, a new report), once the map has loaded that report."""
    wait_for_report(page, report_id)
    page.evaluate("(id) => window.carte.carte.showReport(id)", report_id)


def map_at_the_test_reports(page, base_url: str) -> None:
    """The resident map, loaded, at the Tour Eiffel, where `create_report` puts the tests' reports."""
    page.goto(f"{base_url}/")
    page.wait_for_selector("#map[data-state=ready]")
    set_view(page, 48.8584, 2.2945, 16)


def open_report_from_list(page, base_url: str, title: str) -> None:
    """The keyboard way into a report: the list of the reports in view."""
    from playwright.sync_api import expect

    map_at_the_test_reports(page, base_url)
    page.locator("#list-toggle").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pp-title")).to_be_focused()
    item = page.locator("#pp-list-items button", has_text=title)
    item.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pp-title")).to_have_text(title)
    expect(page.locator("#pp-detail")).to_have_attribute("data-state", "ready")
