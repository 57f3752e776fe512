"""Pure parts of workshop mode: join codes and the SSE loop (driven by a fake clock)."""

from __future__ import annotations

import json

import carte.workshops.projection as live
from carte.workshops.codes import ALPHABET, is_valid, new_code, normalise


def test_codes_avoid_look_alike_characters():
    assert not set(ALPHABET) & set("0O1IL2Z5S8BUVDQ")
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500  # 21**6 possibilities: no collision expected in 500 draws
    assert all(len(c) == 6 and set(c) <= set(ALPHABET) and is_valid(c) for c in codes)


def test_codes_are_normalised_as_people_type_them():
    assert normalise(" mxk-4rt ") == "MXK4RT"
    assert is_valid(normalise("mxk 4rt"))
    assert not is_valid("MXK4R0") and not is_valid("MXK4RTT") and not is_valid("")


class FakeSession:
    def __init__(self, markers):
        self.markers = markers
        self.closed = 0

    def close(self):
        self.closed += 1


def test_stream_sends_on_change_keeps_alive_and_ends(monkeypatch):
    # Markers seen at successive polls: unchanged, changed once, then unchanged for a long time.
    markers = iter([(0, 0, "open"), (0, 0, "open"), (1, 7, "open")] + [(1, 7, "open")] * 100)
    monkeypatch.setattr(live, "marker", lambda session, workshop_id: next(markers))
    now = [0.0]
    session = FakeSession(None)
    built = []

    def build(_session):
        built.append(now[0])
        return {"count": len(built) - 1}

    events = list(
        live.stream(
            lambda: session,
            build,
            1,
            poll=1.0,
            max_seconds=40.0,
            sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
            clock=lambda: now[0],
        )
    )
    assert events[0] == "retry: 1000\n\n"
    snapshots = [json.loads(e.split("data: ", 1)[1]) for e in events if e.startswith("event: snapshot")]
    assert snapshots == [{"count": 0}, {"count": 1}]  # one at start, one when the marker changed
    assert built == [0.0, 2.0]
    keepalives = [e for e in events if e.startswith(": keep-alive")]
    assert len(keepalives) == 2  # quiet for 15 s, twice, before the 40 s limit
    assert session.closed == 40  # one session per poll, always closed
