"""The resident map: communes, reports, and filing a report with and without the map."""

import re
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import MAP_SETTLED, watch_context
from tests.e2e.helpers import axe_violations, set_view, shot

# Places in Paris (75056). Each test clicks its own place: the server is shared by the
# session, and a marker left by an earlier test would catch the click.
TOUR_EIFFEL = (48.8584, 2.2945)
REPUBLIQUE = (48.8674, 2.3636)
LUXEMBOURG = (48.8462, 2.3372)
BASTILLE = (48.8532, 2.3691)
BUTTES_CHAUMONT = (48.8809, 2.3828)
XSS_TITLE = "<img src=x onerror=alert(1)>"
# Titles are made unique so that the tests can also run against a long-lived server.
RUN = uuid.uuid4().hex[:4]


def close_withdraw_link(page) -> None:
    """After posting, the private withdrawal link is shown once, with the focus on it; noting it
    gives the focus back to the new report's marker."""
    expect(page.locator("#withdraw-link-url")).to_be_focused()
    expect(page.locator("#withdraw-link-url")).to_have_value(re.compile(r"/retrait/"))
    page.keyboard.press("Escape")
    expect(page.locator("#withdraw-link")).to_be_hidden()


def test_map_draws_the_130_communes_offline(carte):
    page = carte.page
    # 130 outlines in the commune layer, also exposed by the script once loaded.
    expect(page.locator("#map")).to_have_attribute("data-communes", "130")
    expect(page.locator(".leaflet-communes-pane path.commune-path")).to_have_count(130)
    shot(page, "map-overview.png")
    # Tiles were blocked (offline): the page says so, without blocking anything.
    if page.evaluate("() => Boolean(window.carte.carte.tiles)"):
        expect(page.locator("#map-notice")).to_contain_text("Fond de carte indisponible")
        assert page.watch.blocked, "tile requests should have been attempted and blocked"
        expect(page.locator("#credits")).to_contain_text("OpenStreetMap")
    # Hovering a commune shows its name.
    page.mouse.move(*carte.free_point_of(*LUXEMBOURG, zoom=12))
    expect(page.locator(".leaflet-tooltip.commune-tooltip")).to_have_text("Paris")
    # The legend lists every theme, in the theme's colour.
    themes = carte.themes()
    expect(page.locator("#legend-themes li")).to_have_count(len(themes))
    expect(page.locator("#legend-themes")).to_contain_text(themes[0]["label"])
    # Credits for every data source: the attribution control and the visible block.
    for place in (page.locator(".leaflet-control-attribution"), page.locator("#credits")):
        expect(place).to_contain_text("IGN (Licence Ouverte)")
        expect(place).to_contain_text("Ville de Paris (ODbL)")
        expect(place).to_contain_text("Etalab (MIT)")
    # Demo reports are on the map, as markers or clusters with accessible names.
    markers = page.locator(".report-marker, .report-cluster")
    expect(markers.first).to_be_visible()


