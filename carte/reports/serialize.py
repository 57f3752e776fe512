"""Reports as JSON and GeoJSON: the only shape the API and exports give out."""
from __future__ import annotations

from datetime import datetime, timezone

from carte.models import Report


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a "Z", as JSON clients expect (stored timestamps are aware UTC)."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def report_properties(report: Report) -> dict:
    commune = report.commune
    arr = report.arrondissement
    return {
        "id": report.public_id,
        "theme": report.theme.slug,
        "theme_label": report.theme.label,
        "color": report.theme.color,
        "title": report.title,
        "description": report.description,
        "tags": [t.tag for t in report.tags],
        "author_name": report.author_name,
        "commune": {"code": commune.code, "nom": commune.nom},
        "territoire": {"code": commune.territoire_code, "nom": commune.territoire_nom},
        "arrondissement": {"code": arr.code, "nom": arr.nom} if arr else None,
        "approximate": report.approximate,
        "location_text": report.location_text,
        "status": report.status,
        "source": report.source,
        "created_at": iso_utc(report.created_at),
        # Participation counters (support sizes and sorts markers; dissent only where the theme allows it).
        "support": report.support_count or 0,
        "dissent": report.dissent_count or 0,
        "comments": report.comment_count or 0,
    }


def report_json(report: Report) -> dict:
    return {**report_properties(report), "lat": report.lat, "lon": report.lon}


def report_feature(report: Report) -> dict:
    return {
        "type": "Feature",
        "id": report.public_id,
        "geometry": {"type": "Point", "coordinates": [report.lon, report.lat]},
        "properties": report_properties(report),
    }
