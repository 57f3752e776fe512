"""Workshops: a facilitated session where participants post reports under one question.

A workshop's reports are ordinary reports carrying `reports.workshop_id`, so every
aggregate, export and filter works on them unchanged (`?workshop=<code>`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from carte.extensions import db
from carte.models import utcnow
from carte.models.types import UTCDateTime

OPEN, CLOSED = "open", "closed"


class Workshop(db.Model):
    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Six characters from an alphabet without look-alikes (see carte.workshops.codes).
    code: Mapped[str] = mapped_column(String(6), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    date: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(String(300))
    # Optional restrictions: space-separated theme slugs ("" = all themes), one territory code.
    themes: Mapped[str] = mapped_column(String(400), default="")
    territoire_code: Mapped[str | None] = mapped_column(String(9))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def theme_slugs(self) -> tuple[str, ...]:
        return tuple(self.themes.split()) if self.themes else ()

    @property
    def is_open(self) -> bool:
        return self.status == OPEN