@pytest.mark.parametrize(
    "size", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_the_first_view_fits_the_communes_and_asks_for_its_reports_once(browser, live_server, size):
    """The fit to the communes is not animated: an animated one ended after the first reports were asked for,
    and the fitted view asked again."""
    context = browser.new_context(viewport=size)
    page = context.new_page()
    asked = []
    page.on("request", lambda request: "/api/v1/reports?" in request.url and asked.append(request.url))
    try:
        page.goto(f"{live_server}/")
        page.wait_for_selector(MAP_SETTLED)
        page.wait_for_load_state("networkidle")
        assert len(asked) == 1, asked
        fitted, view = page.evaluate(
            """() => { const m = window.carte.map, b = m.getBounds();
                       return [b.contains(window.carte.communes.layer().getBounds()),
                               [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]]; }"""
        )
        assert fitted  # the whole Métropole is in view
        bbox = [float(n) for n in parse_qs(urlparse(asked[0]).query)["bbox"][0].split(",")]
        assert bbox == pytest.approx(view, abs=1e-4)  # and that view's reports are the ones asked for
    finally:
        context.close()


ZOOM_IN = """() => new Promise((resolve) => {
    const map = window.carte.map;
    let animated = false;
    map.once("zoomanim", () => { animated = true; });
    map.once("zoomend", () => resolve(animated));
    map.setZoom(map.getZoom() + 1);
})"""


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_a_resident_who_asks_for_less_motion_gets_a_map_that_jumps(browser, live_server, motion):
    """prefers-reduced-motion (WCAG 2.3.3): no zoom, fade or inertia animation, and groups of reports that open
    without their animation; everyone else keeps Leaflet's glide."""
    context = browser.new_context(reduced_motion=motion)
    watch = watch_context(context)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/")
        page.wait_for_selector(MAP_SETTLED)
        options = page.evaluate(
            """() => { const o = window.carte.map.options;
                       return [o.zoomAnimation, o.fadeAnimation, o.markerZoomAnimation, o.inertia,
                               window.carte.carte.reports.layer().options.animate]; }"""
        )
        assert options == [motion != "reduce"] * 5
        assert page.evaluate(ZOOM_IN) is (motion != "reduce")
    finally:
        context.close()
    watch.assert_quiet()


def test_keyboard_focus_on_a_commune_shows_its_name(carte):
    page = carte.page
    page.locator("#map").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('commune-path')"):
            break
    focused = page.locator("path.commune-path:focus")
    expect(focused).to_have_count(1)
    tooltip = page.locator(".leaflet-tooltip.commune-tooltip")
    expect(tooltip).to_be_visible()
    first = tooltip.inner_text()
    assert first and first in focused.get_attribute("aria-label")
    page.keyboard.press("ArrowRight")
    second = page.locator("path.commune-path:focus")
    expect(second).to_have_count(1)
    name = second.get_attribute("aria-label").split(" : ")[0]
    assert name != first
    expect(page.get_by_role("tooltip", name=name)).to_be_visible()
    shot(page, "commune-keyboard-focus.png")


def test_file_a_report_by_clicking_the_map(carte):
    page = carte.page
    theme = carte.themes()[0]
    carte.open_form_at(*TOUR_EIFFEL)
    expect(page.locator("#position-text")).to_contain_text("Paris")
    expect(carte.field("theme")).to_be_focused()
    carte.fill_report(
        theme=theme["slug"],
        title=f"Trottoir encombré devant la tour {RUN}",
        description="Des trottinettes bloquent le passage des poussettes.",
        tags=["trottoir", "accessibilité"],
        author="Camille",
    )
    expect(page.locator("#tags-list .chip")).to_have_count(2)
    expect(page.locator("#description-counter")).to_contain_text("/ 2")
    shot(page, "report-form-filled.png")
    carte.submit()

    expect(carte.confirmation).to_have_text("Signalement enregistré à Paris")
    expect(carte.panel).to_be_hidden()
    expect(page.locator(".pin-marker")).to_have_count(0)
    marker = page.locator(".report-marker", has_text=f"Trottoir encombré devant la tour {RUN}")
    expect(marker).to_be_visible()
    close_withdraw_link(page)
    expect(marker).to_be_focused()
    popup = page.locator(".leaflet-popup .report-popup")
    expect(popup.locator(".report-popup__title")).to_have_text(f"Trottoir encombré devant la tour {RUN}")
    expect(popup).to_contain_text(theme["label"])
    expect(popup).to_contain_text("Paris")
    expect(popup.locator(".tag")).to_have_text(["trottoir", "accessibilité"])
    shot(page, "report-created.png")


def test_the_pin_can_be_dragged(carte):
    page = carte.page
    carte.open_form_at(*REPUBLIQUE)
    before = page.locator("#map").get_attribute("data-pin")
    pin = page.locator(".pin-marker").bounding_box()
    x, y = pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 30, steps=8)
    page.mouse.up()
    expect(page.locator("#map")).not_to_have_attribute("data-pin", before)
    expect(page.locator("#position-text")).to_contain_text("Paris")


