"""Security headers on every response: a strict Content-Security-Policy, and the browser's other guards.

The policy allows no inline script, no eval and no inline style: pages load their JavaScript and CSS
from /static, page data travels in `data-` attributes and `<script type="application/json">` blocks
(which are never executed), and Leaflet, Chart.js and Swagger UI set styles through the CSSOM, which CSP
allows. A view that sets its own, stricter policy (the photo files) keeps it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, Response, request

# Leaflet's default tile subdomains, used when `{s}` is not a whole leftmost label (a CSP wildcard
# can only stand for leftmost labels).
TILE_SUBDOMAINS = "abc"
EMBEDDABLE_ENDPOINTS = frozenset({"pages.index"})
PERMISSIONS_POLICY = (
    "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "midi=(), accelerometer=(), gyroscope=(), magnetometer=(), display-capture=()"
)
_ORIGIN_RE = re.compile(r"^https?://(\*\.)?[a-z0-9.-]+(:[0-9]{1,5})?$", re.IGNORECASE)


def tile_origins(tile_url: str) -> list[str]:
    """The origins a tile URL template loads from, as CSP sources ('self' needs none)."""
    if not tile_url:
        return []
    parts = urlsplit(tile_url)
    if not parts.netloc:  # a path on this site
        return []
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    if "{s}" not in host:
        return [scheme + host]
    if host.startswith("{s}.") and "{s}" not in host[4:]:
        return [f"{scheme}*.{host[4:]}"]
    return [scheme + host.replace("{s}", s) for s in TILE_SUBDOMAINS]


def embed_origins(value: str) -> list[str]:
    """CARTE_EMBED_ORIGINS as a list, refusing anything that is not a plain origin (no directive injection)."""
    origins = value.split()
    for origin in origins:
        if not _ORIGIN_RE.match(origin):
            raise ValueError(f"CARTE_EMBED_ORIGINS: {origin!r} is not an origin such as https://www.example.org")
    return origins


def content_security_policy(tile_url: str, frame_ancestors: list[str]) -> str:
    images = " ".join(["'self'", "data:", "blob:", *tile_origins(tile_url)])
    ancestors = " ".join(frame_ancestors) or "'none'"
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {images}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ]
    return "; ".join(directives)


def init_security_headers(app: Flask) -> None:
    config = app.config
    tile_url = config.get("CARTE_TILE_URL") or ""
    embedders = embed_origins(config.get("CARTE_EMBED_ORIGINS") or "")
    policy = content_security_policy(tile_url, [])
    embeddable_policy = content_security_policy(tile_url, embedders)
    hsts = int(config.get("CARTE_HSTS_SECONDS") or 0)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        embeddable = bool(embedders) and request.endpoint in EMBEDDABLE_ENDPOINTS
        headers.setdefault("Content-Security-Policy", embeddable_policy if embeddable else policy)
        if not embeddable:
            headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors, for browsers that predate it
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if hsts > 0:
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
        return response
