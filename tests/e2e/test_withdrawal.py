"""Withdrawal in Chromium: the author withdraws a comment and a report from the panel by keyboard,
and the private link shown once after posting withdraws a report from another browser."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.helpers import set_view

RUN = uuid.uuid4().hex[:6]
LOUVRE = (48.8606, 2.3376)


def find_report(carte, title: str) -> str:
    features = carte.api("/reports?limit=5000")["features"]
    return next(f["id"] for f in features if f["properties"]["title"] == title)


def open_from_list(page, title: str):
    set_view(page, *LOUVRE, 17)
    page.locator("#list-toggle").focus()
    page.keyboard.press("Enter")
    item = page.locator("#pp-list-items button", has_text=title)
    item.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pp-title")).to_have_text(title)
    expect(page.locator("#pp-detail")).to_have_attribute("data-state", "ready")


def test_the_author_withdraws_a_comment_and_a_report_from_the_panel(carte):
    page = carte.page
    title = f"Pavés descellés {RUN}"
    carte.open_form_at(*LOUVRE)
    carte.fill_report(theme=carte.themes()[0]["slug"], title=title, description="Ça glisse quand il pleut.")
    carte.submit()

    notice = page.locator("#withdraw-link")
    expect(notice).to_be_visible()
    expect(page.locator("#withdraw-link-title")).to_have_text("Votre lien pour retirer ce signalement")
    link = page.locator("#withdraw-link-url")
    expect(link).to_be_focused()
    expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/retrait/[\w-]{40,}$"))
    page.keyboard.press("Escape")
    expect(notice).to_be_hidden()
    rid = find_report(carte, title)

    open_from_list(page, title)
    page.locator("#pp-comment-body").fill("Je retire ce commentaire ensuite.")
    page.locator("#pp-comment-submit").click()
    expect(page.locator("#withdraw-link-title")).to_have_text("Votre lien pour retirer ce commentaire")
    page.locator("#withdraw-link-close").click()
    withdraw_comment = page.locator("#pp-comments li button", has_text="Retirer mon commentaire")
    withdraw_comment.focus()
    page.keyboard.press("Enter")
    yes = page.locator("#pp-comments li button", has_text="Oui, retirer")
    expect(yes).to_be_focused()
    page.keyboard.press("Enter")
    expect(carte.confirmation).to_have_text("Votre commentaire est retiré.")
    expect(page.locator("#pp-comments li")).to_have_count(0)

    ask = page.locator("#pp-withdraw")
    expect(ask).to_be_visible()
    ask.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pp-withdraw-yes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(carte.confirmation).to_have_text("Votre signalement est retiré.")
    expect(page.locator("#pp-list")).to_be_visible()
    expect(page.locator("#pp-list-items button", has_text=title)).to_have_count(0)
    expect(page.locator(".report-marker", has_text=title)).to_have_count(0)
    assert page.request.get(f"{carte.base_url}/api/v1/reports/{rid}").status == 404


def test_someone_elses_report_offers_no_withdrawal(carte, browser):
    title = f"Lampadaire éteint {RUN}"
    other = browser.new_context()
    try:
        response = other.request.post(
            f"{carte.base_url}/api/v1/reports",
            data={"theme": carte.themes()[0]["slug"], "title": title, "lat": LOUVRE[0], "lon": LOUVRE[1]},
        )
        assert response.status == 201
    finally:
        other.close()
    carte.page.reload()
    carte.page.wait_for_selector("#map[data-state=ready]")
    open_from_list(carte.page, title)
    expect(carte.page.locator("#pp-withdraw-section")).to_be_hidden()


def test_the_private_link_withdraws_from_another_browser(carte, browser):
    title = f"Poubelle débordante {RUN}"
    response = carte.page.request.post(
        f"{carte.base_url}/api/v1/reports",
        data={"theme": carte.themes()[0]["slug"], "title": title, "lat": LOUVRE[0], "lon": LOUVRE[1]},
    )
    assert response.status == 201
    link = response.json()["withdraw_url"]

    context = browser.new_context(locale="fr-FR")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(link)
        expect(page.locator("h1")).to_have_text("Retirer mon signalement")
        expect(page.locator("blockquote")).to_contain_text(title)
        page.locator("#withdraw-confirm").focus()
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Votre signalement est retiré.")
        again = page.goto(link)
        assert again.status == 404
        expect(page.locator("h1")).to_have_text("Ce lien de retrait ne fonctionne pas")
        assert not errors, errors
    finally:
        context.close()
    assert title not in [f["properties"]["title"] for f in carte.api("/reports?limit=5000")["features"]]
