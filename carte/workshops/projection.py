"""The live state of a workshop for the projection view, and its Server-Sent Events stream.

The database is the source of truth, so the stream works with any number of server
processes: each SSE generator polls a tiny marker (report count, last revision and status
of the workshop) twice a second and sends a fresh snapshot when it changes. A submission
handled by another worker is therefore on screen within about half a second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from carte.domain import ReportFilter
from carte.models import Report
from carte.models.workshops import Workshop
from carte.storage.engine import database_unavailable

# Participants' reports count as soon as they are posted, even under pre-moderation:
# the room sees its own contributions; hidden (moderated-out) ones do not count.
LIVE_STATUSES = ("published", "pending")
POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
# Then the browser's EventSource reconnects by itself; under gunicorn's default 30 s worker timeout.
MAX_STREAM_SECONDS = 25.0
# When the database goes away mid-stream: end it, and ask the browser to come back this much later.
UNAVAILABLE_RETRY_SECONDS = 30


def workshop_filter(workshop: Workshop) -> ReportFilter:
    return ReportFilter(workshop=workshop.code, statuses=LIVE_STATUSES)


def marker(session: Session, workshop_id: int) -> tuple:
    count, revision = session.execute(
        select(func.count(Report.id), func.max(Report.revision)).where(
            Report.workshop_id == workshop_id, Report.status.in_(LIVE_STATUSES)
        )
    ).one()
    status = session.scalar(select(Workshop.status).where(Workshop.id == workshop_id))
    return int(count or 0), int(revision or 0), status


def snapshot(session: Session, aggregates, workshop: Workshop, labels: dict[str, str]) -> dict:
    """Everything the projection draws: counter, theme ranking, communes, heatmap, hotspot zones."""
    flt = workshop_filter(workshop)
    metropole = aggregates.territories(session, flt, "metropole", exact=True)
    communes = aggregates.territories(session, flt, "commune", exact=True)
    ranking = sorted(
        (
            {"theme": t["theme"], "label": labels.get(t["theme"], t["theme"]), "count": t["count"]}
            for t in metropole["themes"]
            if t["count"]
        ),
        key=lambda t: (-t["count"], t["label"]),
    )
    places = sorted(
        ({"code": p["code"], "nom": p["nom"], "count": p["count"]} for p in communes["places"] if p["count"]),
        key=lambda p: (-p["count"], p["nom"]),
    )
    total = sum(t["count"] for t in ranking)
    return {
        "code": workshop.code,
        "status": workshop.status,
        "count": total,
        "contributors": metropole.get("contributors"),
        "ranking": ranking,
        "communes": places,
        "heatmap": aggregates.heatmap(session, flt, 12, exact=True)["points"],
        "hotspots": aggregates.hotspots(session, flt, None, exact=True),
    }


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def stream(
    open_session: Callable[[], Session],
    build: Callable[[Session], dict],
    workshop_id: int,
    *,
    poll: float = POLL_SECONDS,
    max_seconds: float = MAX_STREAM_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """Yield SSE messages: a snapshot now, then one after each change, with keep-alive comments.

    `open_session()` gives a session for one poll (closed right after: no connection is held
    between polls); `build(session)` makes the snapshot. If the database becomes unavailable,
    the stream ends with a longer `retry:` instead of raising into the server's worker.
    """
    start = last_sent = clock()
    last_marker = None
    yield "retry: 1000\n\n"
    while clock() - start < max_seconds:
        try:
            current, payload = _poll(open_session, build, workshop_id, last_marker)
        except SQLAlchemyError as err:
            if not database_unavailable(err):
                raise
            yield f"retry: {UNAVAILABLE_RETRY_SECONDS * 1000}\n\n"
            return
        if payload is not None:
            last_marker = current
            last_sent = clock()
            yield sse("snapshot", payload)
        if clock() - last_sent >= KEEPALIVE_SECONDS:
            last_sent = clock()
            yield ": keep-alive\n\n"
        sleep(poll)


def _poll(open_session: Callable[[], Session], build: Callable[[Session], dict], workshop_id: int, last_marker):
    """(marker, snapshot or None if unchanged), the session closed before anything is sent."""
    session = open_session()
    try:
        current = marker(session, workshop_id)
        return current, (build(session) if current != last_marker else None)
    finally:
        session.close()
