"""The pin stays under the pointer and in sight when the form opens, and one side panel is open at a
time (issue 11, "Placing a pin"): at 1366×768 the map used to shift 208 px, and on a phone the pin sat
under the bottom sheet after « Me localiser »."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import open_resident_map, wait_for_the_map_to_settle

PIN = ".pin-marker"


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"]  # the pin's tip is at its bottom


def inside(point, box, margin=0) -> bool:
    x, y = point
    return (
        box["x"] + margin <= x <= box["x"] + box["width"] - margin
        and box["y"] + margin <= y <= box["y"] + box["height"] - margin
    )


def open_map(browser, live_server, bare=True, **context_options):
    context, page = open_resident_map(browser, live_server, **context_options)
    # The demo reports and their clusters would take the clicks: this test is about the pin.
    page.evaluate(
        """(bare) => { const c = window.carte.carte;
        if (bare) { c.reports.layer().remove(); if (c.clusters) c.clusters.layer.remove(); }
        c.map.setView([48.8566, 2.3522], 17, {animate: false}); }""",
        bare,
    )  # every click lands in Paris
    wait_for_the_map_to_settle(page)  # the view's own requests and redraws
    return context, page.watch, page


def test_the_pin_stays_under_the_pointer_and_in_view_when_the_form_opens(browser, live_server):
    context, watch, page = open_map(browser, live_server, viewport={"width": 1366, "height": 768})
    try:
        box = page.locator("#map").bounding_box()
        left = (box["x"] + 420, box["y"] + box["height"] / 2)  # right of the open legend
        page.mouse.click(*left)
        expect(page.locator("#report-panel")).to_be_visible()
        page.wait_for_timeout(300)  # the resize
        tip = centre(page.locator(PIN).bounding_box())
        assert abs(tip[0] - left[0]) <= 3 and abs(tip[1] - left[1]) <= 3, (tip, left)  # no 208 px shift
        page.locator("#report-panel-close").click()
        right = (box["x"] + box["width"] - 80, box["y"] + box["height"] / 2)  # where the panel will open
        page.mouse.click(*right)
        expect(page.locator("#report-panel")).to_be_visible()
        page.wait_for_timeout(300)
        tip = centre(page.locator(PIN).bounding_box())
        assert inside(tip, page.locator("#map").bounding_box(), margin=20), tip  # in the part still shown
        assert not inside(tip, page.locator("#report-panel").bounding_box()), tip
        watch.assert_quiet()
    finally:
        context.close()


def test_one_side_panel_at_a_time(browser, live_server):
    context, watch, page = open_map(browser, live_server, viewport={"width": 1366, "height": 768})
    try:
        page.locator("#list-toggle").click()
        expect(page.locator("#participation-panel")).to_be_visible()
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + 420, box["y"] + 200)
        expect(page.locator("#report-panel")).to_be_visible()
        expect(page.locator("#participation-panel")).to_be_hidden()
        page.locator("#list-toggle").click()
        expect(page.locator("#participation-panel")).to_be_visible()
        expect(page.locator("#report-panel")).to_be_hidden()
        assert page.locator(".panel:visible").count() == 1
        watch.assert_quiet()
    finally:
        context.close()


def test_on_a_phone_the_located_pin_stays_above_the_bottom_sheet(browser, live_server):
    context, watch, page = open_map(
        browser,
        live_server,
        viewport={"width": 390, "height": 844},
        geolocation={"latitude": 48.8530, "longitude": 2.3499},
        permissions=["geolocation"],
    )
    try:
        page.locator("#locate-me").click()
        sheet = page.locator("#report-panel")
        expect(sheet).to_be_visible()
        page.wait_for_timeout(300)
        tip = centre(page.locator(PIN).bounding_box())
        assert tip[1] < sheet.bounding_box()["y"] - 10, (tip, sheet.bounding_box())
        assert inside(tip, page.locator("#map").bounding_box()), tip
        watch.assert_quiet()
    finally:
        context.close()
