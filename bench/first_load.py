"""First load of `/` in Chromium: bytes of every answer as decoded and as transferred, then a second visit.

    .venv/bin/python bench/first_load.py

Serves the app (demo data, fresh SpatiaLite file) on a free port, opens `/` in Debian's Chromium through
Playwright, waits for the network to settle, and sums for every answer `response.body()` (decoded) and
the bytes that crossed the wire (headers plus encoded body, from `request.sizes()`). A second visit in
the same browser context shows which requests still reach the server (counted by the server itself):
versioned static files should not. Prints the figures with the load average; asserts nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = os.environ.get("CARTE_E2E_CHROMIUM", "/usr/bin/chromium")


def main() -> None:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from carte import create_app
    from carte.storage.setup import prepare_database

    tmp = Path(tempfile.mkdtemp(prefix="carte-first-load-"))
    app = create_app(
        "config.Config", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/first.sqlite", "CARTE_TILE_URL": ""}
    )
    prepare_database(app, seed_demo=True)
    hits: Counter = Counter()
    inner = app.wsgi_app

    def counting(environ, start_response):
        hits[environ["PATH_INFO"]] += 1
        return inner(environ, start_response)

    app.wsgi_app = counting
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    print(f"bench/first_load.py, load average {os.getloadavg()}")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context()
            page = context.new_page()
            answers = []
            page.on("requestfinished", lambda request: answers.append(request))
            page.goto(base + "/", wait_until="networkidle")
            rows = []
            for request in answers:
                response = request.response()
                if response is None:
                    continue
                body = len(response.body())
                sizes = request.sizes()
                wire = sizes["responseHeadersSize"] + sizes["responseBodySize"]
                encoding = response.headers.get("content-encoding", "-")
                rows.append((request.url.removeprefix(base), body, wire, encoding))
            for url, body, wire, encoding in sorted(rows, key=lambda r: -r[1]):
                print(f"  {body:>9,} B decoded  {wire:>9,} B transferred  {encoding:>5}  {url[:90]}")
            decoded = sum(r[1] for r in rows)
            transferred = sum(r[2] for r in rows)
            print(
                f"first visit: {len(rows)} answers, {decoded:,} B decoded, {transferred:,} B transferred "
                f"({transferred / 1024:.0f} KiB)"
            )
            hits.clear()
            page.goto(base + "/", wait_until="networkidle")
            static = sorted(path for path in hits if path.startswith("/static/"))
            print(
                f"second visit: {sum(hits.values())} requests reached the server, {len(static)} of them "
                f"static files {static[:5]}; others: {sorted(set(hits) - set(static))}"
            )
            browser.close()
    finally:
        server.shutdown()
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
