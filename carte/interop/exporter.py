"""Exports of reports as CSV and GeoJSON (RFC 7946), carrying the licence and credits.

The functions take an iterable of `Report` rows (or of dicts made by `export_row`) and a
text stream, so that routes and commands can stream large selections. Only public
fields are written: contact details (emails, names of Open311 requesters) never are.
What is written can be imported again with `flask carte import` and no loss: the
column names are the importer's defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from carte.domain import ReportFilter
from carte.interop import csv_cells
from carte.reports.serialize import iso_utc
from carte.storage.reports import apply_filter

CREDITS = {
    "licence": "ODbL-1.0",
    "licence_url": "https://opendatacommons.org/licenses/odbl/1-0/",
    "attribution": (
        "Carte, contributions des habitants de la Métropole du Grand Paris (ODbL) ; "
        "communes : IGN (Licence Ouverte) ; arrondissements de Paris : Ville de Paris (ODbL) ; "
        "découpage administratif : Etalab (MIT) ; signalements DansMaRue importés : Ville de Paris (ODbL)"
    ),
}

# Column order of the CSV export (and the importer's default column names).
FIELDS = (
    "id",
    "theme",
    "theme_label",
    "title",
    "description",
    "tags",
    "lat",
    "lon",
    "commune_code",
    "commune",
    "territoire_code",
    "arrondissement_code",
    "location_text",
    "approximate",
    "status",
    "source",
    "source_name",
    "external_id",
    "created_at",
    "updated_at",
    "progress",
    "licence",
    "attribution",
)
TAG_SEPARATOR = "|"


def export_row(report) -> dict:
    """The public, flat shape of one report for exports (no private field)."""
    commune = report.commune
    return {
        "id": report.public_id,
        "theme": report.theme.slug,
        "theme_label": report.theme.label,
        "title": report.title,
        "description": report.description or "",
        "tags": [t.tag for t in report.tags],
        "lat": report.lat,
        "lon": report.lon,
        "commune_code": report.commune_code,
        "commune": commune.nom if commune else None,
        "territoire_code": commune.territoire_code if commune else None,
        "arrondissement_code": report.arrondissement_code,
        "location_text": report.location_text,
        "approximate": bool(report.approximate),
        "status": report.status,
        "source": report.source,
        "source_name": report.source_name,
        "external_id": report.external_id,
        "created_at": iso_utc(report.created_at),
        "updated_at": iso_utc(report.updated_at or report.created_at),
        "progress": report.progress or "submitted",
    }


def _rows(reports: Iterable) -> Iterator[dict]:
    for item in reports:
        yield item if isinstance(item, dict) else export_row(item)


def iter_reports(session: Session, flt: ReportFilter, batch: int = 2000) -> Iterator:
    """Every report matching the filter (no page limit), oldest first, read in batches."""
    from carte.models import Report

    last_id = 0
    while True:
        stmt = (
            apply_filter(select(Report), flt)
            .where(Report.id > last_id)
            .order_by(Report.id)
            .limit(batch)
            .options(selectinload(Report.commune))  # names only: Commune.geom is deferred
        )
        rows = session.scalars(stmt).unique().all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def write_csv(
    reports: Iterable, fp: IO[str], *, delimiter: str = ",", bom: bool = True, extra: tuple[str, ...] = ()
) -> int:
    """Write reports as CSV (UTF-8; a BOM by default so that spreadsheets read the accents).

    `delimiter=";"` gives the variant French spreadsheets expect, with decimal commas: a French
    spreadsheet reads "48.85" as text, not as a number. Tags are joined by `|`.
    Every row carries the licence and attribution columns; text that a spreadsheet would run
    as a formula is escaped (`csv_cells`, undone by the importer). `extra` names more columns,
    read from dict rows, written before the licence (the follow-up queue's body). Returns the number of rows.
    """
    fields = FIELDS[:-2] + tuple(extra) + FIELDS[-2:]
    if bom:
        fp.write("\ufeff")
    writer = csv_cells.writer(fp, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(fields)
    decimal_comma = delimiter == ";"
    count = 0
    for row in _rows(reports):
        out = {k: row.get(k) for k in fields}
        out["tags"] = TAG_SEPARATOR.join(row.get("tags") or ())
        out["approximate"] = "true" if row.get("approximate") else "false"
        for axis in ("lat", "lon"):
            value = repr(float(row[axis]))
            out[axis] = value.replace(".", ",") if decimal_comma else value
        out["licence"] = CREDITS["licence"]
        out["attribution"] = CREDITS["attribution"]
        writer.writerow(out[k] for k in fields)
        count += 1
    return count


def geojson_feature(row: dict) -> dict:
    properties = {k: v for k, v in row.items() if k not in ("lat", "lon")}
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        "properties": properties,
    }


def write_geojson(reports: Iterable, fp: IO[str]) -> int:
    """Write a GeoJSON FeatureCollection (RFC 7946: WGS84 lon/lat, no `crs`), streamed.

    The licence and attribution are foreign members of the collection, as RFC 7946 allows.
    Returns the number of features.
    """
    fp.write('{"type":"FeatureCollection",')
    fp.write(f'"licence":{json.dumps(CREDITS["licence"])},"licence_url":{json.dumps(CREDITS["licence_url"])},')
    fp.write(f'"attribution":{json.dumps(CREDITS["attribution"], ensure_ascii=False)},"features":[')
    count = 0
    for row in _rows(reports):
        if count:
            fp.write(",")
        fp.write("\n")
        fp.write(json.dumps(geojson_feature(row), ensure_ascii=False, separators=(",", ":")))
        count += 1
    fp.write("\n]}\n")
    return count


def export_format(filename: str) -> str:
    """`csv` or `geojson` from a file name; ValueError otherwise."""
    lower = filename.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".geojson", ".json")):
        return "geojson"
    raise ValueError("Extension attendue : .csv ou .geojson")
