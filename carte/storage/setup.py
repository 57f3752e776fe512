"""Preparing a database: migrate, load the places, seed themes (and demo content)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from carte import demo
from carte.extensions import db
from carte.geo.atlas import ARRONDISSEMENTS_FILE, COMMUNES_FILE, WEB_FILE, get_atlas
from carte.geo.communes import build_data, read_geojson
from carte.geo.sources import resolve_mirror
from carte.storage.engine import optimize
from carte.storage.places import upsert_places

MIGRATIONS_DIR = str(Path(__file__).resolve().parents[2] / "migrations")


def ensure_data(app: Flask, *, force: bool = False) -> dict | None:
    """Build data/*.geojson from the sources unless they are already there."""
    data_dir = Path(app.config["CARTE_DATA_DIR"])
    if not force and all((data_dir / n).exists() for n in (COMMUNES_FILE, ARRONDISSEMENTS_FILE, WEB_FILE)):
        return None
    mirror = resolve_mirror(app.config.get("CARTE_SOURCES"))
    return build_data(mirror, data_dir, cache_dir=data_dir / "cache")


def load_places(app: Flask) -> tuple[int, int]:
    data_dir = Path(app.config["CARTE_DATA_DIR"])
    counts = upsert_places(
        db.session, read_geojson(data_dir / COMMUNES_FILE), read_geojson(data_dir / ARRONDISSEMENTS_FILE)
    )
    db.session.commit()
    return counts


def prepare_database(app: Flask, *, seed_demo: bool = False) -> None:
    """Everything `make run` does to a database before serving; safe to run again."""
    with app.app_context():
        ensure_data(app)
        upgrade(directory=MIGRATIONS_DIR, revision="head")
        load_places(app)
        demo.seed_themes(db.session)
        if seed_demo:
            demo.seed_demo(db.session, get_atlas(app))
        optimize(db.session)
