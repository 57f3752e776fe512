"""The resident map filters by progress (issue 13): all reports, those not fixed yet, or the fixed ones."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serve_app, watch_context
from tests.e2e.helpers import set_view


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from sqlalchemy import select

    from carte.extensions import db
    from carte.followup.updates import post_update
    from carte.models import Report

    with serve_app(tmp_path_factory.mktemp("e2e-progress"), CARTE_TILE_URL="", SERVER_NAME=None) as (app, base_url):
        client = app.test_client()
        ids = [
            client.post(
                "/api/v1/reports", json={"theme": "mobilite", "title": title, "lat": lat, "lon": 2.3874}
            ).get_json()["id"]
            for title, lat in (
                ("Feu réparé quai de la Charente", 48.8937),
                ("Trottoir défoncé quai de l'Oise", 48.8941),
            )
        ]
        with app.app_context():
            report = db.session.scalars(select(Report).where(Report.public_id == ids[0])).one()
            post_update(
                db.session, report, progress="fixed", text="Feu remplacé.", body_code="75056", author_kind="agent"
            )
        yield base_url


def test_the_legend_filters_the_map_by_progress(browser, site):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    watch = watch_context(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{site}/")
        page.wait_for_selector("#map[data-state=ready]")
        set_view(page, 48.8939, 2.3874, 18)
        fixed = page.locator(".report-marker", has_text="Feu réparé quai de la Charente")
        open_ = page.locator(".report-marker", has_text="Trottoir défoncé quai de l'Oise")
        expect(fixed).to_have_count(1)
        expect(open_).to_have_count(1)
        with page.expect_response(lambda r: "progress=fixed" in r.url):
            page.locator("#progress-filter").select_option("fixed")
        expect(open_).to_have_count(0)
        expect(fixed).to_have_count(1)
        expect(page.locator("#map")).to_have_attribute("data-total", "1")
        page.locator("#progress-filter").focus()  # by keyboard too
        page.keyboard.press("ArrowUp")  # « Pas encore résolus »
        expect(fixed).to_have_count(0)
        expect(open_).to_have_count(1)
        watch.assert_quiet()
    finally:
        context.close()
