"""Loading the generated commune and arrondissement layers into the database."""

from __future__ import annotations

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from carte.models import Arrondissement, Commune


def _multipolygon(geometry: dict):
    geom = shape(geometry)
    if geom.geom_type == "Polygon":
        geom = MultiPolygon([geom])
    return from_shape(geom, srid=4326)


def upsert_places(session: Session, communes_fc: dict, arrondissements_fc: dict) -> tuple[int, int]:
    """Insert or update every commune and arrondissement; safe to run again."""
    existing = {c.code: c for c in session.scalars(select(Commune))}
    for feature in communes_fc["features"]:
        props = feature["properties"]
        commune = existing.get(props["code"]) or Commune(code=props["code"])
        commune.nom = props["nom"]
        commune.departement = props["departement"]
        commune.territoire_code = props["territoire_code"]
        commune.territoire_nom = props["territoire_nom"]
        commune.population = int(props["population"])
        commune.geom = _multipolygon(feature["geometry"])
        session.add(commune)
    existing_arr = {a.code: a for a in session.scalars(select(Arrondissement))}
    for feature in arrondissements_fc["features"]:
        props = feature["properties"]
        arr = existing_arr.get(props["code"]) or Arrondissement(code=props["code"])
        arr.nom = props["nom"]
        arr.geom = _multipolygon(feature["geometry"])
        session.add(arr)
    return len(communes_fc["features"]), len(arrondissements_fc["features"])
