"""A body's queue (/animation/suivi): the reports it answers, filtered like the dashboard, paged,
and exported as CSV.

Which reports a body answers is `Bodies.scope` (its theme routing) plus the reports reassigned to
it by hand; storage turns that into SQL (`carte.storage.reports.body_scope`). No Flask here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO

import numpy as np
from sqlalchemy.orm import Session

from carte.domain import ReportFilter
from carte.errors import CarteError
from carte.followup.bodies import Bodies
from carte.interop.exporter import export_row, write_csv
from carte.reports.filters import Vocabulary, parse_filter
from carte.storage.reports import body_scope, find_queue, iter_queue, reassigned_reports, reports_by_ids, theme_routing
from carte.text import clean_text

PAGE_SIZE = 50
PAGE_MAX = 100_000


@dataclass(frozen=True)
class QueueQuery:
    body: str | None  # None: every body (moderators, admins, facilitators)
    filter: ReportFilter
    text: str | None = None
    page: int = 1


@dataclass
class QueuePage:
    rows: list
    total: int
    page: int
    pages: int
    body_of: dict  # report id -> responsible body code


def parse_queue(
    args: Mapping[str, Sequence[str]], vocabulary: Vocabulary, bodies: Bodies, *, own_body: str | None, may_choose: bool
) -> QueueQuery:
    """An agent's queue is its body's; staff may pick one (`body`) or see every body."""
    flt = parse_filter({k: v for k, v in args.items() if k not in ("limit", "cursor", "bbox")}, vocabulary)
    raw = (args.get("body") or [""])[-1].strip()
    if not may_choose:
        body = own_body
    elif raw:
        if raw not in bodies:
            raise CarteError("unknown_body", "Organisme inconnu.", "body")
        body = raw
    else:
        body = None
    text = clean_text((args.get("q") or [""])[-1], "q", max_len=200) or None
    raw_page = (args.get("page") or ["1"])[-1]
    try:
        page = int(raw_page)
    except ValueError:
        raise CarteError("invalid_number", "Nombre entier attendu.", "page") from None
    if not 1 <= page <= PAGE_MAX:
        raise CarteError(
            "out_of_range", "Valeur attendue entre %(low)s et %(high)s.", "page", params={"low": 1, "high": PAGE_MAX}
        )
    return QueueQuery(body=body, filter=flt, text=text, page=page)


def _scope(session: Session, bodies: Bodies, body: str | None):
    if body is None:
        return body_scope(None, ())
    return body_scope(body, bodies.scope(body, theme_routing(session)))


def body_mask(index, positions: np.ndarray, pairs, reassigned: dict[int, str], body: str) -> np.ndarray:
    """Which of the index's `positions` a body answers: reassigned to it, or not reassigned and routed
    to it (`pairs` from `Bodies.scope`). The same rule as `storage.reports.body_scope`, on the columns."""
    columns = index.columns
    ids = columns["id"][positions]
    theme = columns["theme_id"][positions]
    commune = columns["commune"][positions]
    routed = np.zeros(len(positions), dtype=bool)
    for themes, communes in pairs:
        pair = np.isin(theme, themes)
        if communes is not None:
            pair &= np.isin(commune, [index.commune_codes.index(c) for c in communes if c in index.commune_codes])
        routed |= pair
    moved = np.fromiter(reassigned.keys(), np.int64, len(reassigned))
    mine = np.fromiter((i for i, code in reassigned.items() if code == body), np.int64)
    return (routed & ~np.isin(ids, moved)) | np.isin(ids, mine)


def _index_ids(session: Session, bodies: Bodies, query: QueueQuery, index, places) -> np.ndarray:
    """The queue's report ids, newest first, from the in-memory index (synced here)."""
    index.sync(session)
    positions = index.select(session, query.filter, places)
    if query.body is not None:
        pairs = bodies.scope(query.body, theme_routing(session))
        positions = positions[body_mask(index, positions, pairs, reassigned_reports(session), query.body)]
    return index.columns["id"][positions][::-1]


def queue_page(
    session: Session, bodies: Bodies, query: QueueQuery, page_size: int = PAGE_SIZE, index=None, places=None
) -> QueuePage:
    """One page of the queue, newest first, with its total.

    With the in-memory report index (`index` and the aggregation `places`), the selection is a few
    array masks whatever the body's size; a text search asks the database.
    """
    if index is None or query.text:
        rows, total = find_queue(
            session,
            query.filter,
            _scope(session, bodies, query.body),
            query.text,
            (query.page - 1) * page_size,
            page_size,
        )
    else:
        ids = _index_ids(session, bodies, query, index, places)
        total = len(ids)
        start = (query.page - 1) * page_size
        rows = reports_by_ids(session, ids[start : start + page_size], query.filter.statuses)
    pages = max(1, -(-total // page_size))
    return QueuePage(list(rows), total, query.page, pages, {r.id: bodies.of_report(r) for r in rows})


def _rows_by_ids(session: Session, ids: np.ndarray, statuses, batch: int = 2000):
    for start in range(0, len(ids), batch):
        yield from reports_by_ids(session, ids[start : start + batch], statuses)
        session.expunge_all()


def write_queue_csv(
    session: Session, bodies: Bodies, query: QueueQuery, fp: IO[str], delimiter: str = ",", index=None, places=None
) -> int:
    """Every report of the queue (no page), newest first, with the export's columns and the responsible
    body; cells that a spreadsheet would run as formulas are neutralised by the shared CSV writer."""
    if index is None or query.text:
        rows = iter_queue(session, query.filter, _scope(session, bodies, query.body), query.text)
    else:
        rows = _rows_by_ids(session, _index_ids(session, bodies, query, index, places), query.filter.statuses)

    def flat():
        for report in rows:
            code = bodies.of_report(report)
            body = bodies.get(code)
            yield {**export_row(report), "body_code": code, "body": body.name if body else code}

    return write_csv(flat(), fp, delimiter=delimiter, bom=True, extra=("body_code", "body"))
