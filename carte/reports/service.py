"""Creating a report: validate, place it in memory, store it in one transaction."""
from __future__ import annotations

import secrets

import numpy as np

from sqlalchemy.orm import Session

from carte.errors import CarteError
from carte.geo.cells import h3_cells
from carte.models import Report, ReportSource, ReportStatus, ReportTag
from carte.places import Atlas
from carte.reports.validation import validate_report
from carte.storage.reports import active_themes, point

# No 0/o, 1/l/i: ids are read aloud in workshops.
_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_public_ids(n: int) -> list[str]:
    """Random ids of 10 characters (about 49 bits) from the CSPRNG, generated in bulk."""
    alphabet = np.frombuffer(_ID_ALPHABET.encode(), dtype=np.uint8)
    draws = np.frombuffer(secrets.token_bytes(10 * n), dtype=np.uint8) % len(alphabet)
    return alphabet[draws].view("S10").astype(str).tolist()


def new_public_id() -> str:
    return new_public_ids(1)[0]


def build_report(
    session: Session,
    atlas: Atlas,
    data: object,
    *,
    contributor: str | None,
    source: ReportSource = ReportSource.WEB,
    premoderation: bool = False,
) -> Report:
    """Validate `data` and return a new, unsaved Report; raise CarteError on bad input.

    The commune is always computed from the point, never taken from the client:
    a client may only name a commune on the approximate path, and the report is then
    placed at that commune's representative point.
    """
    themes = {t.slug: t for t in active_themes(session)}
    inp = validate_report(data, themes.keys(), atlas.communes.keys())
    if inp.approximate:
        lon, lat = atlas.representative_point(inp.commune)
    else:
        lon, lat = inp.lon, inp.lat
    placement = atlas.place(lon, lat)
    if placement is None:
        raise CarteError(
            "outside_area", "Ce point est en dehors de la Métropole du Grand Paris.", "lat"
        )
    cells = h3_cells(lat, lon)
    report = Report(
        public_id=new_public_id(),
        theme=themes[inp.theme],
        title=inp.title,
        description=inp.description,
        author_name=inp.author_name,
        location_text=inp.location_text,
        lon=lon,
        lat=lat,
        geom=point(lon, lat),
        commune_code=placement.commune_code,
        arrondissement_code=placement.arrondissement_code,
        h3_7=cells[7],
        h3_8=cells[8],
        h3_9=cells[9],
        status=(ReportStatus.PENDING if premoderation else ReportStatus.PUBLISHED).value,
        approximate=inp.approximate,
        source=source.value,
        contributor=contributor,
    )
    report.tags = [ReportTag(tag=tag, position=i) for i, tag in enumerate(inp.tags)]
    return report


def create_report(session: Session, atlas: Atlas, data: object, **options) -> Report:
    report = build_report(session, atlas, data, **options)
    session.add(report)
    session.commit()
    return report
