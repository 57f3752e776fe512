"""End-to-end fixtures: a live Carte server, and Chromium driven by Playwright.

The browser is Debian's /usr/bin/chromium (never `playwright install`). Every request that
does not go to 127.0.0.1 is aborted, so the page runs as it would offline: tiles fail and
the map must stay usable.

Set CARTE_E2E_BASE_URL to run the tests against a server that is already running.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CARTE_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Nothing leaves the machine: every host but the loopback (which Chromium never sends through a proxy)
    # goes through a proxy at a closed port, so requests to another host fail, IP addresses included.
    # Playwright's routing would do it per request, at the cost of a round trip to Python for each one and
    # of the HTTP cache, which routing turns off: page loads took 65 % longer.
    "--proxy-server=http://127.0.0.1:9",
]
# The omnibox's popup is a web page of its own (chrome://omnibox-popup.top-chrome), which every new window,
# so every test's page, loaded and drew in a renderer of its own: 1.1 s of CPU a page, more than the map.
# The tests never type in the address bar.
# Chromium also keeps a spare renderer ready for a context's next page; most tests' contexts hold one page and
# close after it, so the spare was started for nothing (a context that opens another page starts its renderer
# then): half the renderers, 3 % less of Chromium's CPU (bench of 25 contexts, 2026-12-03).
DISABLED_FEATURES = [
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
    "WebUIOmniboxFullPopup",
    "SpareRendererForSitePerProcess",
]
# The resident map between moves: its view's reports are drawn (main.js's aria-busy); SETTLED adds its first load.
MAP_IDLE = "#map:not([aria-busy])"
MAP_SETTLED = "#map[data-state=ready]:not([aria-busy])"
VENDOR = ROOT / "carte" / "static" / "vendor" / "leaflet" / "leaflet.js"


_demo_database: list[Path] = []  # built once per process (per xdist worker), copied by every server
_demo_lock = threading.Lock()


def demo_database() -> Path:
    """A migrated SpatiaLite file with the places, themes and demo reports, built on first use.

    Migrating and seeding takes seconds; each of the dozen e2e servers copies the file instead."""
    import atexit
    import shutil
    import tempfile

    from sqlalchemy import text

    from carte import create_app
    from carte.extensions import db
    from carte.storage.setup import prepare_database

    with _demo_lock:
        if not _demo_database:
            folder = Path(tempfile.mkdtemp(prefix="carte-e2e-demo-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            path = folder / "demo.sqlite"
            app = create_app("config.TestConfig", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
            prepare_database(app, seed_demo=True)
            with app.app_context():
                db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                db.session.remove()
                db.engine.dispose()
            _demo_database.append(path)
        return _demo_database[0]


@contextmanager
def serve_app(tmp_dir: Path, **overrides):
    """A Carte app on a fresh SpatiaLite file with the demo data, served on a free port.

    Yields (app, base_url); the server stops when the block ends.
    """
    import shutil

    from werkzeug.serving import make_server

    from carte import create_app

    path = Path(tmp_dir) / "e2e.sqlite"
    shutil.copyfile(demo_database(), path)
    app = create_app("config.TestConfig", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", **overrides})
    server = make_server("127.0.0.1", 0, app, threaded=True)  # one log line per request: the app's
    thread = threading.Thread(target=server.serve_forever, name="carte-e2e-server", daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of a Carte server with the demo data, shared by the whole session."""
    external = os.environ.get("CARTE_E2E_BASE_URL")
    if external:
        yield external.rstrip("/")
        return
    if not VENDOR.exists():
        pytest.fail("Leaflet is missing from carte/static/vendor: run `npm ci && node scripts/copy-vendor.mjs`.")
    with serve_app(tmp_path_factory.mktemp("e2e")) as (_app, base_url):
        yield base_url


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=chromium_args())
    try:
        yield browser
    finally:
        browser.close()


def playwright_disabled_features() -> list[str]:
    """The Chromium features Playwright's driver turns off, read from the driver itself.

    Chromium keeps only the last `--disable-features` on its command line, and Playwright writes its own
    before ours (features that get in automation's way): ours must repeat its list to keep it."""
    import re

    import playwright

    bundle = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "coreBundle.js"
    # The array holds only strings and comments: match exactly that, then drop the comments.
    found = re.search(r'\bdisabledFeatures = \[((?:\s*(?://[^\n]*|"[^"]*",?))*)\s*\]', bundle.read_text("utf-8"))
    if not found:
        pytest.fail(f"Playwright's list of disabled Chromium features was not found in {bundle}")
    code = re.sub(r"//[^\n]*", "", found.group(1))
    return re.findall(r'"([^"]+)"', code)


def chromium_args() -> list[str]:
    features = dict.fromkeys([*playwright_disabled_features(), *DISABLED_FEATURES])
    return [*CHROMIUM_ARGS, "--disable-features=" + ",".join(features)]


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob") or parsed.hostname == "127.0.0.1"


class PageWatch:
    """What the pages of a browser context did that a test may want to assert on."""

    def __init__(self):
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.violations: list[str] = []

    def assert_quiet(self) -> None:
        assert not self.errors, f"JavaScript errors on the page: {self.errors}"
        assert not self.dialogs, f"Unexpected dialogs: {self.dialogs}"
        assert not self.violations, f"Content-Security-Policy violations: {self.violations}"


