"""The facilitators' area (/animation): dashboard, workshops, syntheses and exports.

Public open data (aggregates with small counts suppressed) is served here too, at
/donnees-ouvertes/..., without login and without any raw report.
"""
from __future__ import annotations

import io
from dataclasses import replace

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from carte.auth import role_required
from carte.errors import CarteError
from carte.extensions import db
from carte.followup.labels import PROGRESS_LABELS
from carte.followup.updates import PROGRESS
from carte.interop import csv_cells
from carte.interop.exporter import CREDITS, iter_reports, write_csv, write_geojson
from carte.reports.timeline import timeline
from carte.storage.report_index import STATUSES
from carte.storage.reports import active_themes
from carte.web.aggregates import facilitator_view, service as aggregates
from carte.web.context import atlas, request_filter, vocabulary
from carte.web.language import ui_lang
from carte.web.workshop import join_url, reachable_from_phones, theme_labels
from carte.workshops import service as workshops
from carte.workshops.codes import normalise
from carte.workshops.synthesis import folium_map, pdf_from_html, svg_map, synthesis_data

dashboard = Blueprint("dashboard", __name__)


def _territories() -> list[tuple[str, str]]:
    return sorted({(c["territoire_code"], c["territoire_nom"]) for c in atlas().communes.values()}, key=lambda t: t[1])


def _theme_meta() -> list[dict]:
    lang = ui_lang()
    return [{"slug": t.slug, "label": t.label_for(lang), "color": t.color} for t in active_themes(db.session)]


@dashboard.get("/animation")
@role_required("facilitator")
def index():
    communes = sorted(atlas().communes.values(), key=lambda c: c["nom"])
    return render_template(
        "dashboard/index.html", themes=active_themes(db.session), theme_meta=_theme_meta(), communes=communes, territories=_territories(),
        departements=sorted({c["departement"] for c in communes}), workshops=workshops.list_workshops(db.session),
        statuses=STATUSES, progress=PROGRESS, progress_labels=PROGRESS_LABELS,
    )


@dashboard.get("/api/v1/animation/chronologie")
@role_required("facilitator")
def chronology():
    flt, _exact = facilitator_view()
    themes = {t.id: t.slug for t in active_themes(db.session)}
    return timeline(db.session, aggregates(), flt, themes)


# -- workshops ---------------------------------------------------------------------------------------

@dashboard.route("/animation/ateliers", methods=["GET", "POST"])
@role_required("facilitator")
def workshop_list():
    errors, form = {}, {}
    if request.method == "POST":
        form = {k: v for k, v in request.form.items() if k != "themes"} | {"themes": request.form.getlist("themes")}
        vocab = vocabulary()
        try:
            workshop = workshops.create_workshop(
                db.session, form, themes=vocab.themes, territoires=vocab.territoires, created_by=current_user.id
            )
            return redirect(url_for("dashboard.workshop_detail", code=workshop.code), 303)
        except CarteError as err:
            errors[err.field or "form"] = err.localized(_)
    status = 422 if errors else 200
    return render_template(
        "dashboard/workshops.html", workshops=workshops.list_workshops(db.session),
        counts=workshops.report_counts(db.session), themes=active_themes(db.session),
        territories=_territories(), errors=errors, form=form,
    ), status


@dashboard.get("/animation/ateliers/<code>")
@role_required("facilitator")
def workshop_detail(code: str):
    workshop = workshops.get_workshop(db.session, code)
    return render_template(
        "dashboard/workshop.html", workshop=workshop, join_url=join_url(workshop.code),
        reachable=reachable_from_phones(join_url(workshop.code)),
        count=workshops.report_counts(db.session).get(workshop.id, 0),
        may_manage=workshops.may_manage(workshop, current_user),
    )


@dashboard.post("/animation/ateliers/<code>/cloture")
@role_required("facilitator")
def workshop_close(code: str):
    workshop = workshops.close_workshop(db.session, workshops.get_workshop(db.session, code), by=current_user)
    return redirect(url_for("dashboard.synthesis", code=workshop.code), 303)


@dashboard.post("/animation/ateliers/<code>/reouverture")
@role_required("facilitator")
def workshop_reopen(code: str):
    workshop = workshops.reopen_workshop(db.session, workshops.get_workshop(db.session, code), by=current_user)
    return redirect(url_for("dashboard.workshop_detail", code=workshop.code), 303)


def _synthesis_page(code: str, *, for_pdf: bool = False) -> str:
    workshop = workshops.get_workshop(db.session, code)
    data = synthesis_data(db.session, aggregates(), workshop, theme_labels())
    counts = {c["code"]: c["count"] for c in data["communes"]}
    svg, legend = svg_map(atlas().web_geojson, counts, data["points"])
    names = {c["code"]: c["nom"] for c in atlas().communes.values()}
    return render_template(
        "workshop/synthesis.html", workshop=workshop, data=data, svg=svg, legend=legend, names=names,
        credits=CREDITS, for_pdf=for_pdf, join_url=join_url(workshop.code),
    )


@dashboard.get("/animation/ateliers/<code>/synthese")
@role_required("facilitator")
def synthesis(code: str):
    return _synthesis_page(code)


@dashboard.get("/animation/ateliers/<code>/synthese.pdf")
@role_required("facilitator")
def synthesis_pdf(code: str):
    page = _synthesis_page(code, for_pdf=True)
    pdf = pdf_from_html(page, base_url=request.url_root)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="synthese-atelier-{normalise(code)}.pdf"'})


@dashboard.get("/animation/ateliers/<code>/carte.html")
@role_required("facilitator")
def synthesis_map(code: str):
    from pathlib import Path

    workshop = workshops.get_workshop(db.session, code)
    data = synthesis_data(db.session, aggregates(), workshop, theme_labels())
    page = folium_map(
        atlas().web_geojson, {c["code"]: c["count"] for c in data["communes"]}, data["points"],
        Path(current_app.static_folder) / "vendor", f"Atelier {workshop.code} — {workshop.title}",
        credits=f"{CREDITS['attribution']} — {_('Licence')} : {CREDITS['licence']}",
        legend_title=_("Contributions par commune"),
    )
    return Response(page, mimetype="text/html",
                    headers={"Content-Disposition": f'attachment; filename="carte-atelier-{workshop.code}.html"'})


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
    return Response(buffer.getvalue().encode("utf-8"), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


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
        writer.writerow([
            row["code"], row["nom"], row["theme"], row.get("count"), row.get("rate_per_10k"),
            "true" if row.get("suppressed") else "false", CREDITS["licence"], CREDITS["attribution"],
        ])
    return Response(buffer.getvalue().encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="agregats-{level}.csv"'})
