"""Open311 API keys: issued by admins, stored as SHA-256 hashes, checked on each POST.

A key is 32 random bytes from the CSPRNG: with that much entropy a fast hash is safe,
and lookups stay one indexed query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from carte.models.interop import ApiKey


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_key(session: Session, name: str, body_code: str | None = None, bodies=None) -> str:
    """Create a key named `name` and return its token (shown once, never stored).

    A key with a `body_code` (one of `bodies`) may also update that body's reports; without one it
    only files requests."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ValueError("Le nom de la clé doit faire de 1 à 80 caractères.")
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise ValueError(f"Une clé nommée « {name} » existe déjà.")
    body_code = (body_code or "").strip() or None
    if body_code is not None and (bodies is None or body_code not in bodies):
        raise ValueError(
            f"Organisme inconnu : {body_code[:20]} (code INSEE d'une commune, SIREN d'un EPT ou 200054781)."
        )
    token = secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=hash_key(token), body_code=body_code))
    session.commit()
    return token


def revoke_key(session: Session, name: str) -> bool:
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        return False
    key.revoked = True
    session.commit()
    return True


def check_key(session: Session, token: str | None) -> ApiKey | None:
    """The active key matching `token`, or None."""
    if not token or len(token) > 200:
        return None
    digest = hash_key(token)
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if key is None or key.revoked or not hmac.compare_digest(key.key_hash, digest):
        return None
    return key
