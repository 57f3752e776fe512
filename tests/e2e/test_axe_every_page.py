"""axe-core finds no serious or critical violation on any page, in French and in English, WCAG 2.2 AA
rules included (target size), at desktop and phone sizes (issue 11, "Keyboard and screen readers")."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import MAP_SETTLED, serve_app
from tests.e2e.helpers import axe_in_every_page, axe_violations, log_in
from tests.helpers import STAFF_PASSWORD

EMAIL = "axe-admin@example.org"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PUBLIC = [
    "/",
    "/accessibilite",
    "/a",
    "/a/ZZZZZZ",
    "/connexion",
    "/api/v1/docs",
    "/page-inconnue",
    "/retrait/lien-inconnu",
]
STAFF = [
    "/animation",
    "/animation/ateliers",
    "/animation/moderation",
    "/animation/themes",
    "/animation/journal",
    "/animation/effacement",
]
# How a page with content of its own to fetch shows it has it; the other pages are whole at their load event.
# The dashboard's secondary layers (issue groups, bridges, points) signal nothing: the network falling quiet
# is its sign.
READY = {
    "/": lambda page: page.wait_for_selector(MAP_SETTLED),
    "/api/v1/docs": lambda page: page.wait_for_selector("#swagger-ui .opblock"),
    "/animation": lambda page: page.wait_for_load_state("networkidle"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from carte.accounts import create_user
    from carte.extensions import db

    with serve_app(tmp_path_factory.mktemp("e2e-axe"), CARTE_TILE_URL="", SERVER_NAME=None) as (app, base_url):
        with app.app_context():
            create_user(db.session, EMAIL, STAFF_PASSWORD, "admin")
        yield base_url


def audit(page, site: str, path: str) -> list[dict]:
    page.goto(site + path)
    if path in READY:
        READY[path](page)
    return axe_violations(page, tags=TAGS, serious_only=True)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 768}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_no_serious_violation_on_any_page(browser, site, lang, viewport):
    context = browser.new_context(
        viewport=viewport, locale=lang, bypass_csp=True, extra_http_headers={"Accept-Language": lang}
    )
    axe_in_every_page(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    found = {}
    try:
        for path in PUBLIC:
            found[path] = audit(page, site, path)
        log_in(page, site, EMAIL, next_path="/animation/ateliers")  # a light page, not the map
        for path in STAFF:
            found[path] = audit(page, site, path)
        bad = {path: v for path, v in found.items() if v}
        assert not bad, json.dumps(bad, indent=1)
    finally:
        context.close()
