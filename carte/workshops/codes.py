"""Short join codes that survive being read aloud, projected or typed on a phone.

Six characters from an alphabet without look-alikes (no 0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B,
U/V): 21**6 ≈ 86 million codes, so collisions are rare and retried.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "34679ACEFGHJKMNPRTWXY"
LENGTH = 6
_CODE_RE = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(raw: str) -> str:
    """Upper-case, without spaces or dashes: "ab3-k7x" and "AB3K7X" are the same code."""
    return re.sub(r"[\s-]", "", raw or "").upper()


def is_valid(code: str) -> bool:
    return bool(_CODE_RE.match(code))
