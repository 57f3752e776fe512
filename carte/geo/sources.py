"""Where the commune data comes from: an offline mirror folder, or the official web sources.

Both paths return the same normalised `Sources`, so everything downstream ignores the origin.
Downloads use only the standard library (urllib) and are cached on disk, because the
geo API is slow and rate limited and `make data` should be cheap to re-run.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MGP_SIREN = "200054781"
REGION_IDF = "11"
PARIS_CODE = "75056"
#: Départements whose communes may belong to the MGP (91 and 95 hold a few members).
DEPARTEMENTS = ("75", "92", "93", "94", "91", "95")

GEO_API_URL = "https://geo.api.gouv.fr"
COG_URL = "https://unpkg.com/@etalab/decoupage-administratif@6.0.0/data"
#: Official hosts; tests override them through `load_sources(base_urls=...)`.
OFFICIAL_URLS: dict[str, str] = {"geo_api": GEO_API_URL, "cog": COG_URL}

#: File names inside the offline mirror (see the mirror's README).
MIRROR_FILES: dict[str, str] = {
    "communes_geojson": "boundaries/communes-ile-de-france-geofla.geojson",
    "arrondissements_geojson": "boundaries/arrondissements-paris.geojson",
    "cog_communes": "cog/communes-ile-de-france.json",
    "ept": "cog/ept.json",
    "epci_mgp": "cog/epci-metropole-du-grand-paris.json",
}

DOWNLOAD_TIMEOUT_S = 60.0
_ONLINE_WORDS = {"", "-", "online", "none", "web"}


class SourceError(RuntimeError):
    """A source could not be read or downloaded, or has an unexpected shape."""


@dataclass(frozen=True)
class Sources:
    """Parsed source data, with boundary properties normalised to `code` (str) and `nom`."""

    communes_geojson: dict[str, Any]
    arrondissements_geojson: dict[str, Any]
    cog_communes: list[dict[str, Any]]
    ept: list[dict[str, Any]]
    epci_mgp: dict[str, Any]


def resolve_mirror(value: str | Path | None) -> Path | None:
    """Turn a CARTE_SOURCES value into a mirror folder, or None to download from the web.

    Empty, "-", "online", "none" or "web" mean "no mirror".
    """
    if value is None:
        return None
    if isinstance(value, Path):
        return value
    if value.strip().lower() in _ONLINE_WORDS:
        return None
    return Path(value).expanduser()


def load_sources(
    mirror: str | Path | None,
    cache_dir: Path | None = None,
    base_urls: dict[str, str] | None = None,
) -> Sources:
    """Read the sources from `mirror`, or download them when `mirror` is None."""
    mirror_path = resolve_mirror(mirror)
    if mirror_path is not None:
        return _load_mirror(mirror_path)
    return _download(cache_dir, {**OFFICIAL_URLS, **(base_urls or {})})


# --- normalisation ---------------------------------------------------------------------------


def normalise_feature_collection(fc: Any, what: str) -> dict[str, Any]:
    """Return a FeatureCollection whose features only carry `code` (str) and `nom`.

    geo.api.gouv.fr gives `code`/`nom`; the Ville de Paris file gives integer
    `c_arinsee`/`l_ar`: both end up in the same shape.
    """
    if not isinstance(fc, dict) or fc.get("type") != "FeatureCollection":
        raise SourceError(f"{what}: expected a GeoJSON FeatureCollection")
    features = []
    for i, feature in enumerate(fc.get("features") or []):
        props = feature.get("properties") or {}
        if props.get("code") not in (None, ""):
            code, nom = str(props["code"]), props.get("nom")
        elif props.get("c_arinsee") not in (None, ""):
            code, nom = str(int(props["c_arinsee"])), props.get("l_ar")
        else:
            raise SourceError(f"{what}: feature #{i} has neither `code` nor `c_arinsee`")
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "nom": nom or code},
                "geometry": feature.get("geometry"),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _pick_mgp(epci: Any) -> dict[str, Any]:
    """Return the MGP entry from an EPCI list (or a single EPCI dict)."""
    entries = epci if isinstance(epci, list) else [epci]
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("code")) == MGP_SIREN:
            if not entry.get("membres"):
                raise SourceError(f"EPCI {MGP_SIREN} has no `membres`")
            return entry
    raise SourceError(f"EPCI {MGP_SIREN} (Métropole du Grand Paris) not found")


def _make_sources(communes: Any, arrondissements: Any, cog: Any, ept: Any, epci: Any) -> Sources:
    if not isinstance(cog, list) or not isinstance(ept, list):
        raise SourceError("COG communes and EPT data must be JSON lists")
    return Sources(
        communes_geojson=normalise_feature_collection(communes, "commune boundaries"),
        arrondissements_geojson=normalise_feature_collection(arrondissements, "arrondissements"),
        cog_communes=[c for c in cog if str(c.get("region", REGION_IDF)) == REGION_IDF],
        ept=ept,
        epci_mgp=_pick_mgp(epci),
    )


# --- mirror ------------------------------------------------------------------------------------


def _load_mirror(folder: Path) -> Sources:
    if not folder.is_dir():
        raise SourceError(f"data mirror folder not found: {folder} (check CARTE_SOURCES)")
    parsed = {}
    for key, name in MIRROR_FILES.items():
        path = folder / name
        try:
            parsed[key] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SourceError(f"cannot read {path}: {exc}") from exc
    return _make_sources(
        parsed["communes_geojson"],
        parsed["arrondissements_geojson"],
        parsed["cog_communes"],
        parsed["ept"],
        parsed["epci_mgp"],
    )


# --- download ----------------------------------------------------------------------------------


def source_urls(base_urls: dict[str, str]) -> dict[str, list[str]]:
    """The URLs to fetch for each part of `Sources` (boundaries: one request per département)."""
    geo = base_urls["geo_api"].rstrip("/")
    cog = base_urls["cog"].rstrip("/")

    def communes_url(dep: str, **extra: str) -> str:
        query = {"codeDepartement": dep, **extra, "format": "geojson", "geometry": "contour"}
        return f"{geo}/communes?{urllib.parse.urlencode(query)}"

    return {
        "communes_geojson": [communes_url(dep) for dep in DEPARTEMENTS],
        "arrondissements_geojson": [communes_url("75", type="arrondissement-municipal")],
        "cog_communes": [f"{cog}/communes.json"],
        "ept": [f"{cog}/ept.json"],
        "epci_mgp": [f"{cog}/epci.json"],
    }


def fetch_json(url: str, cache_dir: Path | None = None, timeout: float = DOWNLOAD_TIMEOUT_S) -> Any:
    """GET `url` as JSON, through an on-disk cache keyed by the URL."""
    cached = None
    if cache_dir is not None:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        cached = Path(cache_dir) / f"{digest}.json"
        if cached.is_file():
            return json.loads(cached.read_text(encoding="utf-8"))
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "carte-geo/1.0"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        data = json.loads(body)
    except urllib.error.HTTPError as exc:
        exc.close()  # the error holds the answer's socket open until it is collected
        raise SourceError(f"download failed: {url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SourceError(
            f"download failed: {url} ({exc}); offline? set CARTE_SOURCES to a data mirror folder"
        ) from exc
    except ValueError as exc:
        raise SourceError(f"download failed: {url} did not return JSON ({exc})") from exc
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(body)
        tmp.replace(cached)
    return data


def _download(cache_dir: Path | None, base_urls: dict[str, str]) -> Sources:
    urls = source_urls(base_urls)
    features: list[dict[str, Any]] = []
    for url in urls["communes_geojson"]:
        fc = fetch_json(url, cache_dir)
        features.extend(normalise_feature_collection(fc, url)["features"])
    return _make_sources(
        {"type": "FeatureCollection", "features": features},
        fetch_json(urls["arrondissements_geojson"][0], cache_dir),
        fetch_json(urls["cog_communes"][0], cache_dir),
        fetch_json(urls["ept"][0], cache_dir),
        fetch_json(urls["epci_mgp"][0], cache_dir),
    )
