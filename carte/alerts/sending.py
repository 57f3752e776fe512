"""`send-alerts`: what is due, sent once.

Due, in this order:
1. confirmations that could not be sent when asked (SMTP down): retried while the request is young;
2. unconfirmed subscriptions older than UNCONFIRMED_KEPT: deleted;
3. each update of a followed report, at once (one message per update, oldest first);
4. for each followed area whose last digest is at least CARTE_ALERTS_DIGEST_HOURS old: one digest
   of the public reports posted since (themes applied), or nothing when there is none.

Idempotence: each message is one transaction that inserts its AlertDelivery row (unique per
subscription, kind and ref) and moves the subscription's cursor, flushes, sends over SMTP, then
commits. A second run finds the cursor moved and sends nothing again; two runs at once collide on
the unique row before the second one sends. A failed send rolls back (retried next run). A crash
after the SMTP server accepted a message and before the commit sends that one message again on
the next run (at least once rather than lost), with the same Message-ID so mail clients can drop the copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext as _, ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carte.alerts import messages
from carte.alerts.subscriptions import UNCONFIRMED_KEPT, forget_unconfirmed
from carte.domain import ReportFilter
from carte.followup.labels import PROGRESS_LABELS
from carte.geo.atlas import get_atlas
from carte.models import Report, Theme
from carte.models.alerts import AlertDelivery, AlertSubscription
from carte.models.followup import ReportUpdate
from carte.storage.reports import apply_filter

DIGEST_LISTED = 50


@dataclass
class RunSummary:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    forgotten: int = 0


def place_names() -> dict[str, str]:
    atlas = get_atlas(current_app)
    names = {c["territoire_code"]: c["territoire_nom"] for c in atlas.communes.values()}
    names.update({code: c["nom"] for code, c in atlas.communes.items()})
    return names


def theme_labels(session: Session, lang: str) -> dict[str, str]:
    return {t.slug: (t.label_en or t.label) if lang == "en" else t.label for t in session.scalars(select(Theme))}


def describe(session: Session, subscription: AlertSubscription) -> str:
    title = None
    if subscription.report_id is not None:
        report = session.get(Report, subscription.report_id)
        title = report.title if report is not None else ""
    return messages.describe(subscription, title, place_names(), theme_labels(session, subscription.lang))


def confirmation_message(session: Session, subscription: AlertSubscription, now: datetime):
    with force_locale(subscription.lang):
        what = describe(session, subscription)
        subject = _("Confirmez votre abonnement aux alertes de Carte")
    return messages.build(
        subscription, "confirm", now.strftime("%Y%m%dT%H%M%S"), subject=subject, context={"what": what}, now=now
    )


def send_confirmation(session: Session, mailer, subscription: AlertSubscription, now: datetime) -> None:
    """Record then send the confirmation (the one message an unconfirmed address gets); raises on failure."""
    ref = now.strftime("%Y%m%dT%H%M%S")
    session.add(AlertDelivery(subscription_id=subscription.id, kind="confirm", ref=ref, sent_at=now))
    subscription.confirmation_sent_at = now
    session.flush()
    try:
        mailer.send(confirmation_message(session, subscription, now))
    except Exception:
        session.rollback()
        raise
    session.commit()


def _report_updates(session: Session, subscription: AlertSubscription) -> tuple[Report | None, list[ReportUpdate]]:
    report = session.get(Report, subscription.report_id)
    if report is None or report.status != "published":
        return report, []
    updates = list(
        session.scalars(
            select(ReportUpdate)
            .where(
                ReportUpdate.report_id == report.id,
                ReportUpdate.id > subscription.last_update_id,
            )
            .order_by(ReportUpdate.id)
        )
    )
    return report, updates


def _update_message(
    session: Session, subscription: AlertSubscription, report: Report, update: ReportUpdate, now: datetime
):
    bodies = get_atlas(current_app).bodies
    body = bodies.get(update.body_code)
    with force_locale(subscription.lang):
        progress = str(PROGRESS_LABELS.get(update.progress, update.progress))
        subject = _("Du nouveau sur « %(title)s » : %(progress)s", title=report.title, progress=progress)
    context = {
        "report": report,
        "update": update,
        "progress": progress,
        "body_name": body.name if body else None,
        "report_url": messages.report_url(report.public_id),
    }
    return messages.build(subscription, "update", str(update.id), subject=subject, context=context, now=now)


def area_filter(subscription: AlertSubscription, since: datetime, until: datetime) -> ReportFilter:
    bbox = None
    if subscription.min_lon is not None:
        bbox = (subscription.min_lon, subscription.min_lat, subscription.max_lon, subscription.max_lat)
    return ReportFilter(
        themes=tuple(s for s in subscription.themes.split(",") if s),
        communes=(subscription.commune_code,) if subscription.commune_code else (),
        territoires=(subscription.territoire_code,) if subscription.territoire_code else (),
        bbox=bbox,
        since=since,
        until=until,
    )


def _digest(session: Session, subscription: AlertSubscription, now: datetime) -> tuple[int, list[Report]]:
    flt = area_filter(subscription, subscription.last_digest_at, now)
    total = session.scalar(apply_filter(select(func.count()).select_from(Report), flt)) or 0
    rows = []
    if total:
        rows = list(
            session.scalars(
                apply_filter(select(Report), replace(flt))
                .order_by(Report.created_at.desc(), Report.id.desc())
                .limit(DIGEST_LISTED)
            ).unique()
        )
    return total, rows


def _digest_message(session: Session, subscription: AlertSubscription, total: int, rows: list[Report], now: datetime):
    with force_locale(subscription.lang):
        what = describe(session, subscription)
        subject = ngettext(
            "Carte : %(num)d nouveau signalement dans %(what)s",
            "Carte : %(num)d nouveaux signalements dans %(what)s",
            total,
            what=what,
        )
        labels = theme_labels(session, subscription.lang)
    names = place_names()
    items = [
        {
            "title": r.title,
            "theme": labels.get(r.theme.slug, r.theme.label),
            "commune": names.get(r.commune_code, ""),
            "url": messages.report_url(r.public_id),
        }
        for r in rows
    ]
    context = {"what": what, "total": total, "items": items, "more": total - len(items)}
    return messages.build(
        subscription, "digest", now.strftime("%Y%m%dT%H%M%S"), subject=subject, context=context, now=now
    )


def _deliver(
    session: Session,
    mailer,
    subscription: AlertSubscription,
    kind: str,
    ref: str,
    message_of,
    summary: RunSummary,
    label: str,
) -> bool:
    """Insert the delivery (the cursor is already moved on `subscription`), send, commit; False on failure."""
    session.add(AlertDelivery(subscription_id=subscription.id, kind=kind, ref=ref))
    try:
        session.flush()
    except IntegrityError:  # another run sent it already
        session.rollback()
        return False
    try:
        mailer.send(message_of())
    except Exception as err:  # noqa: BLE001 (SMTP refusals and network errors alike: retried next run)
        session.rollback()
        summary.failed.append(f"{label} : {type(err).__name__} {err}")
        return False
    session.commit()
    summary.sent.append(label)
    return True


def send_due(session: Session, mailer, *, now: datetime | None = None) -> RunSummary:
    now = now or datetime.now(UTC)
    summary = RunSummary()
    digest_every = timedelta(hours=current_app.config["CARTE_ALERTS_DIGEST_HOURS"])

    pending = select(AlertSubscription.id).where(
        AlertSubscription.confirmed_at.is_(None),
        AlertSubscription.confirmation_sent_at.is_(None),
        AlertSubscription.created_at >= now - UNCONFIRMED_KEPT,
    )
    for sub_id in list(session.scalars(pending.order_by(AlertSubscription.id))):
        subscription = session.get(AlertSubscription, sub_id)
        label = f"confirmation (abonnement {sub_id})"
        try:
            send_confirmation(session, mailer, subscription, now)
            summary.sent.append(label)
        except Exception as err:  # noqa: BLE001
            summary.failed.append(f"{label} : {type(err).__name__} {err}")
    summary.forgotten = forget_unconfirmed(session, now)

    followers = select(AlertSubscription.id).where(
        AlertSubscription.kind == "report", AlertSubscription.confirmed_at.is_not(None)
    )
    for sub_id in list(session.scalars(followers.order_by(AlertSubscription.id))):
        subscription = session.get(AlertSubscription, sub_id)
        report, updates = _report_updates(session, subscription)
        for update in updates:
            subscription.last_update_id = update.id
            label = f"mise à jour {update.id} du signalement {report.public_id} (abonnement {sub_id})"
            if not _deliver(
                session,
                mailer,
                subscription,
                "update",
                str(update.id),
                lambda u=update, s=subscription, r=report: _update_message(session, s, r, u, now),
                summary,
                label,
            ):
                break
            subscription = session.get(AlertSubscription, sub_id)

    areas = select(AlertSubscription.id).where(
        AlertSubscription.kind == "area",
        AlertSubscription.confirmed_at.is_not(None),
        AlertSubscription.last_digest_at <= now - digest_every,
    )
    for sub_id in list(session.scalars(areas.order_by(AlertSubscription.id))):
        subscription = session.get(AlertSubscription, sub_id)
        total, rows = _digest(session, subscription, now)
        subscription.last_digest_at = now
        if not total:
            session.commit()
            continue
        label = ngettext(
            "résumé de %(num)d signalement (abonnement %(id)s)",
            "résumé de %(num)d signalements (abonnement %(id)s)",
            total,
            id=sub_id,
        )
        _deliver(
            session,
            mailer,
            subscription,
            "digest",
            now.strftime("%Y%m%dT%H%M%S"),
            lambda s=subscription, n=total, r=rows: _digest_message(session, s, n, r, now),
            summary,
            label,
        )
    return summary
