"""Report queries. Plain SQLAlchemy: nothing here differs between the backends."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from types import SimpleNamespace

from geoalchemy2 import WKTElement
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from carte.models import Commune, Report, ReportTag, Theme
from carte.models.workshops import Workshop
from carte.reports.filters import PUBLIC_STATUSES, ReportFilter


def point(lon: float, lat: float) -> WKTElement:
    return WKTElement(f"POINT({lon!r} {lat!r})", srid=4326)


def apply_filter(stmt: Select, flt: ReportFilter) -> Select:
    """Add the WHERE clauses of a filter to a statement selecting from `reports`."""
    if flt.statuses == PUBLIC_STATUSES:
        # Nearly every row is published: an index on status only misleads the planner (SQLite
        # walked it over all rows, then sorted by id). `status || ''` keeps the test, not the index.
        stmt = stmt.where((Report.status + "").in_(flt.statuses))
    elif flt.statuses:
        stmt = stmt.where(Report.status.in_(flt.statuses))
    if flt.themes:
        stmt = stmt.where(Report.theme_id.in_(select(Theme.id).where(Theme.slug.in_(flt.themes))))
    if flt.communes:
        stmt = stmt.where(Report.commune_code.in_(flt.communes))
    if flt.territoires or flt.departements:
        places = select(Commune.code)
        if flt.territoires:
            places = places.where(Commune.territoire_code.in_(flt.territoires))
        if flt.departements:
            places = places.where(Commune.departement.in_(flt.departements))
        stmt = stmt.where(Report.commune_code.in_(places))
    if flt.tags:
        stmt = stmt.where(Report.id.in_(select(ReportTag.report_id).where(ReportTag.tag.in_(flt.tags))))
    if flt.since:
        stmt = stmt.where(Report.created_at >= flt.since)
    if flt.until:
        stmt = stmt.where(Report.created_at < flt.until)
    if flt.bbox:
        min_lon, min_lat, max_lon, max_lat = flt.bbox
        stmt = stmt.where(Report.lon.between(min_lon, max_lon), Report.lat.between(min_lat, max_lat))
    if flt.workshop:
        stmt = stmt.where(Report.workshop_id.in_(select(Workshop.id).where(Workshop.code == flt.workshop)))
    return stmt


def find_reports(session: Session, flt: ReportFilter) -> tuple[Sequence[Report], int | None]:
    """One page of reports, newest first, with the cursor of the next page (keyset paging)."""
    stmt = apply_filter(select(Report), flt).order_by(Report.id.desc()).limit(flt.limit + 1)
    if flt.cursor is not None:
        stmt = stmt.where(Report.id < flt.cursor)
    rows = session.scalars(stmt).unique().all()
    if len(rows) > flt.limit:
        rows = rows[: flt.limit]
        return rows, rows[-1].id
    return rows, None


def plain_reports(session: Session, ids: Sequence[int], statuses: Sequence[str]) -> list[SimpleNamespace]:
    """The reports `ids` that still have one of `statuses`, newest first, as plain read-only objects
    with the attributes the serialisers read (`theme`, `tags` included).

    For the map's points: up to a few hundred rows a request, where building ORM instances (identity
    map, joined theme, selectin tags) cost three times the query itself.
    """
    if not ids:
        return []
    columns = [c for c in Report.__table__.c if c.key != "geom"]
    rows = session.execute(
        select(*columns).where(Report.id.in_(ids), Report.status.in_(statuses)).order_by(Report.id.desc())
    ).all()
    themes = {t.id: t for t in session.scalars(select(Theme))}
    tags: dict[int, list[SimpleNamespace]] = defaultdict(list)
    for report_id, tag in session.execute(
        select(ReportTag.report_id, ReportTag.tag).where(ReportTag.report_id.in_(ids))
        .order_by(ReportTag.report_id, ReportTag.position)
    ):
        tags[report_id].append(SimpleNamespace(tag=tag))
    return [SimpleNamespace(**row._mapping, theme=themes[row.theme_id], tags=tags.get(row.id, [])) for row in rows]


def get_report(session: Session, public_id: str) -> Report | None:
    return session.scalars(select(Report).where(Report.public_id == public_id)).unique().one_or_none()


def active_themes(session: Session) -> Sequence[Theme]:
    return session.scalars(select(Theme).where(Theme.active.is_(True)).order_by(Theme.position)).all()


def theme_by_slug(session: Session, slug: str) -> Theme | None:
    return session.scalars(select(Theme).where(Theme.slug == slug)).one_or_none()
