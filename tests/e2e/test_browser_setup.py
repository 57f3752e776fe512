"""The test browser itself: Playwright's own Chromium settings kept, and no page of the browser's own UI per test."""

from __future__ import annotations

import re

from tests.e2e.conftest import DISABLED_FEATURES, playwright_disabled_features
from tests.e2e.helpers import new_page


def test_the_browser_keeps_playwrights_disabled_features_and_adds_ours(browser):
    context, page = new_page(browser)
    page.goto("chrome://version")
    command_line = page.locator("#command_line").inner_text()
    context.close()
    # Chromium applies the last --disable-features only.
    applied = re.findall(r"--disable-features=(\S+)", command_line)[-1].split(",")
    read = playwright_disabled_features()
    assert read and all(re.fullmatch(r"[A-Za-z0-9]+", name) for name in read)  # names, not bits of code
    assert set(read) <= set(applied)
    assert set(DISABLED_FEATURES) <= set(applied)


def test_a_new_page_opens_no_page_of_the_browsers_own_ui(browser):
    session = browser.new_browser_cdp_session()
    context, page = new_page(browser)
    page.goto("about:blank")
    targets = session.send("Target.getTargets")["targetInfos"]
    context.close()
    session.detach()
    assert [t["url"] for t in targets if t["type"] == "page"] == ["about:blank"]
    assert not [t["url"] for t in targets if t["type"] != "page"]