def test_empty_form_shows_validation_messages(carte):
    page = carte.page
    carte.open_form_at(*LUXEMBOURG)
    carte.submit()
    expect(carte.error("theme")).to_have_text("Choisissez un thème.")
    expect(carte.error("title")).to_have_text("Indiquez un titre.")
    expect(carte.field("theme")).to_have_attribute("aria-invalid", "true")
    expect(carte.field("title")).to_have_attribute("aria-invalid", "true")
    assert "title-error" in carte.field("title").get_attribute("aria-describedby")
    expect(page.locator("#form-summary")).to_contain_text("2 erreurs")
    expect(carte.field("theme")).to_be_focused()
    shot(page, "report-form-errors.png")

    # Messages follow the typing.
    carte.field("title").fill("abc")
    expect(carte.error("title")).to_have_text("Le titre doit faire au moins 5 caractères.")
    carte.field("title").fill("Nid de poule")
    expect(carte.error("title")).to_be_hidden()
    expect(carte.field("title")).not_to_have_attribute("aria-invalid", "true")
    carte.field("description").fill("x" * 2001)
    expect(carte.error("description")).to_have_text("La description doit faire au plus 2000 caractères.")
    expect(page.locator("#description-counter")).to_have_class(re.compile("counter--over"))
    for tag in ["a", "b", "c", "d", "e", "f"]:
        carte.field("tags").fill(tag)
        carte.field("tags").press("Enter")
    expect(page.locator("#tags-list .chip")).to_have_count(5)
    expect(carte.error("tags")).to_have_text("5 mots-clés au plus.")
    # Nothing was sent: no new marker, no confirmation.
    expect(carte.confirmation).to_be_empty()


def test_title_with_html_is_shown_as_text(carte):
    page = carte.page
    theme = carte.themes()[0]
    carte.open_form_at(*BASTILLE)
    carte.fill_report(theme=theme["slug"], title=XSS_TITLE, description=XSS_TITLE, tags=["<b>gras</b>"])
    carte.submit()
    expect(carte.confirmation).to_have_text("Signalement enregistré à Paris")
    popup = page.locator(".leaflet-popup .report-popup")
    expect(popup.locator(".report-popup__title")).to_have_text(XSS_TITLE)
    expect(popup.locator(".report-popup__description")).to_have_text(XSS_TITLE)
    expect(popup.locator(".tag")).to_have_text(["<b>gras</b>"])
    page.wait_for_timeout(300)
    assert page.locator("img[src='x']").count() == 0
    assert page.locator(".report-popup b").count() == 0
    assert page.watch.dialogs == []
    shot(page, "report-html-title.png")


