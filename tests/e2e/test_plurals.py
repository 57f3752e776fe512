"""Plurals follow each language's rule: no « soutien(s) » anywhere on the resident map (issue 11)."""

import re

import pytest
from playwright.sync_api import expect

FORMS = {
    "fr": (
        "soutien",
        "soutiens",
        r"^1 signalement dans la vue$|^[\d\u202f ]+ signalements dans la vue$",
        r"^[\d\u202f ]+ affichés sur [\d\u202f ]+ signalements dans la vue",
    ),
    "en": (
        "supporter",
        "supporters",
        r"^1 report in view$|^[\d,]+ reports in view$",
        r"^[\d,]+ shown of [\d,]+ reports",
    ),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_counts_read_naturally_in_both_languages(page, live_server, lang):
    singular, plural, count_line, partial = FORMS[lang]
    page.goto(f"{live_server}/?lang={lang}")
    page.wait_for_selector("#map[data-state=ready]")
    page.locator("#list-toggle").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pp-list-items button").first).to_be_visible()
    line = page.locator("#pp-list-count").inner_text()
    assert "(s)" not in line and (re.match(count_line, line) or re.match(partial, line)), line
    metas = page.locator("#pp-list-items .pp-list__meta").all_inner_texts()
    assert metas and not any("(s)" in m for m in metas), metas
    for meta in metas:
        n, word = re.search(r"(\d+) (\w+)$", meta).groups()
        # French: 0 and 1 are singular; English: only 1 is.
        wanted = singular if int(n) == 1 or (lang == "fr" and int(n) == 0) else plural
        assert word == wanted, meta


@pytest.mark.parametrize(("lang", "zero"), [("fr", "0 soutien"), ("en", "0 supports")])
def test_the_report_page_counts_zero_by_the_language_rule(page, live_server, lang, zero):
    """Server-written counts too: French says « 0 soutien » (its catalogue carries the French plural rule)."""
    answer = page.request.get(f"{live_server}/api/v1/reports?bbox=1.9,48.6,2.8,49.1&zoom=17").json()
    unsupported = next(f["properties"]["id"] for f in answer["features"] if not f["properties"].get("support"))
    page.goto(f"{live_server}/signalements/{unsupported}?lang={lang}")
    expect(page.locator("#report-supports")).to_have_text(zero)
