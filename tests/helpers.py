"""A small helper object for repeated test steps (as in Flask's tutorial)."""

from __future__ import annotations

import itertools
from datetime import UTC

TOUR_EIFFEL = (2.2945, 48.8584)  # Paris 7e
BASILIQUE_SAINT_DENIS = (2.3597, 48.9356)  # Saint-Denis
MAIRIE_MONTREUIL = (2.4410, 48.8620)  # Montreuil
VERSAILLES = (2.1301, 48.8049)  # outside the MGP


def report_payload(**overrides) -> dict:
    lon, lat = TOUR_EIFFEL
    payload = {
        "theme": "mobilite",
        "title": "Piste cyclable interrompue",
        "description": "La piste s'arrête net avant le carrefour.",
        "lat": lat,
        "lon": lon,
        "tags": ["vélo", "sécurité"],
        "author_name": "Camille",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


class ReportsApi:
    def __init__(self, client):
        self.client = client

    def post(self, **overrides):
        return self.client.post("/api/v1/reports", json=report_payload(**overrides))

    def create(self, **overrides) -> dict:
        response = self.post(**overrides)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def list(self, **params):
        return self.client.get("/api/v1/reports", query_string=params)


SAINT_OUEN_PARIS_18_BORDER = (2.3400, 48.9015)  # boulevard périphérique, Paris 18e / Saint-Ouen-sur-Seine


def insert_points(app, lons, lats, themes, titles=None, contributors=None, created=None, tags=None) -> int:
    """Store many reports at once through the bulk loader (communes computed from the points)."""
    from datetime import datetime

    import numpy as np

    from carte.extensions import db
    from carte.geo.atlas import get_atlas
    from carte.storage.bulk import insert_reports

    lons = np.asarray(lons, dtype=float)
    lats = np.asarray(lats, dtype=float)
    n = len(lons)
    with app.app_context():
        atlas = get_atlas(app)
        communes = atlas.commune_locator.locate_many(lons, lats)
        assert all(c is not None for c in communes), "test points must lie inside the MGP"
        rows = {
            "lon": lons,
            "lat": lats,
            "commune": communes,
            "arrondissement": np.where(communes == "75056", atlas.arrondissement_locator.locate_many(lons, lats), None),
            "theme": list(themes) if not isinstance(themes, str) else [themes] * n,
            "title": list(titles) if titles is not None else ["Signalement de test"] * n,
            "created_at": created or [datetime(2026, 6, 1, 12, tzinfo=UTC)] * n,
            "contributor": list(contributors) if contributors is not None else [f"c{i}" for i in range(n)],
            "tags": tags or [()] * n,
        }
        return insert_reports(db.session, rows, source="import", source_name="tests", is_demo=False)


def uniform_points_in_mgp(app, n: int, seed: int):
    """n uniformly random points inside the MGP, by rejection sampling in its bounding box."""
    import numpy as np

    from carte.geo.atlas import get_atlas

    rng = np.random.default_rng(seed)
    with app.app_context():
        locator = get_atlas(app).commune_locator
    lons, lats = [], []
    while sum(map(len, lons)) < n:
        x = rng.uniform(2.145, 2.62, 4 * n)
        y = rng.uniform(48.72, 49.01, 4 * n)
        inside = locator.locate_indices(x, y) >= 0
        lons.append(x[inside])
        lats.append(y[inside])
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def numbers_below(value, limit: int, keys=("count", "contributors")) -> list:
    """Every integer under `keys` anywhere in a JSON document that is below `limit`."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in keys and isinstance(item, int) and not isinstance(item, bool) and 0 < item < limit:
                found.append((key, item))
            found += numbers_below(item, limit, keys)
    elif isinstance(value, list):
        for item in value:
            found += numbers_below(item, limit, keys)
    return found


STAFF_PASSWORD = "correct horse battery staple"
_STAFF_NUMBERS = itertools.count(1)


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form of a page (as a browser would send it)."""
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no csrf_token field in the page"
    return match.group(1)


def login_as(client, app, role: str, email: str | None = None, body: str = "93066"):
    """Create a staff user with `role` (an agent of `body`, Saint-Denis by default) and log in through
    the real login form; return the user."""
    from carte.accounts import create_user
    from carte.extensions import db
    from carte.geo.atlas import get_atlas

    email = email or f"{role}-{next(_STAFF_NUMBERS)}@example.org"  # id(client) came back once a client was freed
    with app.app_context():
        bodies = get_atlas(app).bodies
        user = create_user(db.session, email, STAFF_PASSWORD, role, body if role == "agent" else None, bodies)
        db.session.refresh(user)
        db.session.expunge(user)  # usable after the app context ends (id, email, role)
    page = client.get("/connexion")
    assert page.status_code == 200
    response = client.post(
        "/connexion",
        data={"email": email, "password": STAFF_PASSWORD, "csrf_token": csrf_token_from(page.get_data(as_text=True))},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return user


def seed_export_reports(reports) -> None:
    """Three reports whose texts exercise CSV quoting (quotes, newlines, both separators)."""
    reports.create(
        title="Piste « cyclable » interrompue",
        description="Ligne 1\nLigne 2; avec, des séparateurs",
        tags=["vélo", "sécurité"],
        location_text="Rue de la République",
        author_name="Camille",
    )
    reports.create(
        theme="logement",
        title="Immeuble insalubre",
        lat=BASILIQUE_SAINT_DENIS[1],
        lon=BASILIQUE_SAINT_DENIS[0],
        tags=[],
    )
    reports.create(
        theme="logement",
        title="Loyers hors de portée",
        lat=MAIRIE_MONTREUIL[1],
        lon=MAIRIE_MONTREUIL[0],
        description="",
        tags=["loyers"],
    )


def reports_snapshot(app) -> list[tuple]:
    """What an export must preserve of every stored report, comparable across a round trip."""
    from sqlalchemy import select

    from carte.extensions import db
    from carte.models import Report

    with app.app_context():
        rows = db.session.scalars(select(Report)).unique().all()
        return sorted(
            (
                r.theme.slug,
                r.title,
                r.description,
                tuple(t.tag for t in r.tags),
                r.lon,
                r.lat,
                r.commune_code,
                r.arrondissement_code,
                r.location_text,
                r.created_at.replace(tzinfo=None, microsecond=0),
            )
            for r in rows
        )


def jpeg_with_gps(size=(640, 480)) -> bytes:
    """A JPEG that carries GPS coordinates in its EXIF, as phone photos do."""
    import io

    from PIL import ExifTags, Image

    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CarteTestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.2)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the fixture must carry GPS EXIF"
    return data
