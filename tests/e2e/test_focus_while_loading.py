"""Opening a list item while the reports are loading leaves the focus in the opened report, announced, never on
<body> (issue 11, « Keyboard and screen readers »)."""

from __future__ import annotations

from playwright.sync_api import expect

ACTIVE = "() => { const a = document.activeElement; return a ? (a.id || a.tagName) : null; }"


# A busy server: the page's report requests (the view's reports, the report's detail) answer 1.5 s late. Delayed in
# the page, so that nothing on the test's side waits while the page is read.
SLOW_REPORTS = """() => { const fetch = window.fetch;
    window.fetch = (url, options) => String(url).includes("/api/v1/reports")
        ? new Promise((resolve) => setTimeout(resolve, 1500)).then(() => fetch(url, options)) : fetch(url, options); }"""


def test_a_list_item_opened_while_loading_keeps_the_focus(page, live_server):
    page.goto(f"{live_server}/")
    page.wait_for_selector("#map[data-state=ready]")
    page.locator("#list-toggle").focus()
    page.keyboard.press("Enter")
    first = page.locator("#pp-list-items button").first
    expect(first).to_be_visible()
    page.evaluate(SLOW_REPORTS)
    first.focus()
    page.keyboard.press("Enter")
    # While the detail loads (read at once, not waited for): the focus is on its heading, which says so.
    assert page.evaluate(ACTIVE) == "pp-title"
    assert page.locator("#pp-title").text_content() == "Chargement…"
    # Once loaded: still there, now with the report's title.
    expect(page.locator("#pp-title")).not_to_have_text("Chargement…", timeout=15_000)
    expect(page.locator("#pp-title")).to_be_focused()
