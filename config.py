"""Configuration classes, read from the environment (microblog style)."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEV_SECRET_KEY = "dev-only-not-secret"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # True in production: create_app refuses to start on a missing or public SECRET_KEY.
    CARTE_REQUIRE_SECRET_KEY = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'carte.sqlite'}")
    # Folder of a local mirror of the official sources (same layout as ../shared/data);
    # unset means "download from the official URLs".
    CARTE_SOURCES = os.environ.get("CARTE_SOURCES") or None
    CARTE_DATA_DIR = os.environ.get("CARTE_DATA_DIR", str(BASE_DIR / "data"))
    # Empty string: no tile layer at all (offline workshops).
    CARTE_TILE_URL = os.environ.get("CARTE_TILE_URL", "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png")
    CARTE_TILE_ATTRIBUTION = os.environ.get(
        "CARTE_TILE_ATTRIBUTION",
        "© contributeurs OpenStreetMap, tuiles OpenStreetMap France",
    )
    CARTE_MIN_PUBLIC_COUNT = _env_int("CARTE_MIN_PUBLIC_COUNT", 3)
    CARTE_HOTSPOT_RESOLUTION = _env_int("CARTE_HOTSPOT_RESOLUTION", 8)
    # "post" publishes at once, "pre" keeps new reports pending until a moderator decides.
    CARTE_MODERATION = os.environ.get("CARTE_MODERATION", "post")
    # DEBUG, INFO, WARNING, ERROR; an unknown name means INFO (carte.logging_setup).
    CARTE_LOG_LEVEL = os.environ.get("CARTE_LOG_LEVEL", "INFO")
    MAX_CONTENT_LENGTH = 64 * 1024
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    CARTE_LANGUAGES = ("fr", "en")
    # Rate-limit counters: shared by every worker in Redis; without it each worker counts alone.
    # create_app derives RATELIMIT_STORAGE_URI from it (memory:// when unset).
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_HEADERS_ENABLED = True
    CARTE_REPORT_RATE_LIMIT = os.environ.get("CARTE_REPORT_RATE_LIMIT", "20/minute;200/day")
    # Participation and moderation (votes, comments, photos, flags; staff login).
    CARTE_PARTICIPATION_RATE_LIMIT = os.environ.get("CARTE_PARTICIPATION_RATE_LIMIT", "30/minute;300/day")
    CARTE_LOGIN_RATE_LIMIT = os.environ.get("CARTE_LOGIN_RATE_LIMIT", "10/minute;50/hour")
    CARTE_FLAGS_TO_HIDE = _env_int("CARTE_FLAGS_TO_HIDE", 3)
    CARTE_UPLOAD_DIR = os.environ.get("CARTE_UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    CARTE_MAX_PHOTO_BYTES = 8 * 1024 * 1024
    CARTE_MAX_PHOTOS = 3
    # Workshops: the address phones use in join links and QR codes (a laptop's 127.0.0.1 is useless
    # to them), and the per-device limit on contributions.
    CARTE_PUBLIC_URL = os.environ.get("CARTE_PUBLIC_URL") or None
    # Alerts by email (carte/alerts/): the SMTP server as a URL (smtp://host:port,
    # smtp://user:pass@host:587?starttls=1, smtps://user:pass@host:465; empty: requests are kept and
    # nothing is sent), the sender, and the hours between two digests of a followed area.
    CARTE_SMTP_URL = os.environ.get("CARTE_SMTP_URL", "")
    CARTE_MAIL_FROM = os.environ.get("CARTE_MAIL_FROM", "Carte <alertes@carte.example.org>")
    CARTE_ALERTS_DIGEST_HOURS = _env_int("CARTE_ALERTS_DIGEST_HOURS", 24)
    CARTE_WORKSHOP_RATE_LIMIT = os.environ.get("CARTE_WORKSHOP_RATE_LIMIT", "10/minute;60/hour")
    # The same submissions counted per address: a whole room behind one Wi-Fi (about 10 devices' worth).
    CARTE_WORKSHOP_ROOM_RATE_LIMIT = os.environ.get("CARTE_WORKSHOP_ROOM_RATE_LIMIT", "100/minute;600/hour")
    # Open311 POSTs, counted per API key.
    CARTE_OPEN311_RATE_LIMIT = os.environ.get("CARTE_OPEN311_RATE_LIMIT", "60/minute;2000/day")
    # Reverse proxies in front of the app (Werkzeug's ProxyFix). 0: X-Forwarded-For is ignored.
    CARTE_TRUSTED_PROXIES = _env_int("CARTE_TRUSTED_PROXIES", 0)
    # Origins allowed to embed the public map in a frame (CSP frame-ancestors), space-separated,
    # e.g. "https://www.example.org". Empty: no page can be framed by another site.
    CARTE_EMBED_ORIGINS = os.environ.get("CARTE_EMBED_ORIGINS", "")
    # Where residents report an accessibility problem (the statement at /accessibilite names it).
    CARTE_ACCESSIBILITY_CONTACT = os.environ.get("CARTE_ACCESSIBILITY_CONTACT", "accessibilite@carte.example.org")
    # Strict-Transport-Security max-age in seconds (0: no header). Set in ProductionConfig.
    CARTE_HSTS_SECONDS = _env_int("CARTE_HSTS_SECONDS", 0)
    # Open311 requesters' contacts (email, names) are erased this many days after the report.
    CARTE_CONTACT_RETENTION_DAYS = _env_int("CARTE_CONTACT_RETENTION_DAYS", 365)
    # Database: seconds to wait for a connection, milliseconds a statement may run (PostgreSQL),
    # and the Retry-After (seconds) of the 503 answered while the database is unreachable.
    CARTE_DB_CONNECT_TIMEOUT = _env_int("CARTE_DB_CONNECT_TIMEOUT", 5)
    CARTE_DB_STATEMENT_TIMEOUT_MS = _env_int("CARTE_DB_STATEMENT_TIMEOUT_MS", 15_000)
    CARTE_RETRY_AFTER = _env_int("CARTE_RETRY_AFTER", 30)
    # SpatiaLite: milliseconds a writer waits for another one's lock before answering 503.
    CARTE_SQLITE_BUSY_TIMEOUT_MS = _env_int("CARTE_SQLITE_BUSY_TIMEOUT_MS", 15_000)
    # serve: hours a POST's Idempotency-Key and its answer are kept (a retry within them gets the first answer).
    CARTE_IDEMPOTENCY_TTL_HOURS = _env_int("CARTE_IDEMPOTENCY_TTL_HOURS", 24)
    # serve: seconds browsers keep a static file fetched by its plain URL (versioned URLs: a year, immutable).
    CARTE_STATIC_MAX_AGE = _env_int("CARTE_STATIC_MAX_AGE", 300)
    # serve: seconds a worker keeps the active themes for POSTs (a theme turned off is refused that long after).
    CARTE_THEME_CACHE_SECONDS = _env_int("CARTE_THEME_CACHE_SECONDS", 10)
    # map: above this many reports in a view, GET /api/v1/reports?zoom= answers clusters (bench/map.py).
    CARTE_MAP_POINT_THRESHOLD = _env_int("CARTE_MAP_POINT_THRESHOLD", 500)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    JSON_SORT_KEYS = False
    # workers: folder of the report index snapshots (memory-mapped .npy files named by the data
    # version) that a new process starts from instead of reading every report. Empty: none.
    CARTE_INDEX_SNAPSHOT_DIR = os.environ.get("CARTE_INDEX_SNAPSHOT_DIR", str(BASE_DIR / "instance" / "index"))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("CARTE_TEST_SQLITE_URL", "sqlite://")
    RATELIMIT_ENABLED = False
    CARTE_UPLOAD_DIR = os.environ.get("CARTE_TEST_UPLOAD_DIR", "/tmp/carte-test-uploads")
    CARTE_INDEX_SNAPSHOT_DIR = ""  # workers: tests that want snapshots give their own folder


class ProductionConfig(Config):
    """`from_object` reads this class without instantiating it: the checks live in create_app."""

    CARTE_REQUIRE_SECRET_KEY = True
    SESSION_COOKIE_SECURE = True
    CARTE_HSTS_SECONDS = _env_int("CARTE_HSTS_SECONDS", 31_536_000)
