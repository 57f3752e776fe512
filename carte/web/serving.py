"""How responses travel: compressed when the client accepts it, static files under versioned URLs.

Compression is Flask-Compress (brotli, then gzip). Server-Sent Events (text/event-stream) are not in its
list of types, so a stream is never held back in a compressor's buffer.

`url_for('static', filename=...)` builds `/static/v/<version>/<filename>`, where the version is a hash of
the file's *unit* read once per process: the whole `js/` folder (ES modules import each other by relative
path, so a page's modules share one prefix, one instance each, and change together), one package of
`vendor/` (a stylesheet's relative `url(images/...)` inherits its prefix), or the first folder (`css/`,
`img/`). Versioned answers are cached for a year as immutable; the plain `/static/<filename>` still works,
with a short cache, for links written by hand.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, Response, current_app, send_from_directory
from flask_compress import Compress

YEAR = 31_536_000
VERSIONED_RULE = "/static/v/<version>/<path:filename>"
PLAIN_RULE = "/static/<path:filename>"
# Flask-Compress's own list, plus the GeoJSON the map reads; never text/event-stream.
EXTRA_COMPRESSED_TYPES = ["application/geo+json", "text/javascript", "image/svg+xml"]

compress = Compress()


def unit_of(filename: str) -> str:
    """The folder whose content a file's version covers (see the module docstring)."""
    parts = filename.split("/")
    if parts[0] == "vendor" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 else filename


def unit_hash(static_folder: Path, unit: str) -> str:
    """12 hex digits of SHA-256 over the unit's file names and contents, in a fixed order."""
    root = static_folder / unit
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    digest = hashlib.sha256()
    for path in files:
        if not path.exists():
            continue
        digest.update(path.relative_to(static_folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


class StaticVersions:
    """Each unit's hash, computed on first use and then kept for the life of the process."""

    def __init__(self, static_folder: str):
        self.folder = Path(static_folder)
        self.hashes: dict[str, str] = {}

    def of(self, filename: str) -> str:
        unit = unit_of(filename)
        if unit not in self.hashes:
            self.hashes[unit] = unit_hash(self.folder, unit)
        return self.hashes[unit]

    def warm(self) -> None:
        """Hash every unit now (at start-up), so that no request pays for it."""
        for entry in os.scandir(self.folder):
            if entry.is_dir() and entry.name == "vendor":
                for package in os.scandir(entry.path):
                    self.of(f"vendor/{package.name}/x")
            elif entry.is_dir():
                self.of(f"{entry.name}/x")


def init_serving(app: Flask) -> None:
    """Compression and the static routes; the app must be created with `static_folder=None`."""
    app.config.setdefault("COMPRESS_MIMETYPES", sorted({*DEFAULT_COMPRESSED_TYPES, *EXTRA_COMPRESSED_TYPES}))
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    app.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL", ["static"])
    compress.init_app(app)

    app.static_folder = "static"
    versions = StaticVersions(app.static_folder)
    app.extensions["carte_static_versions"] = versions
    if not app.testing:
        versions.warm()

    def static(filename: str, version: str | None = None) -> Response:
        pinned = version is not None and version == versions.of(filename)
        # Unversioned, or a version that is not the current one: a short cache, never pinned for a year.
        max_age = YEAR if pinned else current_app.config["CARTE_STATIC_MAX_AGE"]
        response = send_from_directory(app.static_folder, filename, max_age=max_age)
        response.cache_control.public = True
        if pinned:
            response.cache_control.immutable = True
        return response

    app.add_url_rule(VERSIONED_RULE, endpoint="static", view_func=static)
    app.add_url_rule(PLAIN_RULE, endpoint="static", view_func=static)

    @app.url_defaults
    def versioned_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "version" not in values:
            values["version"] = versions.of(values["filename"])


# Flask-Compress's default list (flask_compress.Compress.init_app), repeated here because setting
# COMPRESS_MIMETYPES replaces it.
DEFAULT_COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/xml",
    "text/x-component",
    "text/javascript",
    "application/x-javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "application/vnd.api+json",
    "application/xml",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/vnd.ms-fontobject",
    "application/x-font-ttf",
    "application/x-font-opentype",
    "application/x-font-truetype",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "font/ttf",
    "font/eot",
    "font/otf",
    "font/opentype",
]
