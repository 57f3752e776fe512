"""The facilitators' area (/animation): the dashboard, its chronology and the exports (workshops: workshop_admin).

Public open data (aggregates with small counts suppressed) is served here too, at
/donnees-ouvertes/..., without login and without any raw report.
"""

from __future__ import annotations

import io
from dataclasses import replace

from flask import Blueprint, Response, render_template, request

from carte.domain import PROGRESS
from carte.errors import CarteError
from carte.extensions import db
from carte.followup.labels import PROGRESS_LABELS
from carte.interop import csv_cells
from carte.interop.exporter import CREDITS, iter_reports, write_csv, write_geojson
from carte.reports.timeline import timeline
from carte.storage.report_index import STATUSES
from carte.storage.reports import active_themes
from carte.web.access import role_required
from carte.web.aggregates import facilitator_view, service as aggregates
from carte.web.context import atlas, request_filter, territories
from carte.web.language import ui_lang
from carte.workshops import service as workshops

dashboard = Blueprint("dashboard", __name__)


def _theme_meta() -> list[dict]:
    lang = ui_lang()
    return [{"slug": t.slug, "label": t.label_for(lang), "color": t.color} for t in active_themes(db.session)]


@dashboard.get("/animation")
@role_required("facilitator")
def index():
    communes = sorted(atlas().communes.values(), key=lambda c: c["nom"])
    return render_template(
        "dashboard/index.html",
        themes=active_themes(db.session),
        theme_meta=_theme_meta(),
        communes=communes,
        territories=territories(),
        departements=sorted({c["departement"] for c in communes}),
        workshops=workshops.list_workshops(db.session),
        statuses=STATUSES,
        progress=PROGRESS,
        progress_labels=PROGRESS_LABELS,
    )


@dashboard.get("/api/v1/animation/chronologie")
@role_required("facilitator")
def chronology():
    flt, _exact = facilitator_view()
    themes = {t.id: t.slug for t in active_themes(db.session)}
    return timeline(db.session, aggregates(), flt, themes)


# -- exports -----------------------------------------------------------------------------------------


def _export_filter():
    flt, _exact = facilitator_view()
    return replace(flt, limit=0, cursor=None)


@dashboard.get("/animation/exports/signalements.<fmt>")
@role_required("facilitator")
def export_reports(fmt: str):
    flt = _export_filter()
    buffer = io.StringIO()
    if fmt == "csv":
        delimiter = ";" if request.args.get("sep") in (";", "pointvirgule", "semicolon") else ","
        write_csv(iter_reports(db.session, flt), buffer, delimiter=delimiter, bom=True)
        mimetype, name = "text/csv; charset=utf-8", f"signalements{'-pointvirgule' if delimiter == ';' else ''}.csv"
    elif fmt == "geojson":
        write_geojson(iter_reports(db.session, flt), buffer)
        mimetype, name = "application/geo+json", "signalements.geojson"
    else:
        raise CarteError("unknown_format", "Format attendu : csv ou geojson.", "format", status=404)
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@dashboard.get("/donnees-ouvertes/agregats.csv")
def open_aggregates():
    """Public open data: counts per commune and theme, small counts suppressed; no report, no contact."""
    level = request.args.get("level", "commune")
    if level not in ("commune", "territoire", "departement"):
        raise CarteError("invalid_choice", "Valeur attendue : commune, territoire, departement.", "level")
    flt = request_filter()
    result = aggregates().territories(db.session, flt, level, exact=False)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv_cells.writer(buffer, delimiter=";" if request.args.get("sep") == ";" else ",", lineterminator="\r\n")
    writer.writerow(["code", "nom", "theme", "count", "rate_per_10k", "suppressed", "licence", "attribution"])
    for row in result["rows"]:
        writer.writerow(
            [
                row["code"],
                row["nom"],
                row["theme"],
                row.get("count"),
                row.get("rate_per_10k"),
                "true" if row.get("suppressed") else "false",
                CREDITS["licence"],
                CREDITS["attribution"],
            ]
        )
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="agregats-{level}.csv"'},
    )
