"""Build the 130 communes of the Métropole du Grand Paris (and Paris's 20 arrondissements).

Choices, and why:
- Membership comes from the EPCI 200054781 `membres`: the boundary files hold all of
  Île-de-France and may use older codes.
- Paris (75056) is the union of the arrondissements file (Ville de Paris, the precise one).
  Boundary-file pieces that map to Paris are ignored when that file has features.
- Codes that are no longer current are mapped to their current commune: delegated or
  associated communes through `chefLieu`, former codes through a current commune's
  `anciensCodes`, municipal arrondissements through `commune`. Their polygons are merged.
- The pieces are turned into a clean coverage (no overlaps, shared edges identical) by
  noding all their borders and polygonising: an overlap goes to the precise Paris pieces
  first, then to the lowest code. Small gaps enclosed by the pieces (the coarse GEOFLA
  borders do not meet the precise Paris border) go to the neighbouring non-Paris piece
  with the longest shared border, so that no point inside the MGP falls "outside".
  A clean coverage is what lets `shapely.coverage_simplify` keep shared borders shared.
- `population` is the COG `population` field of the current commune (INSEE population
  municipale, cog/communes*.json); it falls back to the EPCI member's `populationMunicipale`.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from carte.geo.sources import PARIS_CODE, Sources, load_sources

#: Enclosed gaps smaller than this are given to a neighbour; larger holes stay holes.
GAP_MAX_M2 = 100_000.0
#: Degrees of latitude to metres (mean Earth radius); longitude is scaled by cos(latitude).
M_PER_DEG = 111_195.0
WEB_TOLERANCE_M = 25.0
WEB_DECIMALS = 5


class BuildError(ValueError):
    """The sources cannot produce a complete, valid commune layer."""


@dataclass(frozen=True)
class _Piece:
    commune: str  # current INSEE code
    arrondissement: str | None  # "751xx" for pieces from the arrondissements file
    geometry: shapely.Geometry


# --- code mapping ------------------------------------------------------------------------------


def current_code_map(cog_communes: list[dict[str, Any]]) -> dict[str, str]:
    """Map every known code (current, delegated, associated, former, arrondissement) to its
    current commune code. A current commune always maps to itself."""
    current = {c["code"] for c in cog_communes if c.get("type") == "commune-actuelle"}
    mapping_: dict[str, str] = {code: code for code in current}
    for entry in cog_communes:
        code, kind = entry.get("code"), entry.get("type")
        if code in current:
            continue
        if kind in ("commune-deleguee", "commune-associee") and entry.get("chefLieu"):
            mapping_.setdefault(code, entry["chefLieu"])
        elif kind == "arrondissement-municipal" and entry.get("commune"):
            mapping_.setdefault(code, entry["commune"])
    for entry in sorted(cog_communes, key=lambda c: c.get("code", "")):
        if entry.get("type") != "commune-actuelle":
            continue
        for old in entry.get("anciensCodes") or []:
            if old not in current:
                mapping_.setdefault(old, entry["code"])
    return mapping_


def _territories(sources: Sources) -> dict[str, tuple[str, str]]:
    """Commune code -> (territory code, territory name); Paris is its own territory."""
    result = {PARIS_CODE: (PARIS_CODE, "Paris")}
    for ept in sources.ept:
        for member in ept.get("membres") or []:
            result[member["code"]] = (str(ept["code"]), ept["nom"])
    return result


# --- geometry helpers --------------------------------------------------------------------------


def polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """Repair `geom` (make_valid) and keep only its polygonal parts; None if nothing is left."""
    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty and q.area > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _area_m2(geoms: np.ndarray, lat0: float) -> np.ndarray:
    return shapely.area(geoms) * M_PER_DEG**2 * np.cos(np.radians(lat0))


def _to_feature_geometry(geom: shapely.Geometry) -> dict[str, Any]:
    """RFC 7946: counter-clockwise exterior rings."""
    return mapping(shapely.orient_polygons(geom, exterior_cw=False))


def _clean_coverage(pieces: list[_Piece], precise: np.ndarray) -> list[shapely.Geometry]:
    """Return one geometry per piece, forming a valid polygonal coverage.

    Pieces are in priority order (an overlap goes to the lowest index). `precise` flags the
    pieces that never receive gaps (their border is the accurate one).
    """
    geoms = np.array([p.geometry for p in pieces], dtype=object)
    lat0 = float(np.mean(shapely.bounds(geoms)[:, [1, 3]]))
    linework = shapely.union_all(shapely.boundary(geoms))
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(linework))))
    inner = shapely.point_on_surface(faces)
    face_idx, piece_idx = shapely.STRtree(geoms).query(inner, predicate="intersects")
    owner = np.full(len(faces), len(pieces), dtype=np.int64)
    np.minimum.at(owner, face_idx, piece_idx)
    owner[owner == len(pieces)] = -1

    gaps = np.flatnonzero((owner < 0) & (_area_m2(faces, lat0) < GAP_MAX_M2))
    tree = shapely.STRtree(faces)
    for _ in range(10):  # a gap touching only other gaps is assigned on a later pass
        if gaps.size == 0:
            break
        gi, fi = tree.query(faces[gaps], predicate="touches")
        keep = (owner[fi] >= 0) & ~precise[np.maximum(owner[fi], 0)]
        gi, fi = gi[keep], fi[keep]
        shared = shapely.length(shapely.intersection(shapely.boundary(faces[gaps[gi]]), shapely.boundary(faces[fi])))
        best: dict[int, tuple[float, int]] = {}
        totals: dict[tuple[int, int], float] = defaultdict(float)
        for g, f, length in zip(gi, fi, shared):
            totals[(int(g), int(owner[f]))] += float(length)
        for (g, piece), length in sorted(totals.items()):
            if length > best.get(g, (0.0, -1))[0]:
                best[g] = (length, piece)
        if not best:
            break
        for g, (_, piece) in best.items():
            owner[gaps[g]] = piece
        gaps = gaps[owner[gaps] < 0]

    result = []
    for k in range(len(pieces)):
        mine = faces[owner == k]
        result.append(shapely.coverage_union_all(mine) if len(mine) else None)
    return result


# --- build -------------------------------------------------------------------------------------


def build_communes(sources: Sources) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (communes, arrondissements) FeatureCollections for the MGP, WGS84 lon/lat."""
    members = {str(m["code"]): m for m in sources.epci_mgp["membres"]}
    to_current = current_code_map(sources.cog_communes)
    cog = {c["code"]: c for c in sources.cog_communes if c.get("type") == "commune-actuelle"}
    cog_arr = {c["code"]: c for c in sources.cog_communes if c.get("type") == "arrondissement-municipal"}
    territories = _territories(sources)

    pieces: list[_Piece] = []
    for feature in sources.arrondissements_geojson["features"]:
        geom = polygonal(shape(feature["geometry"])) if feature.get("geometry") else None
        code = feature["properties"]["code"]
        if geom is not None and PARIS_CODE in members:
            pieces.append(_Piece(PARIS_CODE, code, geom))
    paris_from_arrondissements = bool(pieces)
    others: list[_Piece] = []
    for feature in sources.communes_geojson["features"]:
        commune = to_current.get(feature["properties"]["code"], feature["properties"]["code"])
        if commune not in members or (commune == PARIS_CODE and paris_from_arrondissements):
            continue
        geom = polygonal(shape(feature["geometry"])) if feature.get("geometry") else None
        if geom is not None:
            others.append(_Piece(commune, None, geom))
    pieces.sort(key=lambda p: p.arrondissement or "")
    pieces += sorted(others, key=lambda p: p.commune)

    missing = sorted(set(members) - {p.commune for p in pieces})
    if missing:
        raise BuildError(f"no boundary geometry for MGP member commune(s): {', '.join(missing)}")
    no_territory = sorted(set(members) - set(territories))
    if no_territory:
        raise BuildError(f"MGP member commune(s) in no territory (EPT): {', '.join(no_territory)}")

    precise = np.array([p.arrondissement is not None for p in pieces])
    clean = _clean_coverage(pieces, precise)

    by_commune: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for piece, geom in zip(pieces, clean):
        if geom is not None:
            by_commune[piece.commune].append(geom)
    features = []
    empty = []
    for code in sorted(members):
        parts = by_commune.get(code)
        geom = polygonal(shapely.coverage_union_all(parts)) if parts else None
        if geom is None:
            empty.append(code)
            continue
        entry = cog.get(code, {})
        population = entry.get("population", members[code].get("populationMunicipale"))
        territory_code, territory_name = territories[code]
        point = geom.representative_point()
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "nom": entry.get("nom") or members[code].get("nom") or code,
                    "departement": entry.get("departement") or code[:2],
                    "territoire_code": territory_code,
                    "territoire_nom": territory_name,
                    "population": int(population) if population is not None else None,
                    "rep_point": [point.x, point.y],
                    "codes_postaux": sorted(entry.get("codesPostaux") or []),
                },
                "geometry": _to_feature_geometry(geom),
            }
        )
    if empty:
        raise BuildError(f"MGP member commune(s) left with an empty geometry: {', '.join(empty)}")

    arrondissements = []
    for piece, geom in zip(pieces, clean):
        geom = polygonal(geom)
        if piece.arrondissement is None or geom is None:
            continue
        source_name = next(
            f["properties"]["nom"]
            for f in sources.arrondissements_geojson["features"]
            if f["properties"]["code"] == piece.arrondissement
        )
        arrondissements.append(
            {
                "type": "Feature",
                "properties": {
                    "code": piece.arrondissement,
                    "nom": cog_arr.get(piece.arrondissement, {}).get("nom") or source_name,
                    "commune": PARIS_CODE,
                },
                "geometry": _to_feature_geometry(geom),
            }
        )
    return _collection(features), _collection(arrondissements)


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


