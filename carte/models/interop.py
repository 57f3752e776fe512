"""Models of interoperability: Open311 API keys, requesters' private contacts, media links.

Contacts are private: no serialiser reads `ReportContact`, and exports never join it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from carte.extensions import db
from carte.models import utcnow
from carte.models.types import UTCDateTime


class ApiKey(db.Model):
    """A key issued by an admin to an Open311 client. Only the SHA-256 of the token is kept:
    tokens are 256-bit random strings, so a plain hash is enough (no need for a slow KDF)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # The body whose reports this key may update (migration 0008); None: it may only file requests.
    body_code: Mapped[str | None] = mapped_column(String(9))


class ReportContact(db.Model):
    """Who sent a report through Open311: stored for moderators, never published."""

    __tablename__ = "report_contacts"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(254))
    first_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str | None] = mapped_column(String(80))
    # Contacts are erased CARTE_CONTACT_RETENTION_DAYS after this date (migration 0006).
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)


class ReportMedia(db.Model):
    """A public link to a photo of the report (Open311 `media_url`)."""

    __tablename__ = "report_media"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
