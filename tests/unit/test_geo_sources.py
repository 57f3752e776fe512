"""Reading the sources: the offline mirror, and the downloader against a local HTTP server."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from carte.geo import SourceError, build_communes, load_sources, resolve_mirror
from carte.geo.sources import DEPARTEMENTS, MGP_SIREN

try:
    from geo_helpers import require_mirror
except ImportError:  # tests/unit imported as a package
    from tests.unit.geo_helpers import require_mirror


def square(x0: float, y0: float, size: float = 0.01) -> dict:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def api_feature(code: str, nom: str, geometry: dict) -> dict:
    """Shaped like geo.api.gouv.fr answers: extra properties that must be dropped."""
    props = {"code": code, "nom": nom, "codeDepartement": code[:2], "population": 1000}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def fc(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


# A tiny synthetic world: Paris (two arrondissements), Antony (92002), and Saint-Denis whose
# former commune 93059 is still served separately.
COMMUNES_BY_DEP = {
    "75": fc(api_feature("75056", "Paris", square(2.30, 48.85, 0.02))),
    "92": fc(api_feature("92002", "Antony", square(2.32, 48.85))),
    "93": fc(
        api_feature("93066", "Saint-Denis", square(2.30, 48.87)),
        api_feature("93059", "Pierrefitte-sur-Seine", square(2.31, 48.87)),
    ),
}
ARRONDISSEMENTS = fc(
    api_feature("75101", "Paris 1er Arrondissement", square(2.30, 48.85, 0.01)),
    {
        "type": "Feature",
        "properties": {"code": "75102", "nom": "Paris 2e Arrondissement"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [2.31, 48.85],
                    [2.32, 48.85],
                    [2.32, 48.87],
                    [2.30, 48.87],
                    [2.30, 48.86],
                    [2.31, 48.86],
                    [2.31, 48.85],
                ]
            ],
        },
    },
)
COG = [
    {
        "code": "75056",
        "nom": "Paris",
        "type": "commune-actuelle",
        "departement": "75",
        "region": "11",
        "population": 2000,
    },
    {
        "code": "92002",
        "nom": "Antony",
        "type": "commune-actuelle",
        "departement": "92",
        "region": "11",
        "population": 500,
    },
    {
        "code": "93066",
        "nom": "Saint-Denis",
        "type": "commune-actuelle",
        "departement": "93",
        "region": "11",
        "population": 700,
        "anciensCodes": ["93059"],
    },
    {
        "code": "93059",
        "nom": "Pierrefitte-sur-Seine",
        "type": "commune-deleguee",
        "chefLieu": "93066",
        "departement": "93",
        "region": "11",
    },
    {"code": "69123", "nom": "Lyon", "type": "commune-actuelle", "departement": "69", "region": "84", "population": 9},
]
EPT = [{"code": "200000001", "nom": "Territoire Test", "membres": [{"code": "92002"}, {"code": "93066"}]}]
EPCI = [
    {"code": "200046977", "nom": "Métropole de Lyon", "membres": [{"code": "69123"}]},
    {
        "code": MGP_SIREN,
        "nom": "Métropole du Grand Paris",
        "membres": [
            {"code": "75056", "nom": "Paris", "populationMunicipale": 1},
            {"code": "92002", "nom": "Antony", "populationMunicipale": 1},
            {"code": "93066", "nom": "Saint-Denis", "populationMunicipale": 1},
        ],
    },
]


class FakeOfficialHosts(BaseHTTPRequestHandler):
    """Serves /geo/communes?... like geo.api.gouv.fr and /cog/*.json like unpkg."""

    requests: list[str] = []
    fail_with: int | None = None

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        type(self).requests.append(self.path)
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = None
        if self.fail_with:
            self.send_error(self.fail_with)
            return
        if url.path == "/geo/communes" and query.get("format") == "geojson" and query.get("geometry") == "contour":
            if query.get("type") == "arrondissement-municipal":
                body = ARRONDISSEMENTS if query.get("codeDepartement") == "75" else fc()
            else:
                body = COMMUNES_BY_DEP.get(query.get("codeDepartement", ""), fc())
        elif url.path == "/cog/communes.json":
            body = COG
        elif url.path == "/cog/ept.json":
            body = EPT
        elif url.path == "/cog/epci.json":
            body = EPCI
        if body is None:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # keep pytest output quiet
        pass


@pytest.fixture
def fake_hosts():
    FakeOfficialHosts.requests = []
    FakeOfficialHosts.fail_with = None
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOfficialHosts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield server, {"geo_api": f"{base}/geo", "cog": f"{base}/cog"}
    server.shutdown()
    server.server_close()


def test_download_normalises_and_filters(fake_hosts, tmp_path: Path) -> None:
    _, urls = fake_hosts
    sources = load_sources(None, cache_dir=tmp_path, base_urls=urls)

    codes = sorted(f["properties"]["code"] for f in sources.communes_geojson["features"])
    assert codes == ["75056", "92002", "93059", "93066"]
    assert all(set(f["properties"]) == {"code", "nom"} for f in sources.communes_geojson["features"])
    assert [f["properties"]["code"] for f in sources.arrondissements_geojson["features"]] == ["75101", "75102"]
    assert {c["code"] for c in sources.cog_communes} == {"75056", "92002", "93066", "93059"}  # region 11 only
    assert sources.epci_mgp["code"] == MGP_SIREN
    assert sources.ept == EPT

    requested = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query) for p in FakeOfficialHosts.requests]
    communes_deps = [q["codeDepartement"][0] for q in requested if "type" not in q and q]
    assert sorted(communes_deps) == sorted(DEPARTEMENTS)
    assert {
        "codeDepartement": ["75"],
        "type": ["arrondissement-municipal"],
        "format": ["geojson"],
        "geometry": ["contour"],
    } in requested


def test_downloaded_sources_build_communes(fake_hosts, tmp_path: Path) -> None:
    _, urls = fake_hosts
    communes, arrondissements = build_communes(load_sources(None, cache_dir=tmp_path, base_urls=urls))
    by_code = {f["properties"]["code"]: f for f in communes["features"]}
    assert sorted(by_code) == ["75056", "92002", "93066"]
    from shapely.geometry import shape

    # Saint-Denis holds its own square and its former commune's square.
    assert shape(by_code["93066"]["geometry"]).area == pytest.approx(2 * 0.01 * 0.01)
    # Paris is the union of its two arrondissements (the 2e is L-shaped).
    assert shape(by_code["75056"]["geometry"]).area == pytest.approx(0.01 * 0.01 + 0.01 * 0.01 + 0.01 * 0.02)
    assert by_code["75056"]["properties"]["territoire_code"] == "75056"
    assert by_code["92002"]["properties"]["territoire_nom"] == "Territoire Test"
    assert [f["properties"]["commune"] for f in arrondissements["features"]] == ["75056", "75056"]


def test_download_uses_cache_when_hosts_are_gone(fake_hosts, tmp_path: Path) -> None:
    server, urls = fake_hosts
    first = load_sources(None, cache_dir=tmp_path, base_urls=urls)
    count = len(FakeOfficialHosts.requests)
    FakeOfficialHosts.fail_with = 503
    second = load_sources(None, cache_dir=tmp_path, base_urls=urls)
    assert second == first
    assert len(FakeOfficialHosts.requests) == count  # nothing fetched again


def test_download_http_error_is_clear(fake_hosts, tmp_path: Path) -> None:
    _, urls = fake_hosts
    FakeOfficialHosts.fail_with = 500
    with pytest.raises(SourceError, match=r"HTTP 500") as info:
        load_sources(None, cache_dir=tmp_path, base_urls=urls)
    assert urls["geo_api"] in str(info.value)


def test_download_unreachable_host_is_clear(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    urls = {"geo_api": f"http://127.0.0.1:{port}/geo", "cog": f"http://127.0.0.1:{port}/cog"}
    with pytest.raises(SourceError, match="CARTE_SOURCES"):
        load_sources(None, cache_dir=tmp_path, base_urls=urls)


def test_resolve_mirror() -> None:
    assert resolve_mirror(None) is None
    assert resolve_mirror("") is None
    assert resolve_mirror("online") is None
    assert resolve_mirror("/srv/data") == Path("/srv/data")
    assert resolve_mirror(Path("x")) == Path("x")


def test_missing_mirror_folder_is_clear(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        load_sources(tmp_path / "nope")


def test_mirror_is_normalised() -> None:
    sources = load_sources(require_mirror())
    arr = sources.arrondissements_geojson["features"]
    assert sorted(f["properties"]["code"] for f in arr) == [str(c) for c in range(75101, 75121)]
    assert all(isinstance(f["properties"]["nom"], str) for f in arr)
    assert len(sources.communes_geojson["features"]) == 1295
    assert sources.epci_mgp["code"] == MGP_SIREN and len(sources.epci_mgp["membres"]) == 130
    assert len(sources.ept) == 11
