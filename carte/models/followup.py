"""Models of the civic loop: the updates that answer a report, and the residents who follow one.

A report's responsible body is not stored unless someone reassigned it (`Report.body_code`):
otherwise it follows its theme's routing and its commune (carte/followup/bodies.py), so that an
admin who routes a theme elsewhere moves every report of it at once, without a mass update.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from carte.extensions import db
from carte.models import utcnow
from carte.models.types import UTCDateTime


class ReportUpdate(db.Model):
    """One step of a report's progress, as residents read it: dated, with a public text and the
    name of the body that answered. Who typed it (`user_id`, `api_key_id`) stays private."""

    __tablename__ = "report_updates"
    __table_args__ = (Index("ix_report_updates_report_created", "report_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    progress: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    # The body that answered (INSEE code, EPT SIREN or the Métropole's SIREN); None for residents.
    body_code: Mapped[str | None] = mapped_column(String(9))
    # agent | staff | api | resident | system
    author_kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    media_url: Mapped[str | None] = mapped_column(String(500))


class ReportFollow(db.Model):
    """A resident (by the anonymous contributor cookie) who follows a report: they may confirm or
    dispute its fix, like its author."""

    __tablename__ = "report_follows"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    contributor: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
