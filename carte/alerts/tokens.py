"""The links of alert messages: a subscription's id and nonce, signed with SECRET_KEY (itsdangerous).

Nothing is stored for them: a link opens its subscription while the subscription exists with the same
nonce, and nothing once it is deleted (unsubscribed, erased). Changing SECRET_KEY voids every link
already mailed; residents then subscribe again. Confirm and unsubscribe links have different salts,
so an unsubscribe link never confirms.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeSerializer

CONFIRM = "carte.alerts.confirm"
UNSUBSCRIBE = "carte.alerts.unsubscribe"
TOKEN_MAX = 200


def new_nonce() -> str:
    return secrets.token_urlsafe(16)[:22]


def sign(secret: str, purpose: str, subscription_id: int, nonce: str) -> str:
    return URLSafeSerializer(secret, salt=purpose).dumps([subscription_id, nonce])


def read(secret: str, purpose: str, token: str) -> tuple[int, str] | None:
    """(id, nonce) from a token this app signed for `purpose`, or None."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
        return None
    try:
        value = URLSafeSerializer(secret, salt=purpose).loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or isinstance(value[0], bool)
        or not isinstance(value[1], str)
    ):
        return None
    return value[0], value[1]


def same_nonce(stored: str, given: str) -> bool:
    return hmac.compare_digest(stored.encode(), given.encode())
