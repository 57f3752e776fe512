"""Reports as JSON and GeoJSON: the only shape the API and exports give out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from carte.models import Report


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a "Z", as JSON clients expect (stored timestamps are aware UTC)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _places(report: Report, atlas) -> tuple[dict, dict, dict | None]:
    """Commune, territory and arrondissement names: from the in-memory atlas when given (listings:
    no per-row query, no polygon), else from the relationships (one report)."""
    if atlas is not None:
        commune: Mapping = atlas.communes[report.commune_code]
        arr: Mapping | None = atlas.arrondissements.get(report.arrondissement_code or "")
    else:
        commune = {
            "code": report.commune.code,
            "nom": report.commune.nom,
            "territoire_code": report.commune.territoire_code,
            "territoire_nom": report.commune.territoire_nom,
        }
        arr = {"code": report.arrondissement.code, "nom": report.arrondissement.nom} if report.arrondissement else None
    return (
        {"code": commune["code"], "nom": commune["nom"]},
        {"code": commune["territoire_code"], "nom": commune["territoire_nom"]},
        {"code": arr["code"], "nom": arr["nom"]} if arr else None,
    )


def report_properties(report: Report, atlas=None, lang: str = "fr") -> dict:
    """`lang` chooses the theme's label (its English one when there is one)."""
    commune, territoire, arrondissement = _places(report, atlas)
    return {
        "id": report.public_id,
        "theme": report.theme.slug,
        "theme_label": report.theme.label_for(lang),
        "color": report.theme.color,
        "title": report.title,
        "description": report.description,
        "tags": [t.tag for t in report.tags],
        "author_name": report.author_name,
        "commune": commune,
        "territoire": territoire,
        "arrondissement": arrondissement,
        "approximate": report.approximate,
        "location_text": report.location_text,
        "status": report.status,
        "source": report.source,
        "created_at": iso_utc(report.created_at),
        # Participation counters (support sizes and sorts markers; dissent only where the theme allows it).
        "support": report.support_count or 0,
        "dissent": report.dissent_count or 0,
        "comments": report.comment_count or 0,
        # Where the report stands (carte/followup/): markers and list items show fixed reports apart.
        "progress": report.progress or "submitted",
    }


def report_json(report: Report, atlas=None, lang: str = "fr") -> dict:
    return {**report_properties(report, atlas, lang), "lat": report.lat, "lon": report.lon}


def report_feature(report: Report, atlas=None, lang: str = "fr") -> dict:
    """`atlas` (a `carte.geo.atlas.Atlas`) gives the place names without touching the database."""
    return {
        "type": "Feature",
        "id": report.public_id,
        "geometry": {"type": "Point", "coordinates": [report.lon, report.lat]},
        "properties": report_properties(report, atlas, lang),
    }
