"""Checks and WSGI wrapping applied once by create_app, before anything is served."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DEV_SECRET_KEY

MIN_SECRET_KEY_LENGTH = 32
GENERATE_HINT = 'python -c "import secrets; print(secrets.token_hex(32))"'


class UnsafeConfiguration(RuntimeError):
    """Raised at start-up: the app must not serve a single request in this state."""


def check_config(app: Flask) -> None:
    """Refuse a missing, public or short SECRET_KEY when CARTE_REQUIRE_SECRET_KEY is set (production):
    anyone who knows the key can forge a staff session cookie."""
    if not app.config.get("CARTE_REQUIRE_SECRET_KEY"):
        return
    key = app.config.get("SECRET_KEY") or ""
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    if key == DEV_SECRET_KEY or len(key.strip()) < MIN_SECRET_KEY_LENGTH:
        raise UnsafeConfiguration(
            f"SECRET_KEY est absente, publique ou trop courte (au moins {MIN_SECRET_KEY_LENGTH} caractères) : "
            f"Carte refuse de démarrer. Générez-en une avec {GENERATE_HINT} et passez-la dans "
            "l'environnement (SECRET_KEY=...)."
        )


def trust_proxies(app: Flask) -> None:
    """Behind CARTE_TRUSTED_PROXIES reverse proxies, take the client's address and scheme from the
    X-Forwarded-For/-Proto values those proxies appended; with 0, such headers stay ignored."""
    hops = int(app.config.get("CARTE_TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def rate_limit_storage(app: Flask) -> None:
    """Counters in REDIS_URL when set (one count for all workers), else in this process's memory."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
