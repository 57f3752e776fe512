"""Plain values that every layer shares: the report filter, where a report stands, public ids.

They live here, below `storage` and the use cases alike, so that storage can take a
`ReportFilter` or write public ids without importing `reports` or `followup` (which
import storage). Pure Python: no Flask, no SQLAlchemy. Parsing a filter from a request's
parameters stays in `carte.reports.filters`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

LIMIT_DEFAULT, LIMIT_MAX = 500, 5000
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2999, 12, 31)
ID_MAX = 2**31 - 1
PUBLIC_STATUSES = ("published",)

# Where a report stands (carte.followup.updates writes it); the last three close it.
PROGRESS = ("submitted", "acknowledged", "in_progress", "fixed", "declined", "duplicate")
CLOSED = frozenset({"fixed", "declined", "duplicate"})


@dataclass(frozen=True)
class ReportFilter:
    themes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    territoires: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    since: datetime | None = None  # inclusive, UTC
    until: datetime | None = None  # exclusive, UTC
    bbox: tuple[float, float, float, float] | None = None
    statuses: tuple[str, ...] = PUBLIC_STATUSES
    limit: int = LIMIT_DEFAULT
    cursor: int | None = None
    workshop: str | None = None  # a workshop's join code: only the reports posted in it
    progress: tuple[str, ...] = ()  # where reports stand (PROGRESS); () = any


# No 0/o, 1/l/i: ids are read aloud in workshops.
_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_public_ids(n: int) -> list[str]:
    """Random ids of 10 characters (about 49 bits) from the CSPRNG, generated in bulk."""
    alphabet = np.frombuffer(_ID_ALPHABET.encode(), dtype=np.uint8)
    draws = np.frombuffer(secrets.token_bytes(10 * n), dtype=np.uint8) % len(alphabet)
    return alphabet[draws].view("S10").astype(str).tolist()


def new_public_id() -> str:
    return new_public_ids(1)[0]
