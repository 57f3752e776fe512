"""Creating a report: validate, place it in memory, store it in one transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.orm import Session, load_only
from sqlalchemy.orm.attributes import set_committed_value

from carte.domain import new_public_id
from carte.errors import CarteError
from carte.geo.atlas import Atlas
from carte.geo.h3cells import h3_cells
from carte.models import Arrondissement, Commune, Report, ReportSource, ReportStatus, ReportTag, Theme
from carte.reports.validation import validate_report
from carte.storage.reports import active_themes, point


def build_report(
    session: Session,
    atlas: Atlas,
    data: object,
    *,
    contributor: str | None,
    source: ReportSource = ReportSource.WEB,
    premoderation: bool = False,
    themes: Mapping[str, Theme] | None = None,
) -> Report:
    """Validate `data` and return a new, unsaved Report; raise CarteError on bad input.

    The commune is always computed from the point, never taken from the client:
    a client may only name a commune on the approximate path, and the report is then
    placed at that commune's representative point. `themes` (active themes by slug, e.g. from
    `ReferenceRows`) spares the query; they may be detached rows, so only their id is stored.
    """
    given = themes is not None
    if themes is None:
        themes = {t.slug: t for t in active_themes(session)}
    inp = validate_report(data, themes.keys(), atlas.communes.keys())
    if inp.approximate:
        lon, lat = atlas.representative_point(inp.commune)
    else:
        lon, lat = inp.lon, inp.lat
    placement = atlas.place(lon, lat)
    if placement is None:
        raise CarteError("outside_area", "Ce point est en dehors de la Métropole du Grand Paris.", "lat")
    cells = h3_cells(lat, lon)
    report = Report(
        public_id=new_public_id(),
        **({"theme_id": themes[inp.theme].id} if given else {"theme": themes[inp.theme]}),
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


# Bumped by every flush of this process that writes a theme: its cached themes are then read again
# at once (other processes' after their TTL).
_theme_writes = 0


@event.listens_for(Session, "after_flush")
def _count_theme_writes(session: Session, _context) -> None:
    global _theme_writes
    if any(isinstance(o, Theme) for o in (*session.new, *session.dirty, *session.deleted)):
        _theme_writes += 1


class ReferenceRows:
    """Active themes, communes and arrondissements as detached rows kept by the process.

    A POST used to query the active themes, then (to answer) reload the stored report with its
    commune's and arrondissement's rows. These rows hardly ever change: communes and arrondissements
    are read once (names only, never the polygons), themes again after `theme_ttl` seconds, so that
    a theme turned off by a moderator stops being accepted that long after at most.
    """

    def __init__(self, theme_ttl: float = 10.0):
        self.theme_ttl = theme_ttl
        self._lock = threading.Lock()
        self._themes: tuple[float, int, dict[str, Theme]] | None = None
        self._places: tuple[dict[str, Commune], dict[str, Arrondissement]] | None = None

    def themes(self, session: Session) -> dict[str, Theme]:
        cached = self._themes
        if cached is None or cached[1] != _theme_writes or time.monotonic() - cached[0] > self.theme_ttl:
            with self._lock, Session(session.get_bind()) as own:
                writes = _theme_writes
                rows = {t.slug: t for t in active_themes(own)}
                own.expunge_all()
                cached = self._themes = (time.monotonic(), writes, rows)
        return cached[2]

    def forget_themes(self) -> None:
        self._themes = None

    def places(self, session: Session) -> tuple[dict[str, Commune], dict[str, Arrondissement]]:
        if self._places is None:
            with self._lock, Session(session.get_bind()) as own:
                communes = own.scalars(
                    select(Commune).options(
                        load_only(Commune.code, Commune.nom, Commune.territoire_code, Commune.territoire_nom)
                    )
                ).all()
                arrondissements = own.scalars(
                    select(Arrondissement).options(load_only(Arrondissement.code, Arrondissement.nom))
                ).all()
                own.expunge_all()
                self._places = ({c.code: c for c in communes}, {a.code: a for a in arrondissements})
        return self._places

    def attach(self, session: Session, report: Report) -> None:
        """Give a stored report its theme, commune and arrondissement without reading them.

        Set as committed values after the flush, these detached rows are never added to the session.
        """
        theme = next((t for t in self.themes(session).values() if t.id == report.theme_id), None)
        communes, arrondissements = self.places(session)
        if theme is not None:
            set_committed_value(report, "theme", theme)
        set_committed_value(report, "commune", communes[report.commune_code])
        set_committed_value(report, "arrondissement", arrondissements.get(report.arrondissement_code or ""))


@contextmanager
def kept_after_commit(session: Session) -> Iterator[None]:
    """Commit without expiring the objects: the answer is built from what was just written.

    Reading them back would cost a SELECT per object and relationship, after the write.
    """
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = previous
