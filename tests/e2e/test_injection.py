"""Stored injection payloads in real Chromium.

The payloads go in the way a stranger (or a careless admin) would send them: the public API for
reports, comments, flags and workshop contributions, the staff forms for a theme and a workshop.
Then every page that shows them is opened, with every layer on and every feature opened: no dialog,
no request to another host (no tile layer, so none is expected), no CSP violation (the page fixture
fails on any), and each payload shown as the literal text it is.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serve_app, watch_context
from tests.e2e.helpers import log_in, set_view, show_report

PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "<a href=//evil.example>x</a>",
    "<img src=https://evil.example/x>",
)
THEME_LABEL = "<img src=x onerror=alert('thème')>"
WORKSHOP = {
    "title": "<script>alert('atelier')</script>",
    "place": "<img src=https://evil.example/lieu>",
    "question": "\"><svg onload=alert('question')>",
}
# One spot per payload; its two reports, 30 to 90 m apart, make a group of similar reports. The last
# pair straddles the Paris / Saint-Ouen border: a group over two communes, which the dashboard lists.
SPOTS = tuple(
    ((lat, lon), (lat, lon + 0.0004))
    for lat, lon in ((48.8310, 2.3555), (48.8867, 2.3431), (48.8483, 2.3959), (48.8809, 2.3553), (48.8616, 2.2893))
) + (((48.9008, 2.3400), (48.9016, 2.3400)),)
TAG = "injection"
ADMIN = "admin-injection@example.org"
PASSWORD = "mot de passe de test solide"


def rotate(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


def post_json(page, url: str, body: dict) -> dict:
    response = page.request.post(url, data=body)
    assert response.ok, (url, response.status, response.text())
    return response.json()


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser):
    """A server of its own, and every payload stored in it through the browser's own requests and forms."""
    from carte.accounts import create_user
    from carte.extensions import db

    with serve_app(tmp_path_factory.mktemp("injection"), CARTE_TILE_URL="") as (app, base_url):
        with app.app_context():
            create_user(db.session, ADMIN, PASSWORD, "admin")
        context = browser.new_context(locale="fr-FR")
        watch = watch_context(context)
        page = context.new_page()

        # An admin names a theme with a payload, through the themes form.
        log_in(page, base_url, ADMIN, PASSWORD, "/animation/themes")
        page.locator("#new-label").fill(THEME_LABEL)
        page.locator("button", has_text="Ajouter le thème").click()
        expect(page.locator(".flash")).to_be_visible()
        themes = page.request.get(f"{base_url}/api/v1/themes").json()["themes"]
        slug = next(t["slug"] for t in themes if t["label"] == THEME_LABEL)

        # Residents' reports, comments and flags, through the public API.
        reports = []
        for i, pair in enumerate(SPOTS):
            for lat, lon in pair:
                reports.append(
                    post_json(
                        page,
                        f"{base_url}/api/v1/reports",
                        {
                            "theme": slug if i % 2 else "mobilite",
                            "title": rotate(i),
                            "description": rotate(i + 1),
                            "tags": [rotate(i + 2), TAG],
                            "author_name": rotate(i + 3),
                            "location_text": rotate(i + 4),
                            "lat": lat,
                            "lon": lon,
                        },
                    )
                )
        comments = []
        for i, report in enumerate(reports[::2]):
            comment = post_json(
                page,
                f"{base_url}/api/v1/reports/{report['id']}/comments",
                {"body": rotate(i + 5), "author_name": rotate(i)},
            )
            comments.append(comment)
            post_json(
                page, f"{base_url}/api/v1/reports/{report['id']}/flags", {"reason": "abuse", "details": rotate(i + 1)}
            )
            post_json(
                page, f"{base_url}/api/v1/comments/{comment['id']}/flags", {"reason": "spam", "details": rotate(i + 2)}
            )

        # A facilitator's workshop, through its form; participants' contributions through its API.
        page.goto(f"{base_url}/animation/ateliers")
        for name, value in WORKSHOP.items():
            page.locator(f"#w-{name}").fill(value)
        page.locator("#w-date").fill("2026-11-27")
        page.locator("button", has_text="Créer l'atelier").click()
        page.wait_for_url("**/animation/ateliers/*")
        code = page.url.rstrip("/").rsplit("/", 1)[1]
        for i, pair in enumerate(SPOTS[:3]):
            for lat, lon in pair:
                post_json(
                    page,
                    f"{base_url}/api/v1/ateliers/{code}/signalements",
                    {"theme": slug, "title": rotate(i), "description": rotate(i + 3), "lat": lat, "lon": lon},
                )
        context.close()
        watch.assert_quiet()
        yield {"base_url": base_url, "slug": slug, "reports": reports, "comments": comments, "code": code}


@pytest.fixture
def context_options():
    """The payloads' pages without the maps' animations (prefers-reduced-motion, which the maps honour): what is
    checked here is what the pages show, not how they move."""
    return {"reduced_motion": "reduce"}


def staff_page(page, site, path: str):
    log_in(page, site["base_url"], ADMIN, PASSWORD, path)
    return page


