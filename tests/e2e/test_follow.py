"""Following by email in Chromium: a resident follows a report from its detail panel by keyboard and
sees the confirmation notice; the area dialog asks for the current view; the messages arrive at a
real SMTP server (aiosmtpd) and their confirmation link works in the browser."""

from __future__ import annotations

import re

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import serve_app
from tests.e2e.helpers import axe_violations, create_report, free_port, new_page, open_report_from_list, set_view
from tests.integration.test_alerts import Inbox, text_of


@pytest.fixture(scope="module")
def inbox():
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, inbox):
    tmp = tmp_path_factory.mktemp("follow-e2e")
    with serve_app(tmp, CARTE_SMTP_URL=f"smtp://127.0.0.1:{inbox.port}") as (app, base_url):
        app.base_url = base_url
        yield app


def messages_to(inbox, address: str) -> list:
    return [m for m, rcpt in zip(inbox.messages, inbox.recipients) if rcpt == [address]]


def test_resident_follows_a_report_by_keyboard_and_confirms(resident, server, inbox):
    page = resident
    title = "Fontaine à eau hors service"
    rid = create_report(server, title)
    open_report_from_list(page, server.base_url, title)

    follow = page.locator("#follow-report")
    expect(follow).to_be_visible()
    expect(page.locator("#follow-report-feed")).to_have_attribute("href", f"/flux/signalements/{rid}.atom")
    follow.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#follow-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#follow-email")).to_be_focused()
    expect(page.locator("#follow-what")).to_contain_text(title)
    expect(page.locator("#follow-area-fields")).to_be_hidden()

    page.keyboard.press("Enter")  # empty: said next to the field, nothing sent
    expect(page.locator("#email-follow-error")).to_have_text("Indiquez votre adresse e-mail.")
    page.keyboard.type("pas-une-adresse")
    page.keyboard.press("Enter")
    expect(page.locator("#email-follow-error")).to_have_text("Cette adresse e-mail n'est pas valide.")
    page.locator("#follow-email").fill("")
    page.keyboard.type("camille.e2e@example.org")
    page.keyboard.press("Enter")
    expect(page.locator("#follow-status")).to_contain_text("un message de confirmation vient d'y être envoyé")
    expect(page.locator("#email-follow-error")).to_be_hidden()

    page.keyboard.press("Escape")  # the native dialog closes; focus goes back to the button
    expect(dialog).to_be_hidden()
    expect(follow).to_be_focused()

    sent = messages_to(inbox, "camille.e2e@example.org")
    assert len(sent) == 1
    confirm_url = next(u for u in re.findall(r"https?://\S+", text_of(sent[0])) if "/alertes/confirmer/" in u)
    assert confirm_url.startswith(server.base_url)
    page.goto(confirm_url)
    button = page.locator("#alert-confirm")
    expect(button).to_be_visible()
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Votre abonnement est confirmé.")
    expect(page.locator("body")).not_to_contain_text("camille.e2e@example.org")


def test_the_area_dialog_follows_the_current_view_with_themes(resident, server, inbox):
    from carte.extensions import db
    from carte.models.alerts import AlertSubscription

    page = resident
    page.goto(f"{server.base_url}/")
    page.wait_for_selector("#map[data-state=ready]")
    set_view(page, 48.9356, 2.3597, 15)
    bounds = page.evaluate("""() => { const b = window.carte.map.getBounds();
        return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }""")
    head_feed = page.locator('link[rel="alternate"][type="application/atom+xml"]')
    expect(head_feed).to_have_attribute("href", re.compile(r"^/flux/signalements\.atom\?bbox="))

    button = page.locator("#follow-area")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#follow-dialog")).to_be_visible()
    expect(page.locator("#follow-area-view")).to_be_checked()
    expect(page.locator("#follow-feed-link")).to_have_attribute("href", re.compile(r"bbox="))
    theme = page.locator("#follow-theme-mobilite")
    expect(theme).to_be_visible()
    theme.focus()
    page.keyboard.press("Space")
    expect(theme).to_be_checked()
    page.locator("#follow-email").focus()
    page.keyboard.type("zone.e2e@example.org")
    page.locator("#follow-submit").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#follow-status")).to_contain_text("un message de confirmation vient d'y être envoyé")

    with server.app_context():
        subscription = db.session.scalars(
            select(AlertSubscription).where(AlertSubscription.email == "zone.e2e@example.org")
        ).one()
        stored = [subscription.min_lon, subscription.min_lat, subscription.max_lon, subscription.max_lat]
        assert subscription.kind == "area" and subscription.themes == "mobilite"
    assert stored == pytest.approx(bounds, abs=1e-4)
    sent = messages_to(inbox, "zone.e2e@example.org")
    assert len(sent) == 1 and "une zone de la carte (thèmes : Mobilité)" in text_of(sent[0])


def test_the_dialog_and_the_link_pages_pass_axe(browser, server, inbox):
    """axe-core (WCAG 2.1 AA, serious and critical) on the open dialog and on the confirmation page
    (a context of its own that lets axe's script in)."""
    context, page = new_page(browser, bypass_csp=True)
    try:
        page.goto(f"{server.base_url}/")
        page.wait_for_selector("#map[data-state=ready]")
        page.locator("#follow-area").click()
        expect(page.locator("#follow-theme-mobilite")).to_be_visible()
        assert axe_violations(page, "#follow-dialog", serious_only=True) == []
        page.locator("#follow-email").fill("axe.e2e@example.org")
        page.locator("#follow-submit").click()
        expect(page.locator("#follow-status")).to_contain_text("un message de confirmation")
        message = messages_to(inbox, "axe.e2e@example.org")[0]
        for part in ("/alertes/confirmer/", "/alertes/desabonnement/"):
            page.goto(next(u for u in re.findall(r"https?://\S+", text_of(message)) if part in u))
            assert axe_violations(page, serious_only=True) == []
    finally:
        context.close()
