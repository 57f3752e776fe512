"""Participation and moderation in Chromium: support, comments, photos, flags, moderation,
the language switch, axe-core on every page, and keyboard-only use.

A server of its own (module scope) so that the tests can create staff accounts and pending
reports directly through the app, and read the stored photo files.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import MAP_SETTLED, serve_app
from tests.e2e.helpers import (
    axe_in_every_page,
    axe_violations,
    create_report,
    log_in,
    map_at_the_test_reports,
    new_page,
    open_report_from_list,
    set_view,
    show_report,
    wait_for_report,
    wait_for_the_map_to_settle,
)
from tests.helpers import jpeg_with_gps

PASSWORD = "mot de passe de test solide"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("participation-e2e")
    # Behind one trusted proxy, so that a test can give each browser an address of its own (X-Forwarded-For).
    with serve_app(tmp, CARTE_UPLOAD_DIR=str(tmp / "uploads"), CARTE_FLAGS_TO_HIDE=3, CARTE_TRUSTED_PROXIES=1) as (
        app,
        base_url,
    ):
        app.base_url = base_url
        yield app


def create_staff(app, email: str, role: str) -> None:
    from carte.accounts import create_user, find_user
    from carte.extensions import db

    with app.app_context():
        if not find_user(db.session, email):
            create_user(db.session, email, PASSWORD, role)


# -----------------------------------------------------------------------------------------


def test_resident_supports_and_comments_by_keyboard(resident, server):
    title = "Banc cassé devant l'école"
    rid = create_report(server, title)
    page = resident
    open_report_from_list(page, server.base_url, title)

    support = page.locator("#pp-support")
    support.focus()
    page.keyboard.press("Enter")
    expect(support).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#pp-counts")).to_have_text("1 soutien")

    page.locator("#pp-comment-body").focus()
    page.keyboard.type("<b>Même constat</b> hier soir.")
    page.keyboard.press("Tab")
    page.keyboard.type("Inès")
    page.keyboard.press("Tab")
    expect(page.locator("#pp-comment-submit")).to_be_focused()
    page.keyboard.press("Enter")
    comment = page.locator("#pp-comments li").first
    expect(comment).to_contain_text("<b>Même constat</b> hier soir.")  # shown as text, not markup
    expect(comment).to_contain_text("Inès")
    assert page.locator("#pp-comments b").count() == 0

    # The server agrees, and a reload keeps the vote (signed voter cookie).
    state = page.request.get(f"{server.base_url}/api/v1/reports/{rid}/participation").json()
    assert state["votes"]["support"] == 1 and state["votes"]["mine"] == "support"
    assert [c["author_name"] for c in state["comments"]] == ["Inès"]

    # A second press withdraws the vote.
    support.click()
    expect(support).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#pp-counts")).to_have_text("0 soutien")


def test_empty_comment_shows_an_error_next_to_the_field(resident, server):
    title = "Panneau tagué"
    create_report(server, title)
    open_report_from_list(resident, server.base_url, title)
    resident.locator("#pp-comment-submit").click()
    expect(resident.locator("#body-comment-error")).to_be_visible()
    expect(resident.locator("#pp-comment-body")).to_be_focused()
    expect(resident.locator("#pp-comments li")).to_have_count(0)


def gps_jpeg(path: Path) -> Path:
    path.write_bytes(jpeg_with_gps((800, 600)))
    return path


def test_photo_with_gps_exif_is_stored_without_exif(resident, server, tmp_path):
    page = resident
    page.goto(f"{server.base_url}/")
    page.wait_for_selector("#map[data-state=ready]")
    # The resident's own report (same voter cookie): file it through the API from the page.
    created = page.evaluate(
        """async () => {
            const token = document.querySelector('meta[name="csrf-token"]')?.content;
            const r = await fetch('/api/v1/reports', {method: 'POST', credentials: 'same-origin',
              headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
              body: JSON.stringify({theme: 'mobilite', title: 'Dépôt sauvage rue Cler', lat: 48.8565, lon: 2.3005})});
            return r.json();
        }"""
    )
    rid = created["id"]
    open_report_from_list(page, server.base_url, "Dépôt sauvage rue Cler")
    expect(page.locator("#pp-addphotos-section")).to_be_visible()
    page.locator("#pp-photo-input").set_input_files(str(gps_jpeg(tmp_path / "photo-gps.jpg")))
    page.locator("#pp-photo-submit").click()
    expect(page.locator("#pp-photos img")).to_have_count(1)
    expect(page.locator("#pp-photos img")).to_have_attribute("alt", "Photo 1 du signalement « Dépôt sauvage rue Cler »")

    folder = Path(server.config["CARTE_UPLOAD_DIR"])
    stored = sorted(folder.iterdir())
    assert len(stored) == 2 and not any("photo-gps" in p.name for p in stored)
    for path in stored:
        data = path.read_bytes()
        assert not Image.open(io.BytesIO(data)).getexif(), f"{path.name} keeps EXIF"
        assert b"E2ECam" not in data
    state = page.request.get(f"{server.base_url}/api/v1/reports/{rid}/participation").json()
    served = page.request.get(f"{server.base_url}{state['photos'][0]['url']}")
    assert served.headers["content-type"] == "image/jpeg"
    assert served.body() == next(p for p in stored if ".thumb." not in p.name).read_bytes()

    # A fake image is refused with a clear message, and nothing more is stored.
    fake = tmp_path / "pas-une-image.jpg"
    fake.write_text("<html>nope</html>")
    page.locator("#pp-photo-input").set_input_files(str(fake))
    page.locator("#pp-photo-submit").click()
    expect(page.locator("#photos-photo-error")).to_contain_text("n'est pas une image")
    assert len(list(folder.iterdir())) == 2


def test_three_residents_flag_a_report_and_it_is_hidden(browser, server):
    """Three browser contexts at three addresses are three residents: three signed voter cookies."""
    title = "Annonce publicitaire déguisée"
    rid = create_report(server, title)
    for n in range(3):
        context, page = new_page(browser, extra_http_headers={"X-Forwarded-For": f"203.0.113.{n + 1}"})
        try:
            open_report_from_list(page, server.base_url, title)
            page.locator("#pp-flag-details summary").click()
            page.locator("#pp-flag-spam").check()
            page.locator("#pp-flag-details-text").fill(f"publicité n°{n + 1}")
            page.locator("#pp-flag-submit").click()
            expected = "masqué en attendant" if n == 2 else "la modération va examiner"
            expect(page.locator("#confirmation")).to_contain_text(expected)
            page.watch.assert_quiet()
        finally:
            context.close()
    from carte.extensions import db
    from carte.storage.reports import get_report

    with server.app_context():
        assert get_report(db.session, rid).status == "hidden"
    context, page = new_page(browser)
    try:
        detail = page.request.get(f"{server.base_url}/api/v1/reports/{rid}")
        assert detail.status == 200
        assert detail.json()["status"] == "hidden" and "title" not in detail.json()  # the text is gone
    finally:
        context.close()


def test_a_report_hidden_while_listed_opens_as_hidden_with_its_reason_and_no_form(resident, server):
    """The list was loaded before a moderator hid the report: its detail says so, never « introuvable »."""
    from carte.accounts import find_user
    from carte.extensions import db
    from carte.moderation.decisions import decide

    title = "Affiche avec un numéro de téléphone"
    rid = create_report(server, title)
    open_report_from_list(resident, server.base_url, title)
    create_staff(server, "moderatrice@example.org", "moderator")
    with server.app_context():
        moderator = find_user(db.session, "moderatrice@example.org")
        decide(db.session, moderator.id, "report", rid, "hide", "Numéro de téléphone privé")
    resident.locator("#pp-back").click()  # the list still shows it: it was loaded before the decision
    item = resident.locator("#pp-list-items button", has_text=title)
    item.focus()
    resident.keyboard.press("Enter")
    expect(resident.locator("#pp-title")).to_have_text("Masqué par la modération")
    expect(resident.locator("#pp-hidden")).to_contain_text("Numéro de téléphone privé")
    expect(resident.locator("#pp-title")).to_be_focused()
    for section in resident.locator("#pp-detail .pp-section").all():
        expect(section).to_be_hidden()
    assert title not in resident.locator("#pp-detail").inner_text()


def test_moderator_publishes_a_pending_report_and_the_admin_reads_it_in_the_journal(browser, server):
    title = "Trou dans la chaussée (en attente)"
    rid = create_report(server, title, pending=True)
    create_staff(server, "moderatrice@example.org", "moderator")
    create_staff(server, "admin@example.org", "admin")

    context, page = new_page(browser)
    try:
        log_in(page, server.base_url, "moderatrice@example.org", PASSWORD, "/animation/moderation")
        item = page.locator(".queue__item", has_text=title)
        expect(item).to_be_visible()
        item.locator("button[value=publish]").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".flash")).to_contain_text("Publié")
        expect(page.locator(".queue__item", has_text=title)).to_have_count(0)
        assert page.request.get(f"{server.base_url}/api/v1/reports/{rid}").status == 200
        assert page.request.get(f"{server.base_url}/animation/journal", max_redirects=0).status == 403
    finally:
        context.close()

    context, page = new_page(browser)
    try:
        log_in(page, server.base_url, "admin@example.org", PASSWORD, "/animation/journal")
        row = page.locator("table.journal tbody tr", has_text=rid)
        expect(row).to_contain_text("moderatrice@example.org")
        expect(row).to_contain_text("publié")
    finally:
        context.close()


def test_language_switch_changes_the_interface(resident, server):
    page = resident
    page.goto(f"{server.base_url}/connexion")
    expect(page.locator("h1")).to_have_text("Connexion de l'équipe d'animation")
    page.locator(".language-switch__button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Staff sign-in")
    page.goto(f"{server.base_url}/")  # remembered in the session
    page.wait_for_selector("#map[data-state=ready]")
    expect(page.locator("#report-without-map")).to_have_text("Report without the map")
    expect(page.locator("#list-toggle")).to_contain_text("List of reports")
    page.locator(".language-switch__button").click()
    expect(page.locator("#report-without-map")).to_have_text("Signaler sans la carte")


def test_axe_finds_no_serious_violation_on_map_report_form_and_queue(browser, server):
    title = "Éclairage défaillant"
    create_report(server, title)
    create_report(server, "Signalement en attente pour l'audit", pending=True)
    create_staff(server, "audit@example.org", "moderator")
    context, page = new_page(browser, bypass_csp=True)
    axe_in_every_page(context)
    try:
        page.goto(f"{server.base_url}/")
        page.wait_for_selector(MAP_SETTLED)  # the view's reports drawn
        assert axe_violations(page, serious_only=True) == []
        open_report_from_list(page, server.base_url, title)  # the report page (detail panel)
        assert axe_violations(page, serious_only=True) == []
        page.locator("#pp-close").click()
        page.locator("#report-without-map").click()  # the form, with its errors showing
        page.locator("#report-submit").click()
        expect(page.locator("#title-error")).to_be_visible()
        assert axe_violations(page, serious_only=True) == []
        log_in(page, server.base_url, "audit@example.org", PASSWORD, "/animation/moderation")  # the moderation queue
        expect(page.locator(".queue__item").first).to_be_visible()
        assert axe_violations(page, serious_only=True) == []
        page.goto(f"{server.base_url}/connexion?next=/")
        assert axe_violations(page, serious_only=True) == []
    finally:
        context.close()


def show_new_report(page, server, title: str) -> str:
    """A new report at the test spot, its popup opened on the resident map; its id."""
    rid = create_report(server, title)
    map_at_the_test_reports(page, server.base_url)
    show_report(page, rid)
    return rid


def focus_new_marker(page, server, title: str):
    """A new report brought out of its cluster, its popup closed and its marker focused: (id, marker)."""
    # Other tests' reports share the spot: let the map bring this one out of its cluster, then close it.
    rid = show_new_report(page, server, title)
    expect(page.locator(".leaflet-popup .report-popup", has_text=title)).to_be_visible()
    wait_for_the_map_to_settle(page)
    page.evaluate("() => { window.carte.map.closePopup(); }")
    marker = page.locator(".report-marker", has_text=title)
    marker.focus()
    return rid, marker


def test_a_marker_popup_leads_to_the_report_detail(resident, server):
    title = "Fontaine à sec"
    page = resident
    show_new_report(page, server, title)
    popup = page.locator(".report-popup", has_text=title)
    expect(popup.locator(".report-popup__counts")).to_have_text("0 soutien")
    wait_for_the_map_to_settle(page)  # the popup is re-rendered meanwhile
    popup.locator(".report-popup__open").click()
    expect(page.locator("#pp-title")).to_have_text(title)
    expect(page.locator("#pp-title")).to_be_focused()


def test_markers_grow_with_support(resident, server):
    """Three supports make a marker 36 px wide against 24 px (24 × (1 + log2(1 + 3) / 4))."""
    quiet = create_report(server, "Banc cassé sans soutien")
    popular = create_report(server, "Passage piéton effacé très soutenu")
    for _ in range(3):  # three residents: three fresh cookie jars
        response = server.test_client().post(f"/api/v1/reports/{popular}/vote", json={"kind": "support"})
        assert response.status_code in (200, 201), response.get_json()
    page = resident
    map_at_the_test_reports(page, server.base_url)
    for rid in (quiet, popular):
        wait_for_report(page, rid)
    widths = page.evaluate(
        """(ids) => ids.map((id) => {
            const marker = window.carte.reports.marker(id);
            return marker.options.icon.options.iconSize[0];
        })""",
        [quiet, popular],
    )
    assert widths == [24, 36]


def test_a_marker_popup_by_keyboard_takes_the_focus_and_escape_gives_it_back(resident, server):
    """Tab skipped the popup (it comes after every marker in the page) and Escape did not close it."""
    title = "Borne à eau qui fuit"
    page = resident
    _rid, marker = focus_new_marker(page, server, title)
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup .report-popup", has_text=title)
    expect(popup).to_be_visible()
    expect(popup.locator(".report-popup__open")).to_be_focused()
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)
    expect(marker).to_be_focused()


def test_a_popup_the_map_opens_leaves_the_focus_on_its_focused_marker(resident, server):
    """Only Enter on a marker moves the focus into its popup. The map also opens popups itself, with the marker
    focused: a just-created report is shown again after the next load (later on a slow device, when its marker
    already had the focus), and the focus went into the popup instead of staying on the new report."""
    title = "Banc descellé"
    page = resident
    rid, _marker = focus_new_marker(page, server, title)
    popup = page.locator(".leaflet-popup .report-popup", has_text=title)
    page.evaluate("(id) => window.carte.carte.showReport(id, { focus: true })", rid)
    expect(popup).to_be_visible()
    # The popup took the focus in a timeout after opening: look once that has had its turn.
    focused = page.evaluate("() => new Promise((done) => setTimeout(() => done(document.activeElement.title), 200))")
    assert focused.startswith(title)


def test_a_popup_closed_by_escape_leaves_the_map_where_the_resident_moves_it(resident, server):
    """Showing a report keeps its popup open for a few seconds against the map's own re-clustering. Closing it
    must end that at once: the map used to fly back to the report when moved away within those seconds."""
    title = "Grille d'arbre soulevée"
    page = resident
    show_new_report(page, server, title)
    popup = page.locator(".leaflet-popup .report-popup", has_text=title)
    popup.locator(".report-popup__open").focus()
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)
    set_view(page, 48.8674, 2.3636, 15)  # place de la République, 4 km away
    view = page.evaluate(
        "() => { const c = window.carte.map.getCenter(); return [c.lat, c.lng, window.carte.map.getZoom()]; }"
    )
    assert view == pytest.approx([48.8674, 2.3636, 15], abs=1e-4)


# Inside one of markercluster's animations (the fan a shown report opens, the groups a load redraws), as they
# run on a slow device: the resident closes the popup, and the animation ends.
CLOSE_DURING_AN_ANIMATION = """(how) => {
    const group = window.carte.reports.layer();
    const box = document.querySelector(".leaflet-popup");
    group._animationStart();
    if (how === "escape") box.querySelector(".report-popup__open").dispatchEvent(
        new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    else box.querySelector(".leaflet-popup-close-button").click();
    group._animationEnd();
}"""


@pytest.mark.parametrize("how", ["escape", "close-button"])
def test_a_popup_closed_during_the_maps_animation_stays_closed(resident, server, how):
    """The map tells the resident's close from its own by whether an animation is under way: a popup the
    resident closed during one (on a slow device, often) was shown again as the animation ended."""
    title = f"Potelet arraché ({how})"
    page = resident
    show_new_report(page, server, title)
    popup = page.locator(".leaflet-popup .report-popup", has_text=title)
    expect(popup).to_be_visible()
    page.evaluate(CLOSE_DURING_AN_ANIMATION, how)
    expect(popup).to_have_count(0)
    set_view(page, 48.8674, 2.3636, 15)  # the map is the resident's again: no flight back to the report
    center = page.evaluate("() => { const c = window.carte.map.getCenter(); return [c.lat, c.lng]; }")
    assert center == pytest.approx([48.8674, 2.3636], abs=1e-4)


def test_with_less_motion_one_report_after_another_opens_out_of_its_group(browser, server):
    """Without animations (prefers-reduced-motion) markercluster's moves end inside the calls that ask for them:
    opening a report whose group had to close another one's fan (unspiderfied) asked for the same zoom again,
    from inside it, until the stack overflowed."""
    fans = []
    for lat, lon in [(48.8584, 2.2945), (48.8592, 2.2962)]:  # two spots, two reports each: two groups
        fans.append([create_report(server, f"Lampadaire éteint {lat} {n}", lat=lat, lon=lon) for n in (1, 2)])
    context, page = new_page(browser, reduced_motion="reduce")
    try:
        map_at_the_test_reports(page, server.base_url)
        for rid in (fans[0][0], fans[1][0]):
            show_report(page, rid)
            title = page.evaluate("(id) => window.carte.reports.features.get(id).properties.title", rid)
            expect(page.locator(".leaflet-popup .report-popup__title")).to_have_text(title)
    finally:
        context.close()
    page.watch.assert_quiet()
