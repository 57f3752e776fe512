"""The civic loop in Chromium, on the resident's side: a report with updates shows its timeline,
the resident follows it by keyboard, the report gets fixed, and they answer « C'est réglé »."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serve_app
from tests.e2e.helpers import create_report, open_report_from_list


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve_app(tmp_path_factory.mktemp("followup-resident-e2e")) as (app, base_url):
        app.base_url = base_url
        yield app


def update(app, public_id: str, progress: str, text: str) -> None:
    from sqlalchemy import select

    from carte.extensions import db
    from carte.followup.updates import post_update
    from carte.models import Report

    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        post_update(db.session, report, progress=progress, text=text, body_code="75056", author_kind="agent")


def test_a_resident_reads_the_timeline_follows_and_confirms_the_fix_by_keyboard(resident, server):
    page = resident
    title = "Banc cassé au Champ-de-Mars"
    public_id = create_report(server, title, contributor="quelquun")
    update(server, public_id, "acknowledged", "Transmis au service des parcs.")

    open_report_from_list(page, server.base_url, title)
    expect(page.locator("#pp-progress")).to_have_text("Pris en compte")
    expect(page.locator("#pp-body")).to_have_text("Organisme responsable : Paris")
    items = page.locator("#pp-timeline li")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Transmis au service des parcs.")
    expect(items.first).to_contain_text("Paris")
    expect(page.locator("#pp-resolution")).to_be_hidden()

    follow = page.locator("#pp-follow")
    follow.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pp-followup-status")).to_have_text("Vous suivez ce signalement.")
    expect(follow).to_have_attribute("aria-pressed", "true")

    update(server, public_id, "fixed", "Banc remplacé.")
    open_report_from_list(page, server.base_url, title)
    # In the list, the fixed report says so in words, not only by its style.
    expect(page.locator("#pp-progress")).to_have_text("Résolu")
    expect(page.locator("#pp-timeline li")).to_have_count(2)
    expect(page.locator("#pp-resolution")).to_be_visible()
    confirm = page.locator("#pp-confirm")
    confirm.focus()
    page.keyboard.press("Enter")
    status = page.locator("#pp-followup-status")
    expect(status).to_have_text("Merci : votre confirmation est enregistrée.")
    expect(status).to_be_focused()
    expect(page.locator("#pp-resolution")).to_be_hidden()
    expect(page.locator("#pp-confirmations")).to_have_text("Confirmé réglé par 1 habitant")
    detail = page.request.get(f"{server.base_url}/api/v1/reports/{public_id}").json()
    assert (detail["progress"], detail["confirmations"]) == ("fixed", 1)

    # Back in the list and on the map, the fixed report is marked with a word and a check mark.
    page.locator("#pp-back").click()
    item = page.locator("#pp-list-items li", has_text=title)
    expect(item.locator(".pp-list__fixed")).to_have_text("✓ Résolu")
    expect(page.locator(".report-marker--fixed").first).to_be_attached()
    assert (
        page.locator(".report-marker--fixed .visually-hidden", has_text=title).first.text_content().endswith("résolu")
    )


def test_a_follower_says_it_is_still_not_fixed_and_the_report_reopens(resident, server):
    page = resident
    title = "Fontaine à sec avenue de Suffren"
    public_id = create_report(server, title, contributor="quelquun")
    open_report_from_list(page, server.base_url, title)
    page.locator("#pp-follow").click()
    expect(page.locator("#pp-follow")).to_have_attribute("aria-pressed", "true")
    update(server, public_id, "fixed", "Fontaine remise en eau.")
    open_report_from_list(page, server.base_url, title)
    page.locator("#pp-not-fixed").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pp-followup-status")).to_contain_text("rouvert")
    expect(page.locator("#pp-progress")).to_have_text("En cours")
    expect(page.locator("#pp-timeline li").last).to_contain_text("Un habitant")
    expect(page.locator("#pp-resolution")).to_be_hidden()
