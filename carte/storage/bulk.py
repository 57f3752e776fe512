"""Bulk loading of many reports at once (synthetic data, imports), in chunked transactions."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from carte.geo.cells import h3_cells_many
from carte.models import Report, ReportTag, Theme
from carte.reports.service import new_public_ids
from carte.storage.engine import after_bulk_insert, make_point
from carte.storage.versions import bump

CHUNK = 20_000


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def insert_reports(session: Session, rows: dict, *, source: str, source_name: str, is_demo: bool,
                   progress: Iterable | None = None) -> int:
    """Insert columns of reports (lon, lat, commune, theme slugs, created_at, contributor, title, tags).

    Each chunk is one transaction stamped with a new data version, so readers never
    see half a chunk and the in-memory index picks the rows up.
    """
    dialect = session.get_bind().dialect.name
    theme_ids = dict(session.execute(select(Theme.slug, Theme.id)).all())
    table = Report.__table__
    stmt = insert(table).values(geom=make_point(bindparam("p_lon"), bindparam("p_lat"), dialect))
    total = len(rows["lon"])
    next_id = (session.scalar(select(func.max(Report.id))) or 0) + 1
    descriptions = rows.get("description") or [""] * total
    external_ids = rows.get("external_id") or [None] * total
    location_texts = rows.get("location_text") or [None] * total
    for part in _chunks(total, CHUNK):
        lon = rows["lon"][part]
        lat = rows["lat"][part]
        cells = h3_cells_many(lat, lon)
        revision = bump(session)
        ids = range(next_id, next_id + len(lon))
        next_id += len(lon)
        public_ids = new_public_ids(len(lon))
        batch = []
        tag_rows = []
        for j, report_id in enumerate(ids):
            i = part.start + j
            batch.append({
                "id": report_id, "public_id": public_ids[j], "theme_id": theme_ids[rows["theme"][i]],
                "title": rows["title"][i], "description": descriptions[i] or "",
                "author_name": None, "location_text": location_texts[i],
                "lon": float(lon[j]), "lat": float(lat[j]), "p_lon": float(lon[j]), "p_lat": float(lat[j]),
                "commune_code": rows["commune"][i], "arrondissement_code": rows["arrondissement"][i],
                "h3_7": cells[7][j], "h3_8": cells[8][j], "h3_9": cells[9][j],
                "created_at": rows["created_at"][i], "status": "published", "approximate": False,
                "source": source, "source_name": source_name, "external_id": external_ids[i],
                "contributor": rows["contributor"][i], "is_demo": is_demo, "revision": revision,
            })
            tag_rows += [{"report_id": report_id, "tag": t, "position": k} for k, t in enumerate(rows["tags"][i])]
        session.execute(stmt, batch)
        if tag_rows:
            session.execute(insert(ReportTag.__table__), tag_rows)
        after_bulk_insert(session, table.name, dialect)
        session.commit()
        if progress is not None:
            progress.update(len(batch))
    return total
