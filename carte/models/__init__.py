"""Database models (SQLAlchemy 2 typed mappings).

Geometry is stored in EPSG:4326. Reports also keep `lon`/`lat` as plain floats:
bounding-box filters and the aggregation service read them without spatial SQL,
identically on SpatiaLite and PostGIS.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from carte.extensions import db
from carte.models.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class ReportStatus(str, enum.Enum):
    PUBLISHED = "published"
    PENDING = "pending"
    HIDDEN = "hidden"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # by its author: texts erased (carte/participation/withdrawal.py)


class ReportSource(str, enum.Enum):
    WEB = "web"
    API = "api"
    IMPORT = "import"


class Commune(db.Model):
    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    nom: Mapped[str] = mapped_column(String(120))
    departement: Mapped[str] = mapped_column(String(3), index=True)
    territoire_code: Mapped[str] = mapped_column(String(9), index=True)
    territoire_nom: Mapped[str] = mapped_column(String(120))
    population: Mapped[int] = mapped_column(Integer)
    # Deferred: polygons are read only where they are drawn or tested, never with a report.
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), deferred=True)


class Arrondissement(db.Model):
    __tablename__ = "arrondissements"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    nom: Mapped[str] = mapped_column(String(120))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), deferred=True)


class Theme(db.Model):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    color: Mapped[str] = mapped_column(String(7))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A short icon name (e.g. "velo") and whether residents may also disagree ("Pas d'accord").
    icon: Mapped[str | None] = mapped_column(String(40))
    allows_dissent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who answers this theme's reports (migration 0008): "commune", "territory" or "metropole".
    routing: Mapped[str] = mapped_column(String(12), default="commune", server_default="commune")
    # The label in English (migration 0008); None falls back on `label`.
    label_en: Mapped[str | None] = mapped_column(String(80))

    def label_for(self, lang: str | None) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("source_name", "external_id", name="uq_reports_external"),
        Index("ix_reports_lon_lat", "lon", "lat"),
        Index("ix_reports_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str | None] = mapped_column(String(80))
    location_text: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    # Deferred: lon/lat say the same and cost no geometry decoding per row.
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), deferred=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    arrondissement_code: Mapped[str | None] = mapped_column(ForeignKey("arrondissements.code"))
    h3_7: Mapped[str] = mapped_column(String(16), index=True)
    h3_8: Mapped[str] = mapped_column(String(16), index=True)
    h3_9: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(12), default=ReportStatus.PUBLISHED.value)
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(12), default=ReportSource.WEB.value)
    source_name: Mapped[str | None] = mapped_column(String(80))
    external_id: Mapped[str | None] = mapped_column(String(120))
    contributor: Mapped[str | None] = mapped_column(String(40), index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # The data version at this row's last write: lets the in-memory report index catch up.
    revision: Mapped[int] = mapped_column(Integer, default=0, index=True)
    # The workshop a report was posted in (migration 0005; carte/models/workshops.py), if any.
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id"), index=True)
    # Moderation and participation (migration 0003): the public note of a moderator's decision,
    # the time of the last change, and denormalised counters so that lists can sort by support.
    moderation_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    dissent_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    # SHA-256 of the private withdrawal link shown once to the author (migration 0006).
    withdraw_hash: Mapped[str | None] = mapped_column(String(64))
    # The civic loop (migration 0008, carte/followup/): where the report stands, the body it was
    # reassigned to by hand (None: its theme's routing decides), and the report it duplicates.
    progress: Mapped[str] = mapped_column(String(12), default="submitted", server_default="submitted")
    body_code: Mapped[str | None] = mapped_column(String(9), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))

    # The theme is a small row every serialisation needs: joined. Communes and arrondissements are
    # loaded only when asked for (their names come from the in-memory atlas in listings, see
    # `carte.reports.serialize`); a joined load here read every row's commune polygon.
    theme: Mapped[Theme] = relationship(lazy="joined")
    commune: Mapped[Commune] = relationship(lazy="select")
    arrondissement: Mapped[Arrondissement | None] = relationship(lazy="select")
    tags: Mapped[list[ReportTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ReportTag.position"
    )


class ReportTag(db.Model):
    """One row per tag, so that facilitators can filter by tag with an index."""

    __tablename__ = "report_tags"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class DataVersion(db.Model):
    """A counter bumped in every transaction that writes reports.

    `version` orders writes (each written report records it as its `revision`);
    `generation` changes when reports are deleted, which forces a full reload.
    Bumping it takes a row lock, so versions commit in order on PostgreSQL too.
    """

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)


# Models of each area live in their own module; importing them here registers them
# with the metadata (Alembic autogenerate, create_all) and keeps `from carte.models import X`.
from carte.models import accounts, alerts, followup, idempotency, interop, participation, workshops  # noqa: E402,F401