# --- web layer ---------------------------------------------------------------------------------


def simplify_for_web(
    fc: dict[str, Any], tolerance_m: float = WEB_TOLERANCE_M, decimals: int = WEB_DECIMALS
) -> dict[str, Any]:
    """A lighter copy for the browser: shared borders stay shared (coverage simplification),
    coordinates rounded to `decimals`.

    The simplification runs in a locally scaled frame (x * cos(lat0)) so that the tolerance is
    about `tolerance_m` metres in every direction.
    """
    geoms = np.array([shape(f["geometry"]) for f in fc["features"]], dtype=object)
    if len(geoms) == 0:
        return _collection([])
    lat0 = float(np.mean(shapely.bounds(geoms)[:, [1, 3]]))
    kx = np.cos(np.radians(lat0))
    scale = np.array([kx, 1.0])
    scaled = shapely.transform(geoms, lambda xy: xy * scale)
    simplified = shapely.coverage_simplify(scaled, tolerance_m / M_PER_DEG)
    rounded = shapely.transform(simplified, lambda xy: np.round(xy / scale, decimals))
    features = []
    for feature, geom in zip(fc["features"], rounded):
        if not geom.is_valid:  # rounding very rarely folds a ring: repair that geometry only
            geom = polygonal(geom) or geom
        props = dict(feature["properties"])
        if isinstance(props.get("rep_point"), list):
            props["rep_point"] = [round(v, decimals) for v in props["rep_point"]]
        features.append({"type": "Feature", "properties": props, "geometry": _to_feature_geometry(geom)})
    return _collection(features)


