"""Serving: compressed answers (brotli, gzip), versioned static URLs cached for a year, SSE still streams."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import brotli
import pytest

from carte.web.serving import StaticVersions
from tests.helpers import BASILIQUE_SAINT_DENIS, csrf_token_from, login_as

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "carte" / "templates"
STATIC = ROOT / "carte" / "static"
STATIC_REF = re.compile(r'(?:src|href)="(/static/[^"]+)"')
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


def plain_body(client, url: str) -> bytes:
    response = client.get(url, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    return response.data


def static_refs(html: str) -> list[str]:
    return STATIC_REF.findall(html)


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_api_answers_and_static_files_are_compressed(app, client, encoding):
    page = plain_body(client, "/").decode()
    script = next(url for url in static_refs(page) if url.endswith("/js/main.js"))
    for url in ("/", "/api/v1/communes", "/api/v1/themes", script):
        identity = plain_body(client, url)
        response = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
        assert response.headers["Content-Encoding"] == encoding, url
        assert "Accept-Encoding" in response.headers["Vary"]
        decoded = DECODE[encoding](response.data)
        if url != "/":  # the page carries a fresh CSRF token each time
            assert decoded == identity, url
        else:
            assert decoded.decode().startswith("<!doctype html>")
        assert len(response.data) < len(decoded)


def test_communes_geojson_compresses_to_a_fraction(app, client):
    """The biggest answer of a first visit (the commune outlines) travels compressed."""
    identity = plain_body(client, "/api/v1/communes")
    response = client.get("/api/v1/communes", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.data) == identity
    print(f"\n/api/v1/communes: {len(identity)} bytes, {len(response.data)} bytes with brotli")
    assert len(response.data) * 3 < len(identity)


def test_versioned_static_urls_are_immutable_for_a_year(app, client):
    page = plain_body(client, "/").decode()
    refs = static_refs(page)
    assert refs and all(url.startswith("/static/v/") for url in refs), refs
    for url in refs:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        plain = client.get("/static/" + url.split("/", 4)[4])
        assert plain.status_code == 200 and plain.data == response.data
        assert "immutable" not in plain.headers["Cache-Control"]
        assert plain.headers["Cache-Control"] == f"public, max-age={app.config['CARTE_STATIC_MAX_AGE']}"


def test_es_modules_imported_by_relative_path_inherit_the_version(app, client):
    """main.js imports ./api.js: under the versioned prefix, it resolves to a versioned URL as well."""
    page = plain_body(client, "/").decode()
    main = next(url for url in static_refs(page) if url.endswith("/js/main.js"))
    source = client.get(main).get_data(as_text=True)
    imports = re.findall(r'from "\./([\w-]+\.js)"', source)
    assert "api.js" in imports
    prefix = main.rsplit("/", 1)[0]
    for module in imports:
        response = client.get(f"{prefix}/{module}")
        assert response.status_code == 200
        assert "immutable" in response.headers["Cache-Control"]


def test_a_stale_version_is_served_but_not_pinned(app, client):
    response = client.get("/static/v/000000000000/js/main.js")
    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]


def test_the_version_changes_when_a_file_of_its_unit_changes(tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(STATIC / "js", folder / "js")
    shutil.copytree(STATIC / "css", folder / "css")
    before = StaticVersions(str(folder))
    main, api, css = before.of("js/main.js"), before.of("js/api.js"), before.of("css/carte.css")
    assert main == api  # one version for the module graph: relative imports share the prefix
    (folder / "js" / "api.js").write_text((folder / "js" / "api.js").read_text() + "\n// changed\n")
    after = StaticVersions(str(folder))
    assert after.of("js/main.js") != main
    assert after.of("css/carte.css") == css
    assert StaticVersions(str(folder)).of("js/main.js") == after.of("js/main.js")  # stable


def test_templates_reference_static_files_only_through_url_for():
    """A hand-written /static/ path in a template would bypass versioning."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r'(?:src|href)="/static/', path.read_text())
    ]
    assert offenders == []


def test_server_sent_events_are_not_compressed_and_still_stream(app, client):
    login_as(client, app, "facilitator")
    page = client.get("/animation/ateliers")
    form = {
        "title": "Atelier emploi",
        "date": "2026-11-27",
        "place": "Maison de quartier, Saint-Denis",
        "question": "Quels problèmes ?",
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
    }
    created = client.post("/animation/ateliers", data=form)
    assert created.status_code == 303
    code = created.headers["Location"].rsplit("/", 1)[1]
    response = client.get(
        f"/atelier/{code}/flux", headers={"Accept-Encoding": "gzip, deflate, br, zstd"}, buffered=False
    )
    assert response.mimetype == "text/event-stream"
    assert "Content-Encoding" not in response.headers
    chunks = iter(response.response)
    first = next_event(chunks)
    assert '"count": 0' in first or '"count":0' in first
    lon, lat = BASILIQUE_SAINT_DENIS
    submitted = app.test_client().post(
        f"/api/v1/ateliers/{code}/signalements",
        json={
            "theme": "emploi-insertion",
            "title": "Offres trop loin",
            "description": "Deux heures de transport.",
            "lat": lat,
            "lon": lon,
        },
    )
    assert submitted.status_code == 201
    second = next_event(chunks)  # arrives while the stream is still open
    assert '"count": 1' in second or '"count":1' in second
    response.close()


def next_event(chunks) -> str:
    buffer = ""
    for chunk in chunks:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        for message in buffer.split("\n\n")[:-1]:
            if message.startswith("event: snapshot"):
                return message
    raise AssertionError("the stream ended without a snapshot")