def test_keyboard_only_report_without_the_map(carte):
    page = carte.page
    communes = carte.api("/communes")["features"]
    saint_denis = next(f for f in communes if f["properties"]["code"] == "93066")
    # Type-ahead in a closed <select> needs plain key presses: take a theme whose label
    # starts with ASCII letters and type that prefix ("é" would be inserted as text).
    theme, prefix = next((th, m.group(0)) for th in carte.themes() if (m := re.match(r"[A-Za-z]{3,}", th["label"])))

    # From the top of the page, Tab to "Signaler sans la carte".
    page.locator("body").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "report-without-map":
            break
    expect(page.locator("#report-without-map")).to_be_focused()
    page.keyboard.press("Enter")
    expect(carte.panel).to_be_visible()
    expect(page.locator("#report-panel-title")).to_have_text("Signaler sans la carte")
    expect(carte.field("commune")).to_be_focused()
    expect(carte.field("commune").locator("option")).to_have_count(131)  # 130 communes and the prompt

    page.keyboard.type("Saint-Denis")  # type-ahead in the closed select
    expect(carte.field("commune")).to_have_value("93066")
    page.keyboard.press("Tab")
    page.keyboard.type("près de la gare")
    page.keyboard.press("Tab")
    expect(carte.field("theme")).to_be_focused()
    page.keyboard.type(prefix)
    expect(carte.field("theme")).to_have_value(theme["slug"])
    page.keyboard.press("Tab")
    page.keyboard.type(f"Banc cassé sur le parvis {RUN}")
    page.keyboard.press("Tab")
    page.keyboard.type("Le dossier du banc est arraché.")
    page.keyboard.press("Tab")
    page.keyboard.type("mobilier, parvis")
    page.keyboard.press("Enter")
    expect(page.locator("#tags-list .chip")).to_have_count(2)
    page.keyboard.press("Tab")
    expect(carte.field("author_name")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#report-submit")).to_be_focused()
    shot(page, "report-without-map-filled.png")
    page.keyboard.press("Enter")

    expect(carte.confirmation).to_have_text("Signalement enregistré à Saint-Denis (position approximative)")
    marker = page.locator(".report-marker", has_text=f"Banc cassé sur le parvis {RUN}")
    expect(marker).to_have_class(re.compile("report-marker--approx"))
    close_withdraw_link(page)
    expect(marker).to_be_focused()
    popup = page.locator(".leaflet-popup .report-popup")
    expect(popup).to_contain_text("position approximative")
    expect(popup).to_contain_text("près de la gare")
    expect(popup).to_contain_text("Saint-Denis")
    # Placed at the commune's representative point.
    lon, lat = saint_denis["properties"]["rep_point"]
    placed = page.evaluate(
        """(title) => {
            for (const f of window.carte.reports.features.values())
                if (f.properties.title === title) return f.geometry.coordinates;
        }""",
        f"Banc cassé sur le parvis {RUN}",
    )
    assert abs(placed[0] - lon) < 1e-4 and abs(placed[1] - lat) < 1e-4
    shot(page, "report-without-map-created.png")


def test_server_errors_show_next_to_the_field(carte):
    page = carte.page
    theme = carte.themes()[0]
    carte.open_form_at(*BUTTES_CHAUMONT)
    carte.fill_report(theme=theme["slug"], title="Un titre valide")
    # A theme the server does not know (the list could have changed since the page loaded).
    page.evaluate(
        """() => {
            const select = document.querySelector('#field-theme');
            select.append(new Option('Ancien thème', 'ancien-theme'));
            select.value = 'ancien-theme';
            window.carte.form.themes = [];
        }"""
    )
    carte.submit()
    expect(carte.error("theme")).to_be_visible()
    expect(carte.field("theme")).to_have_attribute("aria-invalid", "true")
    expect(carte.confirmation).to_be_empty()


def test_geolocation_failure_is_explained(carte):
    page = carte.page
    page.locator("#locate-me").click()
    notice = page.locator("#map-notice")
    expect(notice).to_contain_text("Signaler sans la carte")
    expect(carte.panel).to_be_hidden()


def test_geolocation_success_places_the_pin(browser, live_server):
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        geolocation={"latitude": 48.9362, "longitude": 2.3574},  # Saint-Denis
        permissions=["geolocation"],
    )
    watch = watch_context(context)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/")
        page.wait_for_selector("#map[data-state=ready]")
        page.locator("#locate-me").click()
        expect(page.locator("#report-panel")).to_be_visible()
        expect(page.locator("#position-text")).to_contain_text("Saint-Denis")
        expect(page.locator(".pin-marker")).to_have_count(1)
    finally:
        context.close()
    watch.assert_quiet()