def assert_nothing_left_the_site(page) -> None:
    assert page.watch.blocked == [], page.watch.blocked


# -- the resident map --------------------------------------------------------------------------------


def test_map_popups_and_outlines_show_payloads_as_text(page, site):
    page.goto(f"{site['base_url']}/")
    page.wait_for_selector("#map[data-state=ready]")
    expect(page.locator("#legend-themes")).to_contain_text(THEME_LABEL)
    for i, report in enumerate(site["reports"]):
        if i % 2 == 0:  # both reports of a spot are in one view at this zoom
            set_view(page, report["lat"], report["lon"], 18)
        show_report(page, report["id"])
        popup = page.locator(".report-popup").filter(
            has=page.locator(".report-popup__author", has_text=report["author_name"])
        )
        popup = popup.filter(has_text=report["description"]).first
        expect(popup.locator(".report-popup__title")).to_have_text(report["title"])
        expect(popup.locator(".report-popup__description")).to_have_text(report["description"])
        expect(popup.locator(".report-popup__location")).to_have_text(report["location_text"])
        expect(popup.locator(".report-popup__tags li").first).to_have_text(report["tags"][0])
        popup.locator(".report-popup__open").focus()  # closed as a keyboard user closes it
        page.keyboard.press("Escape")
        expect(popup).to_have_count(0)
    # Hover a few commune outlines: their tooltips are the other HTML sink of this map.
    set_view(page, 48.8566, 2.3522, 12)
    box = page.locator("#map").bounding_box()
    for dx in (-300, -100, 100, 300):
        page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + 40)
        expect(page.locator(".commune-tooltip").last).to_be_visible()
    assert_nothing_left_the_site(page)


def test_list_and_detail_panel_show_payloads_as_text(page, site):
    base_url = site["base_url"]
    report = site["reports"][0]
    page.goto(f"{base_url}/")
    page.wait_for_selector("#map[data-state=ready]")
    set_view(page, report["lat"], report["lon"], 17)
    page.locator("#list-toggle").click()
    items = page.locator("#pp-list-items button", has_text=report["title"])
    expect(items.first).to_be_visible()
    comment = site["comments"][0]["body"]
    # Other reports share this title (its twin, the workshop's): open each until the one with the comment.
    for n in range(items.count()):
        items.nth(n).click()
        expect(page.locator("#pp-detail")).to_have_attribute("data-state", "ready")
        expect(page.locator("#pp-title")).to_have_text(report["title"])
        if comment in page.locator("#pp-comments").text_content():
            break
        page.locator("#pp-back").click()
    expect(page.locator("#pp-description")).to_have_text(report["description"])
    expect(page.locator("#pp-comments li").first).to_contain_text(comment)
    assert_nothing_left_the_site(page)


# -- the facilitators' dashboard ---------------------------------------------------------------------

FEATURES_JS = """() => {
    const {map, layers} = window.carteDashboard;
    window.__features = [];
    for (const name of ["choropleth", "hotspots", "groups", "points"]) {
        layers[name].eachLayer((layer) => window.__features.push([name, layer]));
    }
    return window.__features.map(([name]) => name);
}"""
AREA_KINDS = ("choropleth", "hotspots", "groups")  # what answers a click with the details box
CLICK_EACH_AREA_JS = """() => {
    const details = document.querySelector("#details");
    return window.__features.filter(([name]) => name !== "points").map(([name, layer]) => {
        layer.fire("click");
        return [name, details.checkVisibility() && details.getClientRects().length > 0,
                details.querySelector("h3")?.textContent];
    });
}"""
CENTRE_ON_JS = """(i) => {
    const {map} = window.carteDashboard;
    const latlng = window.__features[i][1].getLatLng();
    map.setView(latlng, 18, {animate: false});
    const point = map.latLngToContainerPoint(latlng);
    return [point.x, point.y];
}"""


def test_dashboard_with_every_layer_on_and_every_feature_opened(page, site):
    staff_page(page, site, f"/animation?tag={TAG}")
    expect(page.locator("#dashboard")).not_to_have_attribute("aria-busy", "true")
    for overlay in page.locator(".leaflet-control-layers-overlays input").all():
        if not overlay.is_checked():
            overlay.check()
    page.wait_for_function(f"() => window.carteDashboard.layers.points.getLayers().length === {len(site['reports'])}")
    page.wait_for_function(f"() => window.carteDashboard.layers.groups.getLayers().length >= {len(SPOTS)}")
    expect(page.locator("#issue-groups li strong")).to_have_text(PAYLOADS[-1])  # the group over two communes
    expect(page.locator("#territory-table")).to_contain_text(THEME_LABEL)

    kinds = page.evaluate(FEATURES_JS)
    assert {"choropleth", "groups", "points"} <= set(kinds), kinds
    # Areas, zones and groups answer a click with the details box: each one clicked (fired: the choropleth is
    # drawn above the groups), the box read after each.
    shown = page.evaluate(CLICK_EACH_AREA_JS)
    # Exactly the areas, zones and groups were clicked: no other kind of feature slips past the check.
    assert sorted(kind for kind, _visible, _title in shown) == sorted(k for k in kinds if k in AREA_KINDS), kinds
    assert all(visible for _kind, visible, _title in shown), [s for s in shown if not s[1]]
    details = [title for kind, _visible, title in shown if kind == "groups"]
    # Points have their own tooltip, opened by the real mouse.
    box = page.locator("#dash-map").bounding_box()
    tooltips = []
    for i, kind in enumerate(kinds):
        if kind != "points":
            continue
        x, y = page.evaluate(CENTRE_ON_JS, i)
        for dx in (1, 0):  # Leaflet's canvas handles one mouse move per 32 ms
            page.wait_for_timeout(40)
            page.mouse.move(box["x"] + x + dx, box["y"] + y + dx)
        page.wait_for_function("(i) => window.__features[i][1].isTooltipOpen()", arg=i)
        tooltips.append(page.evaluate("(i) => window.__features[i][1].getTooltip().getElement().textContent", i))
    assert sorted(tooltips) == sorted(r["title"] for r in site["reports"])
    assert set(details) == set(PAYLOADS)
    assert_nothing_left_the_site(page)


