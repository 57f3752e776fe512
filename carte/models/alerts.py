"""Email alerts (migration 0009): a resident's subscription to a report or an area, and what was sent.

The address is stored because it is needed to send, and shown nowhere (no page, no API answer, no
staff list). Links carry a token signed with SECRET_KEY over the subscription's id and its `nonce`
(carte/alerts/tokens.py): nothing secret is stored beside it, and a deleted subscription's links open
nothing. An unsubscribed subscription is deleted with its deliveries, not kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carte.extensions import db
from carte.models import utcnow
from carte.models.types import UTCDateTime


class AlertSubscription(db.Model):
    __tablename__ = "alert_subscriptions"
    __table_args__ = (Index("ix_alert_subscriptions_email", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # lower-cased; never shown
    lang: Mapped[str] = mapped_column(String(5), default="fr")
    kind: Mapped[str] = mapped_column(String(8))  # report | area
    # The followed report, or the area: a commune, a territory or a bbox, with optional themes.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str | None] = mapped_column(String(5))
    territoire_code: Mapped[str | None] = mapped_column(String(9))
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    themes: Mapped[str] = mapped_column(String(500), default="")  # comma-separated slugs; empty: every theme
    # What the same address asking again for the same thing finds (see carte/alerts/subscriptions.py).
    target_key: Mapped[str] = mapped_column(String(600))
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Cursors of send-alerts: the last update sent (report), the end of the last digest (area).
    last_update_id: Mapped[int] = mapped_column(Integer, default=0)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertDelivery(db.Model):
    """One message sent, written in the transaction that moves the subscription's cursor."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "kind", "ref", name="uq_alert_deliveries"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("alert_subscriptions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # confirm | update | digest
    ref: Mapped[str] = mapped_column(String(40))  # the update's id, the digest's end, the confirmation's time
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