def test_mobile_layout_uses_a_bottom_sheet(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    watch = watch_context(context)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/")
        page.wait_for_selector("#map[data-state=ready]")
        map_box = page.locator("#map").bounding_box()
        assert map_box["height"] > 500
        shot(page, "mobile-map.png")
        page.locator("#report-without-map").click()
        panel = page.locator("#report-panel").bounding_box()
        assert panel["width"] == 390
        assert abs(panel["y"] + panel["height"] - (map_box["y"] + map_box["height"])) < 2
        shot(page, "mobile-form.png")
    finally:
        context.close()
    watch.assert_quiet()


def test_accessibility_audit_with_axe(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/")
        page.wait_for_selector(MAP_SETTLED)  # the view's reports drawn
        violations = axe_violations(page)
        assert violations == [], violations
        page.locator("#report-without-map").click()
        page.locator("#report-submit").click()  # with its error messages showing
        expect(page.locator("#title-error")).to_be_visible()
        violations = axe_violations(page, "#report-panel")
        assert violations == [], violations
    finally:
        context.close()


def test_enter_on_the_map_places_the_pin_and_escape_closes(carte):
    page = carte.page
    carte.point_of(*REPUBLIQUE, zoom=15)
    page.locator("#map").focus()
    page.keyboard.press("Enter")
    expect(carte.panel).to_be_visible()
    expect(carte.field("theme")).to_be_focused()
    expect(page.locator(".pin-marker")).to_have_count(1)
    expect(page.locator("#position-text")).to_contain_text("Paris")
    page.keyboard.press("Escape")
    expect(carte.panel).to_be_hidden()
    expect(page.locator(".pin-marker")).to_have_count(0)
    expect(page.locator("#map")).to_be_focused()


def test_zoom_11_shows_the_true_total_and_server_clusters(browser, tmp_path_factory):
    """More reports than the point threshold: the map draws server clusters and says how many
    reports the view holds, counted here in SQL over the view's bounds (issue 10)."""
    from sqlalchemy import func, select

    from carte.extensions import db
    from carte.models import Report
    from tests.e2e.conftest import serve_app
    from tests.helpers import insert_points, uniform_points_in_mgp

    tmp = tmp_path_factory.mktemp("e2e-clusters")
    with serve_app(tmp, CARTE_TILE_URL="", CARTE_MAP_POINT_THRESHOLD=100) as (app, base_url):
        lons, lats = uniform_points_in_mgp(app, 1500, seed=3)
        insert_points(app, lons, lats, ["mobilite", "logement"] * 750)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
        watch = watch_context(context)
        page = context.new_page()
        try:
            page.goto(f"{base_url}/")
            page.wait_for_selector("#map[data-state=ready]")
            with page.expect_response(lambda r: "/api/v1/reports?" in r.url and "zoom=11" in r.url):
                set_view(page, 48.8566, 2.3522, 11)
            expect(page.locator("#map")).to_have_attribute("data-clustered", "true")
            west, south, east, north = page.evaluate(
                "() => { const b = window.carte.map.getBounds();"
                " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((n) => Number(n.toFixed(5))); }"
            )
            with app.app_context():
                total = db.session.scalar(
                    select(func.count())
                    .select_from(Report)
                    .where(
                        Report.status == "published", Report.lon.between(west, east), Report.lat.between(south, north)
                    )
                )
            assert total > 1000
            expected = f"{total:,}".replace(",", "\u202f") + " signalements dans la vue"
            expect(page.locator("#map-total")).to_have_text(expected)
            clusters = page.locator(".report-cluster--server")
            assert clusters.count() > 1
            counts = page.evaluate(
                "() => [...document.querySelectorAll('.report-cluster--server')].map((n) => Number(n.dataset.count))"
            )
            assert sum(counts) == total
            # No report marker is drawn over the clusters: the view is not a truncated page.
            expect(page.locator(".report-marker")).to_have_count(0)
            # A cluster is a keyboard stop; Enter zooms into it.
            biggest = max(range(len(counts)), key=counts.__getitem__)
            clusters.nth(biggest).focus()
            expect(clusters.nth(biggest)).to_have_attribute(
                "aria-label", re.compile(r"^Groupe de [\d\u202f]+ signalements")
            )
            page.keyboard.press("Enter")
            page.wait_for_function("() => window.carte.map.getZoom() > 11")
            shot(page, "map-server-clusters.png")
        finally:
            context.close()
        watch.assert_quiet()