# --- files -------------------------------------------------------------------------------------


def write_geojson(path: str | Path, fc: dict[str, Any]) -> int:
    """Write compact UTF-8 GeoJSON atomically; return its size in bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(fc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return len(data)


def read_geojson(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def build_data(
    mirror_or_none: str | Path | None, data_dir: str | Path, cache_dir: Path | None = None
) -> dict[str, Any]:
    """Build and write communes.geojson, arrondissements.geojson and communes.web.geojson.

    Returns a summary (counts, file sizes in bytes) for the CLI to print.
    """
    data_dir = Path(data_dir)
    sources = load_sources(mirror_or_none, cache_dir=cache_dir)
    communes, arrondissements = build_communes(sources)
    web = simplify_for_web(communes)
    sizes = {
        "communes.geojson": write_geojson(data_dir / "communes.geojson", communes),
        "arrondissements.geojson": write_geojson(data_dir / "arrondissements.geojson", arrondissements),
        "communes.web.geojson": write_geojson(data_dir / "communes.web.geojson", web),
    }
    return {
        "communes": len(communes["features"]),
        "arrondissements": len(arrondissements["features"]),
        "territoires": len({f["properties"]["territoire_code"] for f in communes["features"]}),
        "population": sum(f["properties"]["population"] or 0 for f in communes["features"]),
        "bytes": sizes,
        "data_dir": str(data_dir),
    }


def features_of(fc_or_features: dict[str, Any] | Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Accept a FeatureCollection or an iterable of features."""
    if isinstance(fc_or_features, dict):
        return list(fc_or_features.get("features") or [])
    return list(fc_or_features)
