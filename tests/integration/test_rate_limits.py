"""Rate limits that hold: keys a client cannot mint, Open311 per API key, trusted proxies, one Redis for all workers."""
from __future__ import annotations

import pytest

from tests.integration.test_workshops import post, workshop_code  # noqa: F401 (a fixture)

WORKSHOP_LIMITS = {"RATELIMIT_ENABLED": True, "CARTE_WORKSHOP_RATE_LIMIT": "2/minute",
                   "CARTE_WORKSHOP_ROOM_RATE_LIMIT": "5/minute"}


@pytest.mark.config(**WORKSHOP_LIMITS)
def test_forged_device_cookies_count_against_the_address(app, workshop_code):  # noqa: F811
    from carte.contributors import COOKIE

    statuses = []
    for i in range(4):
        phone = app.test_client()
        phone.set_cookie(COOKIE, f"made-up-device-{i}")
        statuses.append(post(phone, workshop_code).status_code)
    assert statuses == [201, 201, 429, 429]


@pytest.mark.config(**WORKSHOP_LIMITS)
def test_fresh_signed_ids_from_the_join_page_meet_the_room_limit(app, workshop_code):  # noqa: F811
    statuses = []
    for _ in range(7):
        phone = app.test_client()
        phone.get(f"/a/{workshop_code}")  # a genuine signed id, new each time
        statuses.append(post(phone, workshop_code).status_code)
    assert statuses == [201] * 5 + [429] * 2
    assert post(app.test_client(), workshop_code).get_json()["error"]["code"] == "rate_limited"


@pytest.mark.config(**WORKSHOP_LIMITS)
def test_phones_with_their_own_signed_id_keep_their_own_device_limit(app, workshop_code):  # noqa: F811
    first, second = app.test_client(), app.test_client()
    first.get(f"/a/{workshop_code}")
    second.get(f"/a/{workshop_code}")
    assert [post(first, workshop_code).status_code for _ in range(3)] == [201, 201, 429]
    assert [post(second, workshop_code).status_code for _ in range(2)] == [201, 201]