# -- moderation, workshop pages ----------------------------------------------------------------------


def test_moderation_queue_shows_payloads_as_text(page, site):
    staff_page(page, site, "/animation/moderation")
    queue = page.locator("ol.queue")
    for payload in PAYLOADS:
        expect(queue.locator("h2", has_text=payload).first).to_be_visible()
        expect(queue.locator(".queue__text", has_text=payload).first).to_be_visible()
        expect(queue.locator(".queue__flags li", has_text=payload).first).to_be_visible()
    expect(queue).to_contain_text(THEME_LABEL)
    assert_nothing_left_the_site(page)


def test_projection_shows_payloads_as_text(page, site):
    staff_page(page, site, f"/atelier/{site['code']}/projection")
    expect(page.locator("#projection")).to_have_attribute("data-count", "6")
    expect(page.locator(".projection__question")).to_have_text(WORKSHOP["question"])
    expect(page.locator("#live-ranking")).to_contain_text(THEME_LABEL)
    page.locator("#btn-compare").click()
    expect(page.locator("#compare-workshop")).to_contain_text(THEME_LABEL)
    assert_nothing_left_the_site(page)


def test_synthesis_shows_payloads_as_text(page, site):
    staff_page(page, site, f"/animation/ateliers/{site['code']}/synthese")
    expect(page.locator("h1")).to_contain_text(WORKSHOP["title"])
    expect(page.locator(".meta")).to_contain_text(WORKSHOP["place"])
    expect(page.locator(".question")).to_have_text(WORKSHOP["question"])
    for payload in PAYLOADS[:3]:
        expect(page.locator("li strong", has_text=payload).first).to_be_visible()  # its groups of similar reports
        expect(page.locator("blockquote", has_text=payload).first).to_be_visible()
    expect(page.locator("table")).to_contain_text(THEME_LABEL)
    assert_nothing_left_the_site(page)


def test_workshop_pages_show_payloads_as_text(page, site):
    staff_page(page, site, f"/animation/ateliers/{site['code']}")
    expect(page.locator("h1")).to_have_text(WORKSHOP["title"])
    expect(page.locator(".question")).to_have_text(WORKSHOP["question"])
    page.goto(f"{site['base_url']}/animation/ateliers")
    expect(page.locator("table.data-table")).to_contain_text(WORKSHOP["place"])
    page.goto(f"{site['base_url']}/a/{site['code']}")
    expect(page.locator(".join__question")).to_have_text(WORKSHOP["question"])
    expect(page.locator("#j-theme option", has_text=THEME_LABEL)).to_have_count(1)
    page.goto(f"{site['base_url']}/animation/themes")
    expect(page.locator(".themes__item h2", has_text=THEME_LABEL)).to_have_count(1)
    assert_nothing_left_the_site(page)


# -- the watch itself ----------------------------------------------------------------------------------


def test_the_watch_catches_what_the_policy_blocks(browser, site):
    """The checks above are only worth something if a blocked script or image is seen: try both."""
    context = browser.new_context()
    watch = watch_context(context)
    page = context.new_page()
    try:
        page.goto(f"{site['base_url']}/connexion")
        page.evaluate("""() => {
            window.__violations = 0;
            document.addEventListener("securitypolicyviolation", () => { window.__violations += 1; });
            const img = document.createElement("img");
            img.setAttribute("src", "x");
            img.setAttribute("onerror", "alert(1)");
            document.body.append(img);
            const far = document.createElement("img");
            far.src = "https://evil.example/x";
            document.body.append(far);
        }""")
        page.wait_for_function("() => window.__violations >= 2")  # the inline handler and the far image
    finally:
        context.close()
    assert any("script-src" in v for v in watch.violations), watch.violations
    assert any("img-src" in v and "evil.example" in v for v in watch.violations), watch.violations
    assert watch.dialogs == []


def test_swagger_ui_works_under_the_policy(page, site):
    page.goto(f"{site['base_url']}/api/v1/docs")
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    assert_nothing_left_the_site(page)