# Content-Security-Policy violations, reported from every document the page loads (capture phase,
# before any page script could stop the event).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__carteCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber} ${event.sample || ""}`);
}, true);
"""


def watch_context(context) -> PageWatch:
    """Watch every page of a browser context: requests to other hosts (listed in `blocked`; the browser's
    closed proxy refuses them, see CHROMIUM_ARGS), dialogs (dismissed), JavaScript errors and CSP
    violations. Call `assert_quiet()` at the end."""
    watch = PageWatch()
    context.expose_binding("__carteCspViolation", lambda _source, text: watch.violations.append(text))
    context.add_init_script(CSP_LISTENER)

    def on_request(request):
        if not _is_local(request.url):
            watch.blocked.append(request.url)

    def on_dialog(dialog):
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_page(page):
        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: watch.errors.append(str(error)))

    context.on("request", on_request)
    context.on("page", on_page)
    context.watch = watch
    return watch


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Marks a test whose body passed, for the `page` fixture's teardown to know."""
    report = yield
    if report.when == "call":
        item.passed = report.passed
    return report


@pytest.fixture
def context_options() -> dict:
    """More options for the `page` fixture's browser context: a module overrides this fixture to set them."""
    return {}


@pytest.fixture
def page(browser, request, context_options):
    options = {"viewport": {"width": 1280, "height": 800}, "locale": "fr-FR", "timezone_id": "Europe/Paris"}
    context = browser.new_context(**{**options, **context_options})
    watch = watch_context(context)
    page = context.new_page()
    page.watch = watch
    page.set_default_timeout(10_000)
    yield page
    if not getattr(request.node, "passed", False):  # what the page showed when the test failed
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"))
        except Exception:  # the page may already be gone
            pass
    context.close()
    watch.assert_quiet()


@pytest.fixture
def map_page(page, live_server):
    """The resident map, loaded: communes drawn and first reports fetched."""
    page.goto(f"{live_server}/")
    page.wait_for_selector("#map[data-state=ready]")
    return page


class CartePage:
    """Repeated steps on the resident map (the flaskr "AuthActions" habit)."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.panel = page.locator("#report-panel")
        self.form = page.locator("#report-form")
        self.confirmation = page.locator("#confirmation")

    # -- data from the API, to stay independent of the seeded values --
    def api(self, path: str):
        response = self.page.request.get(f"{self.base_url}/api/v1{path}")
        assert response.ok, f"GET {path}: {response.status}"
        return response.json()

    def themes(self) -> list[dict]:
        return self.api("/themes")["themes"]

    # -- the map --
    def point_of(self, lat: float, lon: float, zoom: float = 16) -> tuple[float, float]:
        """Centres the map on a place, waits for the view's reports to be drawn (the map's aria-busy), and
        returns the place's position in page pixels."""
        x, y = self.page.evaluate(
            """([lat, lon, zoom]) => {
                window.carte.map.setView([lat, lon], zoom, {animate: false});
                const p = window.carte.map.latLngToContainerPoint([lat, lon]);
                return [p.x, p.y];
            }""",
            [lat, lon, zoom],
        )
        self.page.wait_for_selector(MAP_IDLE)
        box = self.page.locator("#map").bounding_box()
        return box["x"] + x, box["y"] + y

    def free_point_of(self, lat: float, lon: float, zoom: float = 16) -> tuple[float, float]:
        """Like point_of, moved a few pixels if a marker or a control sits right there."""
        x, y = self.point_of(lat, lon, zoom)
        for dx, dy in [(0, 0), (30, 0), (0, 30), (-30, 0), (0, -30), (45, 45), (-45, -45)]:
            free = self.page.evaluate(
                """([x, y]) => {
                    const hit = document.elementFromPoint(x, y);
                    return !!hit && hit.matches('path.commune-path');
                }""",
                [x + dx, y + dy],
            )
            if free:
                return x + dx, y + dy
        raise AssertionError(f"No free spot on the map around {lat}, {lon}")

    def click_map_at(self, lat: float, lon: float, zoom: float = 16):
        self.page.mouse.click(*self.free_point_of(lat, lon, zoom))

    def open_form_at(self, lat: float, lon: float):
        self.click_map_at(lat, lon)
        self.panel.wait_for(state="visible")
        assert self.page.locator(".pin-marker").count() == 1

    # -- the form --
    def field(self, name: str):
        return self.page.locator(f"#report-form [name='{name}']")

    def error(self, field: str):
        return self.page.locator(f"#{field}-error")

    def fill_report(self, *, theme: str, title: str, description: str = "", tags=(), author: str = ""):
        self.field("theme").select_option(theme)
        self.field("title").fill(title)
        if description:
            self.field("description").fill(description)
        for tag in tags:
            self.field("tags").fill(tag)
            self.field("tags").press("Enter")
        if author:
            self.field("author_name").fill(author)

    def submit(self):
        self.page.locator("#report-submit").click()


@pytest.fixture
def carte(map_page, live_server):
    return CartePage(map_page, live_server)


@pytest.fixture
def resident(browser, server):
    """A resident's page of its own (offline, watched) on the module's `server`; the test fails on what it logged."""
    from tests.e2e.helpers import new_page

    context, page = new_page(browser)
    yield page
    context.close()
    page.watch.assert_quiet()
