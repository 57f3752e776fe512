"""Report queries. Plain SQLAlchemy: nothing here differs between the backends."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from types import SimpleNamespace

from geoalchemy2 import WKTElement
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from carte.domain import PUBLIC_STATUSES, ReportFilter
from carte.models import Commune, Report, ReportTag, Theme
from carte.models.workshops import Workshop


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
    if flt.progress:
        stmt = stmt.where(Report.progress.in_(flt.progress))
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
        select(ReportTag.report_id, ReportTag.tag)
        .where(ReportTag.report_id.in_(ids))
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


# -- the civic loop: a body's queue (carte/followup/queue.py) ------------------------------------------


def body_scope(code: str | None, pairs) -> object:
    """The reports a body answers: reassigned to it by hand, or not reassigned and routed to it
    (`pairs` from `Bodies.scope`: theme ids and communes, None for all). `code` None: every body."""
    from sqlalchemy import and_, false, or_, true

    if code is None:
        return true()
    routed = [
        and_(Report.theme_id.in_(themes), Report.commune_code.in_(communes) if communes is not None else true())
        for themes, communes in pairs
    ]
    return or_(Report.body_code == code, and_(Report.body_code.is_(None), or_(*routed) if routed else false()))


def _queue_statement(flt: ReportFilter, scope, text: str | None) -> Select:
    from sqlalchemy import or_

    stmt = apply_filter(select(Report), flt).where(scope)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                Report.title.ilike(pattern, escape="\\"),
                Report.description.ilike(pattern, escape="\\"),
                Report.public_id == text,
            )
        )
    return stmt


def find_queue(session: Session, flt: ReportFilter, scope, text: str | None, offset: int, limit: int):
    """One page of a body's reports, newest first, as (rows, total)."""
    from sqlalchemy import func

    stmt = _queue_statement(flt, scope, text)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.order_by(Report.id.desc()).offset(offset).limit(limit)).unique().all()
    return rows, total


def iter_queue(session: Session, flt: ReportFilter, scope, text: str | None, batch: int = 2000):
    """Every report of a queue, newest first, read in keyset batches (an export never holds them all)."""
    from sqlalchemy.orm import selectinload

    stmt = _queue_statement(flt, scope, text).order_by(Report.id.desc()).limit(batch)
    last_id = None
    while True:
        page = stmt if last_id is None else stmt.where(Report.id < last_id)
        rows = session.scalars(page.options(selectinload(Report.commune))).unique().all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def report_updates_count(session: Session, report_ids) -> dict[int, int]:
    from sqlalchemy import func

    from carte.models.followup import ReportUpdate

    if not report_ids:
        return {}
    rows = session.execute(
        select(ReportUpdate.report_id, func.count())
        .where(ReportUpdate.report_id.in_(report_ids))
        .group_by(ReportUpdate.report_id)
    )
    return dict(rows.all())


def theme_slugs_by_id(session: Session) -> dict[int, str]:
    """Every theme's slug by id, in id order (the aggregates and the map both number themes so)."""
    return dict(session.execute(select(Theme.id, Theme.slug).order_by(Theme.id)).all())


def workshop_by_code(session: Session, code: str) -> Workshop | None:
    return session.scalars(select(Workshop).where(Workshop.code == code)).one_or_none()


def workshop_exists(session: Session, code: object) -> bool:
    """Whether a workshop has this join code (its id only: a filter's check reads no row)."""
    return session.scalar(select(Workshop.id).where(Workshop.code == code)) is not None


def theme_routing(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Theme.id, Theme.routing)).all())


def public_id_of(session: Session, report_id: int | None) -> str | None:
    if report_id is None:
        return None
    return session.scalar(select(Report.public_id).where(Report.id == report_id))


def reassigned_reports(session: Session) -> dict[int, str]:
    """Every report reassigned by hand, with its body: few rows, read by the body_code index."""
    return dict(session.execute(select(Report.id, Report.body_code).where(Report.body_code.is_not(None))).all())


def reports_by_ids(session: Session, ids, statuses) -> list[Report]:
    """These reports newest first, the status checked again (one may have changed since the index's sync)."""
    if not len(ids):
        return []
    # Communes load lazily: a many-to-one found in the identity map costs no query after the first.
    stmt = select(Report).where(Report.id.in_([int(i) for i in ids]), Report.status.in_(statuses))
    return list(session.scalars(stmt.order_by(Report.id.desc())).unique())
