"""Subscriptions to alerts: asking (double opt-in), confirming, unsubscribing, erasing.

A subscription follows one report, or an area: a commune, a territory or a bounding box (the map's
view), with optional themes. The same address asking again for the same thing finds its
subscription (`target_key`) instead of making a second one: an unconfirmed one gets its
confirmation again (at most once per RESEND_AFTER, so that nobody can flood an address), a
confirmed one nothing. The caller answers the same in every case, so the answer never tells whether
an address is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from carte.alerts import tokens
from carte.errors import CarteError
from carte.models import Report
from carte.models.alerts import AlertDelivery, AlertSubscription
from carte.models.followup import ReportUpdate
from carte.reports.filters import _bbox
from carte.storage.reports import get_report
from carte.text import clean_email, clean_text, is_email

RESEND_AFTER = timedelta(hours=1)
# An address that never confirms is forgotten after this (send-alerts deletes it).
UNCONFIRMED_KEPT = timedelta(days=7)
THEMES_MAX = 20
AREA_KEYS = ("commune", "territoire", "bbox")


@dataclass(frozen=True)
class Target:
    kind: str  # report | area
    report: Report | None = None
    commune: str | None = None
    territoire: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    themes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        if self.kind == "report":
            return f"report:{self.report.id}"
        where = (
            f"commune:{self.commune}"
            if self.commune
            else f"territoire:{self.territoire}"
            if self.territoire
            else "bbox:" + ",".join(f"{v:.5f}" for v in self.bbox)
        )
        return f"area:{where}|themes:{','.join(sorted(self.themes))}"


def check_email(value: object) -> str:
    email = clean_email(value, required=True)
    if not is_email(email):
        raise CarteError("invalid_email", "Adresse e-mail invalide.", "email")
    return email


def _themes(value: object, known: set[str]) -> tuple[str, ...]:
    if value is None or value == "" or value == []:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CarteError("invalid_type", "themes attend une liste de thèmes.", "themes")
    slugs = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(slugs) > THEMES_MAX:
        raise CarteError("too_many", "%(n)s thèmes au plus.", "themes", params={"n": THEMES_MAX})
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise CarteError(
            "unknown_theme", "Valeur inconnue : %(values)s.", "themes", params={"values": ", ".join(unknown[:5])}
        )
    return slugs


def parse_target(
    session: Session, data: dict, *, communes: set[str], territoires: set[str], themes: set[str]
) -> Target:
    """What the request follows: exactly one of report, commune, territoire or bbox."""
    given = [k for k in ("report",) + AREA_KEYS if data.get(k) not in (None, "")]
    if len(given) != 1:
        raise CarteError(
            "target_required", "Indiquez un seul objet à suivre : report, commune, territoire ou bbox.", "report"
        )
    name = given[0]
    if name == "report":
        if data.get("themes"):
            raise CarteError("invalid_themes", "Les thèmes servent à suivre une zone, pas un signalement.", "themes")
        public_id = clean_text(data["report"], "report", max_len=40, required=True)
        report = get_report(session, public_id)
        if report is None or report.status != "published":
            raise CarteError("not_found", "Signalement introuvable.", "report", status=404)
        return Target("report", report=report)
    chosen = _themes(data.get("themes"), themes)
    if name == "bbox":
        raw = data["bbox"]
        if isinstance(raw, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
            raw = ",".join(repr(float(v)) for v in raw)
        if not isinstance(raw, str):
            raise CarteError("invalid_bbox", "bbox attend minLon,minLat,maxLon,maxLat.", "bbox")
        return Target("area", bbox=_bbox({"bbox": [raw]}), themes=chosen)
    code = clean_text(data[name], name, max_len=9, required=True)
    if code not in (communes if name == "commune" else territoires):
        raise CarteError(f"unknown_{name}", "Valeur inconnue : %(values)s.", name, params={"values": code})
    return Target(
        "area",
        commune=code if name == "commune" else None,
        territoire=code if name == "territoire" else None,
        themes=chosen,
    )


def subscribe(
    session: Session, email: str, target: Target, lang: str, *, now: datetime | None = None
) -> AlertSubscription | None:
    """Record the request; the subscription whose confirmation is to be sent now, or None (nothing to send)."""
    now = now or datetime.now(UTC)
    found = session.scalars(
        select(AlertSubscription).where(AlertSubscription.email == email, AlertSubscription.target_key == target.key)
    ).first()
    if found is not None:
        if found.confirmed_at is not None:
            return None
        if found.confirmation_sent_at is not None and found.confirmation_sent_at > now - RESEND_AFTER:
            return None
        found.lang = lang
        session.commit()
        return found
    bbox = target.bbox or (None, None, None, None)
    subscription = AlertSubscription(
        email=email,
        lang=lang,
        kind=target.kind,
        report_id=target.report.id if target.report else None,
        commune_code=target.commune,
        territoire_code=target.territoire,
        min_lon=bbox[0],
        min_lat=bbox[1],
        max_lon=bbox[2],
        max_lat=bbox[3],
        themes=",".join(target.themes),
        target_key=target.key,
        nonce=tokens.new_nonce(),
        created_at=now,
        last_update_id=0,
    )
    session.add(subscription)
    session.commit()
    return subscription


def find(session: Session, secret: str, purpose: str, token: str) -> AlertSubscription | None:
    read = tokens.read(secret, purpose, token)
    if read is None:
        return None
    subscription = session.get(AlertSubscription, read[0])
    if subscription is None or not tokens.same_nonce(subscription.nonce, read[1]):
        return None
    return subscription


def confirm(session: Session, subscription: AlertSubscription, *, now: datetime | None = None) -> None:
    """Start the alerts from now: later updates of the report, reports posted in the area from now on."""
    if subscription.confirmed_at is not None:
        return
    now = now or datetime.now(UTC)
    subscription.confirmed_at = now
    subscription.last_digest_at = now
    if subscription.report_id is not None:
        subscription.last_update_id = (
            session.scalar(select(func.max(ReportUpdate.id)).where(ReportUpdate.report_id == subscription.report_id))
            or 0
        )
    session.commit()


def unsubscribe(session: Session, subscription: AlertSubscription) -> None:
    """Deleted, with what was sent to it: nothing of the address is kept."""
    session.execute(delete(AlertDelivery).where(AlertDelivery.subscription_id == subscription.id))
    session.delete(subscription)
    session.commit()


def erase_email(session: Session, email: str) -> int:
    """Delete every subscription of an address (GDPR erasure); the caller commits. Returns how many."""
    ids = list(session.scalars(select(AlertSubscription.id).where(AlertSubscription.email == email.strip().lower())))
    if ids:
        session.execute(delete(AlertDelivery).where(AlertDelivery.subscription_id.in_(ids)))
        session.execute(delete(AlertSubscription).where(AlertSubscription.id.in_(ids)))
    return len(ids)


def forget_unconfirmed(session: Session, now: datetime) -> int:
    """Subscriptions never confirmed within UNCONFIRMED_KEPT are deleted (with their address)."""
    old = select(AlertSubscription.id).where(
        AlertSubscription.confirmed_at.is_(None), AlertSubscription.created_at < now - UNCONFIRMED_KEPT
    )
    ids = list(session.scalars(old))
    if ids:
        session.execute(delete(AlertDelivery).where(AlertDelivery.subscription_id.in_(ids)))
        session.execute(delete(AlertSubscription).where(AlertSubscription.id.in_(ids)))
    session.commit()
    return len(ids)
