"""The facilitators' dashboard in use (issue 14), in Chromium at 1366 px and 390 px.

Every request to another host is aborted (conftest.watch_context), so tiles never load: the page
is tried as it would be offline. The server has the demo data plus a small planted cluster of
near-identical reports astride the Paris / Montreuil boundary, so that issue groups and hotspots
exist and span two communes. Expected figures come from the API, never from the page itself.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from shapely.geometry import shape

from tests.e2e.conftest import serve_app, watch_context
from tests.e2e.helpers import log_in
from tests.helpers import STAFF_PASSWORD

ADMIN = "admin-dash@example.org"
FACILITATOR = "animation-dash@example.org"
SIZES = {"desktop": (1366, 800), "phone": (390, 844)}
INSEE = re.compile(r"\b\d{5}\b")


def _border_point(app):
    """A point on the boundary between Paris and Montreuil, from the atlas itself."""
    with app.test_request_context():
        features = app.test_client().get("/api/v1/communes").get_json()["features"]
    by_code = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
    line = by_code["75056"].boundary.intersection(by_code["93048"].boundary)
    point = line.interpolate(0.5, normalized=True)
    return point.x, point.y


PLANTED = {"92078": "Villeneuve-la-Garenne", "93014": "Clichy-sous-Bois"}


def _inside(app, code):
    with app.test_request_context():
        features = app.test_client().get("/api/v1/communes").get_json()["features"]
    point = next(shape(f["geometry"]) for f in features if f["properties"]["code"] == code).representative_point()
    return point.x, point.y


@pytest.fixture(scope="module")
def dash_server(tmp_path_factory):
    from carte.accounts import create_user
    from carte.extensions import db

    with serve_app(tmp_path_factory.mktemp("e2e-dashboard"), SERVER_NAME=None) as (app, base_url):
        with app.app_context():
            create_user(db.session, ADMIN, STAFF_PASSWORD, "admin")
            create_user(db.session, FACILITATOR, STAFF_PASSWORD, "facilitator")
        lon, lat = _border_point(app)
        client = app.test_client()
        # A need planted in one commune of each of two territories: a passerelle between them.
        for code in PLANTED:
            x, y = _inside(app, code)
            for i in range(12):
                response = client.post(
                    "/api/v1/reports",
                    json={
                        "theme": "emploi-insertion",
                        "title": f"Pas de permanence emploi près de chez nous {i}",
                        "lat": y + (i % 4 - 1.5) * 0.0015,
                        "lon": x + (i // 4 - 1) * 0.0015,
                    },
                )
                assert response.status_code == 201, response.get_json()
        offsets = [(dx * 0.00035, dy * 0.00035) for dx in (-2, -1, 1, 2) for dy in (-2, -1, 0, 1, 2)]
        for i, (dx, dy) in enumerate(offsets):
            response = client.post(
                "/api/v1/reports",
                json={
                    "theme": "espaces-publics-proprete",
                    "title": f"Dépôt sauvage d'encombrants sur le trottoir {i % 3}",
                    "description": "Des encombrants et des sacs d'ordures abandonnés sur le trottoir depuis des jours.",
                    "lat": lat + dy,
                    "lon": lon + dx,
                },
            )
            assert response.status_code == 201, response.get_json()
        yield base_url


def new_page(browser, size: str, errors: list[str]):
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="fr-FR", timezone_id="Europe/Paris"
    )
    watch_context(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A 404 of an aggregate that the stats work has not delivered yet is not a page error.
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None,
    )
    return page


def open_dashboard(page, server: str) -> None:
    """Logged in as the admin through the form, which leads straight to the dashboard (not by the map)."""
    log_in(page, server, ADMIN, next_path="/animation")
    page.wait_for_selector("#dashboard[data-total]:not([aria-busy])")


def wait_refreshed(page, expected_total: int) -> None:
    expect(page.locator("#dashboard")).to_have_attribute("data-total", str(expected_total))
    expect(page.locator("#dashboard")).not_to_have_attribute("aria-busy", "true")


def api(page, server: str, path: str):
    response = page.request.get(f"{server}/api/v1{path}")
    assert response.ok, f"GET {path}: {response.status}"
    return response.json()


def metropole_total(page, server: str, query: str = "") -> int:
    result = api(page, server, f"/aggregates/territories?level=metropole&exact=1{query}")
    return sum(th["count"] or 0 for th in result["themes"])


def toggle_layer(page, name: str, on: bool) -> None:
    control = page.locator(".leaflet-control-layers")
    if "leaflet-control-layers-expanded" not in (control.get_attribute("class") or ""):
        # By keyboard, as a facilitator without a mouse would: Enter on the toggle opens the list.
        page.locator(".leaflet-control-layers-toggle").focus()
        page.keyboard.press("Enter")
    box = page.get_by_label(name, exact=True)
    # The pointer enters the list first: Leaflet ignores clicks in the tick after it opens it on mouseenter.
    box.hover()
    page.wait_for_timeout(50)
    box.check() if on else box.uncheck()
    page.mouse.move(1, 1)


def open_filters(page) -> None:
    toggle = page.locator("#filters-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
        toggle.click()


@pytest.mark.parametrize("size", SIZES)
def test_heatmap_on_then_off_leaves_filters_and_charts_working(browser, dash_server, size):
    errors: list[str] = []
    page = new_page(browser, size, errors)
    open_dashboard(page, dash_server)
    toggle_layer(page, "Carte de chaleur", True)
    expect(page.locator(".leaflet-heatmap-layer")).to_have_count(1)
    toggle_layer(page, "Carte de chaleur", False)
    open_filters(page)
    page.get_by_label("Espaces publics et propreté").check()
    expected = metropole_total(page, dash_server, "&theme=espaces-publics-proprete")
    wait_refreshed(page, expected)
    expect(page.locator("#status")).not_to_contain_text("Erreur")
    charted = page.evaluate("Chart.getChart('chart-rank').data.datasets[0].data.reduce((a, b) => a + b, 0)")
    assert charted == expected
    # Back on, the heatmap shows the new selection's points.
    toggle_layer(page, "Carte de chaleur", True)
    heat_points = page.evaluate("window.carteDashboard.layers.heat._latlngs.length")
    assert heat_points == len(
        api(page, dash_server, "/aggregates/heatmap?exact=1&zoom=11&theme=espaces-publics-proprete")["points"]
    )
    assert not errors, errors
    page.context.close()


@pytest.mark.parametrize("size", [*SIZES, "900"])
def test_results_never_cover_the_filters(browser, dash_server, size):
    errors: list[str] = []
    if size == "900":
        SIZES["900"] = (900, 800)
    page = new_page(browser, size, errors)
    width = SIZES[size][0]
    open_dashboard(page, dash_server)
    form = page.locator("#filters")
    results = page.locator(".dash-main")
    if width <= 900:
        toggle = page.locator("#filters-toggle")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#filters-body")).to_be_hidden()
        # By keyboard: the toggle opens the filters, which push the results down.
        toggle.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#filters-body")).to_be_visible()
        assert form.bounding_box()["y"] + form.bounding_box()["height"] <= results.bounding_box()["y"] + 1
        map_height = page.locator("#dash-map").bounding_box()["height"]
        assert 250 <= map_height <= SIZES[size][1] * 0.8
    else:
        expect(page.locator("#filters-toggle")).to_be_hidden()
        assert form.bounding_box()["x"] + form.bounding_box()["width"] <= results.bounding_box()["x"] + 1
    # Nothing wider than the screen except inside the horizontally scrolling tables.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("getComputedStyle(document.querySelector('.table-scroll')).overflowX") in ("auto", "scroll")
    assert not errors, errors
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_offline_outlines_under_layers_and_legends_follow_their_layer(browser, dash_server, size):
    errors: list[str] = []
    page = new_page(browser, size, errors)
    open_dashboard(page, dash_server)
    assert any("tile" in url for url in page.context.watch.blocked), "the tiles were requested and aborted"
    communes = len(api(page, dash_server, "/communes")["features"])
    outlines = page.evaluate("""() => {
        const d = window.carteDashboard;
        return {on: d.map.hasLayer(d.layers.outlines), n: d.layers.outlines.getLayers().length,
                pane: +d.map.getPane('outlines').style.zIndex, overlay: +getComputedStyle(d.map.getPane('overlayPane')).zIndex};
    }""")
    assert outlines["on"] and outlines["n"] == communes
    assert outlines["pane"] < outlines["overlay"]
    expect(page.locator(".map-legend--choropleth")).to_be_visible()
    expect(page.locator(".map-legend--heat")).to_have_count(0)
    toggle_layer(page, "Taux pour 10 000 habitants", False)
    expect(page.locator(".map-legend--choropleth")).to_have_count(0)
    toggle_layer(page, "Carte de chaleur", True)
    expect(page.locator(".map-legend--heat")).to_be_visible()
    expect(page.locator(".map-legend--heat .heat-ramp")).to_have_count(1)
    # With the choropleth off, the outlines are still there under the heatmap.
    assert page.evaluate("window.carteDashboard.map.hasLayer(window.carteDashboard.layers.outlines)")
    toggle_layer(page, "Zones de concentration", False)
    expect(page.locator(".map-legend--zones")).to_have_count(0)
    assert not errors, errors
    page.context.close()


def test_issue_groups_and_zones_name_communes(browser, dash_server):
    errors: list[str] = []
    page = new_page(browser, "desktop", errors)
    open_dashboard(page, dash_server)
    groups = api(page, dash_server, "/aggregates/issue-groups?exact=1")["groups"]
    spanning = [g for g in groups if len(g["communes"]) > 1]
    assert spanning, "the planted reports make a group astride two communes"
    items = page.locator("#issue-groups li")
    expect(items).to_have_count(len(spanning))
    text = items.first.inner_text()
    assert "Paris" in text and "Montreuil" in text
    assert not INSEE.search(text), text
    zones = api(page, dash_server, "/aggregates/hotspots?exact=1")["features"]
    assert zones, "the planted reports make a hotspot"
    page.evaluate("() => { window.carteDashboard.layers.hotspots.getLayers()[0].fire('click'); }")
    box = page.locator("#details")
    expect(box).to_be_visible()
    assert not INSEE.search(box.inner_text()), box.inner_text()
    assert not errors, errors
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_detail_boxes_follow_filter_changes(browser, dash_server, size):
    errors: list[str] = []
    page = new_page(browser, size, errors)
    open_dashboard(page, dash_server)
    box = page.locator("#details")
    # A zone's box describes one selection: it closes when the selection changes.
    page.evaluate("() => { window.carteDashboard.layers.hotspots.getLayers()[0].fire('click'); }")
    expect(box).to_be_visible()
    open_filters(page)
    page.get_by_label("Mobilité").check()
    wait_refreshed(page, metropole_total(page, dash_server, "&theme=mobilite"))
    expect(box).to_be_hidden()
    # A place's box stays open with the new selection's figures.
    page.get_by_label("Mobilité").uncheck()
    wait_refreshed(page, metropole_total(page, dash_server))
    page.evaluate("""() => { window.carteDashboard.layers.choropleth.eachLayer((l) => {
        if (l.feature.properties.code === '93048') l.fire('click'); }); }""")
    before = api(page, dash_server, "/aggregates/territories?level=commune&exact=1")
    count = next(p["count"] for p in before["places"] if p["code"] == "93048")
    expect(box).to_contain_text(f"{count} signalements")
    page.get_by_label("Espaces publics et propreté").check()
    after = api(page, dash_server, "/aggregates/territories?level=commune&exact=1&theme=espaces-publics-proprete")
    new_count = next(p["count"] for p in after["places"] if p["code"] == "93048")
    assert new_count != count
    wait_refreshed(page, metropole_total(page, dash_server, "&theme=espaces-publics-proprete"))
    expect(box).to_contain_text(f"{new_count} signalements")
    assert not errors, errors
    page.context.close()


STAFF_PAGES = [
    "/animation/suivi",
    "/animation",
    "/animation/ateliers",
    "/animation/moderation",
    "/animation/journal",
    "/animation/themes",
    "/animation/effacement",
]


@pytest.mark.parametrize("size", SIZES)
def test_one_staff_menu_on_every_staff_page(browser, dash_server, size):
    errors: list[str] = []
    page = new_page(browser, size, errors)
    log_in(page, dash_server, ADMIN, next_path="/animation/ateliers")
    for path in STAFF_PAGES:
        page.goto(f"{dash_server}{path}")
        menu = page.locator("#staff-menu")
        expect(menu).to_have_count(1)
        hrefs = menu.locator("a").evaluate_all("links => links.map((a) => new URL(a.href).pathname)")
        assert hrefs == STAFF_PAGES, (path, hrefs)
        expect(menu.locator("a[aria-current=page]")).to_have_attribute("href", path)
        expect(menu.locator("#staff-user")).to_contain_text(ADMIN)
        expect(menu.locator("#staff-user")).to_contain_text("administration")
        expect(menu.locator("#logout")).to_be_visible()
    # Logging out by keyboard ends the session.
    page.goto(f"{dash_server}/animation/moderation")
    page.locator("#logout").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{dash_server}/")
    page.goto(f"{dash_server}/animation")
    assert "/connexion" in page.url
    assert not errors, errors
    page.context.close()


def test_a_facilitator_sees_only_the_pages_they_may_open(browser, dash_server):
    errors: list[str] = []
    page = new_page(browser, "desktop", errors)
    log_in(page, dash_server, FACILITATOR, next_path="/animation/ateliers")
    hrefs = page.locator("#staff-menu a").evaluate_all("links => links.map((a) => new URL(a.href).pathname)")
    assert hrefs == ["/animation/suivi", "/animation", "/animation/ateliers"]  # the queue: facilitators reassign
    expect(page.locator("#staff-user")).to_contain_text("animation")
    assert not errors, errors
    page.context.close()


def test_points_layer_states_its_total(browser, dash_server):
    errors: list[str] = []
    page = new_page(browser, "desktop", errors)
    open_dashboard(page, dash_server)
    toggle_layer(page, "Signalements", True)
    total = page.locator("#points-total")
    expect(total).to_be_visible()
    bounds = page.evaluate("window.carteDashboard.map.getBounds().toBBoxString()")
    zoom = page.evaluate("Math.round(window.carteDashboard.map.getZoom())")
    answer = api(page, dash_server, f"/reports?bbox={bounds}&zoom={zoom}&limit=1000")
    expected = answer.get("total", len(answer["features"]))
    assert page.locator("#dashboard").get_attribute("data-points-total") == str(expected)
    expect(total).to_contain_text(f"{expected}")
    toggle_layer(page, "Signalements", False)
    expect(total).to_be_hidden()
    assert not errors, errors
    page.context.close()


def legend_rows(page) -> list[str]:
    return page.locator(".map-legend--choropleth div:has(.legend-swatch)").all_inner_texts()


def edges_text(edges) -> list[str]:
    def fr(v):
        return f"{v:.2f}".rstrip("0").rstrip(".").replace(".", ",")

    unique = sorted(set(edges))
    return [f"{fr(a)} – {fr(b)}" for a, b in zip(unique, unique[1:])]


@pytest.mark.parametrize("size", SIZES)
def test_choropleth_smoothed_by_default_with_a_switch_to_raw(browser, dash_server, size):
    errors: list[str] = []
    page = new_page(browser, size, errors)
    open_dashboard(page, dash_server)
    breaks = api(page, dash_server, "/aggregates/territories?level=commune&exact=1")["breaks"]
    expect(page.locator("#dashboard")).to_have_attribute("data-rate-field", "rate_eb_per_10k")
    legend = page.locator(".map-legend--choropleth")
    expect(legend).to_contain_text(breaks["unit"])
    expect(legend).to_contain_text("lissé")
    assert [row.strip() for row in legend_rows(page)][:-1] == edges_text(breaks["rate_eb_per_10k"])
    open_filters(page)
    page.select_option("#f-rate", "raw")
    expect(page.locator("#dashboard")).to_have_attribute("data-rate-field", "rate_per_10k")
    expect(legend).to_contain_text("brut")
    assert [row.strip() for row in legend_rows(page)][:-1] == edges_text(breaks["rate_per_10k"])
    assert "rate=raw" in page.url
    assert not errors, errors
    page.context.close()


def test_table_labels_both_questions_and_shows_excess_risk(browser, dash_server):
    errors: list[str] = []
    page = new_page(browser, "desktop", errors)
    open_dashboard(page, dash_server)
    head = page.locator("#territory-table thead")
    expect(head).to_contain_text("Sur-représenté dans le mélange des thèmes")
    expect(head).to_contain_text("Plus que prévu pour sa population")
    rows = api(page, dash_server, "/aggregates/territories?level=territoire&exact=1")["rows"]
    best = max((r for r in rows if r["excess_risk"] is not None), key=lambda r: r["excess_risk"])
    # Sorted by excess risk (keyboard: Enter on the header button), the first row is the API's largest.
    page.locator("#territory-table button[data-key=excess_risk]").focus()
    page.keyboard.press("Enter")
    first = page.locator("#territory-table tbody tr").first.locator("td")
    expect(first.nth(0)).to_have_text(best["nom"])
    assert f"{best['excess_risk']:.2f}".rstrip("0").rstrip(".").replace(".", ",") in first.all_inner_texts()
    assert not errors, errors
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_passerelles_table_lines_and_similar_places(browser, dash_server, size):
    errors: list[str] = []
    page = new_page(browser, size, errors)
    open_dashboard(page, dash_server)
    pairs = api(page, dash_server, "/aggregates/passerelles?level=commune&exact=1")["pairs"]
    planted = [p for p in pairs if {p["a"]["code"], p["b"]["code"]} == set(PLANTED)]
    assert planted, "the planted need links the two communes"
    table = page.locator("#bridges-table tbody tr")
    expect(table).to_have_count(len(pairs))
    expect(page.locator("#bridges-table")).to_contain_text(planted[0]["sentence"])
    assert page.evaluate("window.carteDashboard.layers.bridges.getLayers().length") == len(
        [p for p in pairs if p.get("line")]
    )
    # A row's button, by keyboard, shows the pair on the map with its sentence.
    index = pairs.index(planted[0])
    page.locator(f"#bridges-table button[data-bridge='{index}']").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#details")).to_contain_text(planted[0]["sentence"])
    # A place offers its similar places, in the API's order, saying which are in another territory.
    page.evaluate("""() => { window.carteDashboard.layers.choropleth.eachLayer((l) => {
        if (l.feature.properties.code === '92078') l.fire('click'); }); }""")
    similar = api(page, dash_server, "/aggregates/similar-places?code=92078&level=commune&exact=1")["places"][:5]
    page.locator("#details .similar__button").click()
    items = page.locator("#details .similar__list li")
    expect(items).to_have_count(len(similar))
    for item, place in zip(items.all(), similar):
        expect(item.locator("strong")).to_have_text(f"{place['nom']} ({place['territoire']['nom']})")
        assert ("autre territoire" in item.inner_text()) == place["other_territory"]
    assert not errors, errors
    page.context.close()


def test_zones_solid_when_robust_dashed_otherwise(browser, dash_server):
    errors: list[str] = []
    page = new_page(browser, "desktop", errors)
    open_dashboard(page, dash_server)
    zones = api(page, dash_server, "/aggregates/hotspots?exact=1")["features"]
    assert zones
    drawn = page.evaluate("""() => window.carteDashboard.layers.hotspots.getLayers().map(
        (l) => [l.feature.properties.robust, l.options.dashArray || null])""")
    assert sorted(str(r) for r, _ in drawn) == sorted(str(z["properties"]["robust"]) for z in zones)
    for robust, dash in drawn:
        assert (dash is None) == bool(robust), (robust, dash)
    expect(page.locator("#zones-hint")).to_contain_text("trait plein")
    assert not errors, errors
    page.context.close()


def test_shared_needs_say_why_a_theme_has_the_badge_or_not(browser, dash_server):
    errors: list[str] = []
    page = new_page(browser, "desktop", errors)
    open_dashboard(page, dash_server)
    themes = [th for th in api(page, dash_server, "/aggregates/shared-needs?exact=1")["themes"] if th["count"] != 0]
    items = page.locator("#shared-needs > li")
    expect(items).to_have_count(len(themes))
    for item, theme in zip(items.all(), themes):
        if theme["metropolitan"]:
            badge = item.locator(".badge")
            badge.focus()  # the tooltip opens by keyboard too
            expect(badge.locator(".badge__tip")).to_be_visible()
            expect(badge.locator(".badge__tip")).to_have_text(theme["why"]["text"])
        else:
            expect(item.locator(".shared-needs__why")).to_have_text(theme["why"]["text"])
    assert not errors, errors
    page.context.close()


def test_projection_shows_places_elsewhere_with_the_rooms_needs(browser, dash_server):
    errors: list[str] = []
    page = new_page(browser, "desktop", errors)
    log_in(page, dash_server, FACILITATOR, next_path="/animation/ateliers")
    page.fill("#w-title", "Emploi au nord")
    page.fill("#w-date", "2026-12-01")
    page.fill("#w-place", "Villeneuve-la-Garenne")
    page.fill("#w-question", "Quels problèmes pour trouver un emploi ?")
    page.click("text=Créer l'atelier")
    code = page.locator("#join-code").inner_text().strip()
    lon, lat = 2.3256, 48.9366  # Villeneuve-la-Garenne
    for i in range(3):
        response = page.request.post(
            f"{dash_server}/api/v1/ateliers/{code}/signalements",
            data={
                "theme": "emploi-insertion",
                "title": f"Aucune permanence emploi {i}",
                "lat": lat,
                "lon": lon + i * 0.001,
            },
        )
        assert response.ok, response.text()
    page.goto(f"{dash_server}/atelier/{code}/projection")
    expect(page.locator("#projection")).to_have_attribute("data-count", "3")
    page.locator("#btn-elsewhere").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#elsewhere-panel")).to_be_visible()
    expect(page.locator("#btn-elsewhere")).to_have_attribute("aria-pressed", "true")
    answer = api(page, dash_server, f"/aggregates/similar-places?workshop={code}&level=commune&exact=1")
    expected = [p for p in answer["places"] if p["other_territory"] is not False][:5]
    assert expected
    expect(page.locator("#projection")).to_have_attribute("data-elsewhere", str(len(expected)))
    names = page.locator("#elsewhere-list li strong").all_inner_texts()
    assert names == [f"{p['nom']} ({p['territoire']['nom']})" for p in expected]
    assert not errors, errors
    page.context.close()
