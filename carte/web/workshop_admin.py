"""Facilitators' workshops (/animation/ateliers): create, open, close and reopen a workshop, and its synthesis
(page, PDF, offline map). The participants' side is carte.web.workshop."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from carte.errors import CarteError
from carte.extensions import db
from carte.interop.exporter import CREDITS
from carte.storage.reports import active_themes
from carte.web.access import role_required
from carte.web.aggregates import service as aggregates
from carte.web.context import atlas, territories, vocabulary
from carte.web.workshop import join_url, reachable_from_phones, theme_labels
from carte.workshops import service as workshops
from carte.workshops.codes import normalise
from carte.workshops.synthesis import folium_map, pdf_from_html, svg_map, synthesis_data

workshop_admin = Blueprint("workshop_admin", __name__)


@workshop_admin.route("/animation/ateliers", methods=["GET", "POST"])
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
            return redirect(url_for("workshop_admin.workshop_detail", code=workshop.code), 303)
        except CarteError as err:
            errors[err.field or "form"] = err.localized(_)
    status = 422 if errors else 200
    return render_template(
        "dashboard/workshops.html",
        workshops=workshops.list_workshops(db.session),
        counts=workshops.report_counts(db.session),
        themes=active_themes(db.session),
        territories=territories(),
        errors=errors,
        form=form,
    ), status


@workshop_admin.get("/animation/ateliers/<code>")
@role_required("facilitator")
def workshop_detail(code: str):
    workshop = workshops.get_workshop(db.session, code)
    return render_template(
        "dashboard/workshop.html",
        workshop=workshop,
        join_url=join_url(workshop.code),
        reachable=reachable_from_phones(join_url(workshop.code)),
        count=workshops.report_counts(db.session).get(workshop.id, 0),
        may_manage=workshops.may_manage(workshop, current_user),
    )


@workshop_admin.post("/animation/ateliers/<code>/cloture")
@role_required("facilitator")
def workshop_close(code: str):
    workshop = workshops.close_workshop(db.session, workshops.get_workshop(db.session, code), by=current_user)
    return redirect(url_for("workshop_admin.synthesis", code=workshop.code), 303)


@workshop_admin.post("/animation/ateliers/<code>/reouverture")
@role_required("facilitator")
def workshop_reopen(code: str):
    workshop = workshops.reopen_workshop(db.session, workshops.get_workshop(db.session, code), by=current_user)
    return redirect(url_for("workshop_admin.workshop_detail", code=workshop.code), 303)


def _synthesis_page(code: str, *, for_pdf: bool = False) -> str:
    workshop = workshops.get_workshop(db.session, code)
    data = synthesis_data(db.session, aggregates(), workshop, theme_labels())
    counts = {c["code"]: c["count"] for c in data["communes"]}
    svg, legend = svg_map(atlas().web_geojson, counts, data["points"])
    names = {c["code"]: c["nom"] for c in atlas().communes.values()}
    return render_template(
        "workshop/synthesis.html",
        workshop=workshop,
        data=data,
        svg=svg,
        legend=legend,
        names=names,
        credits=CREDITS,
        for_pdf=for_pdf,
        join_url=join_url(workshop.code),
    )


@workshop_admin.get("/animation/ateliers/<code>/synthese")
@role_required("facilitator")
def synthesis(code: str):
    return _synthesis_page(code)


@workshop_admin.get("/animation/ateliers/<code>/synthese.pdf")
@role_required("facilitator")
def synthesis_pdf(code: str):
    page = _synthesis_page(code, for_pdf=True)
    pdf = pdf_from_html(page, base_url=request.url_root)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="synthese-atelier-{normalise(code)}.pdf"'},
    )


@workshop_admin.get("/animation/ateliers/<code>/carte.html")
@role_required("facilitator")
def synthesis_map(code: str):
    workshop = workshops.get_workshop(db.session, code)
    data = synthesis_data(db.session, aggregates(), workshop, theme_labels())
    page = folium_map(
        atlas().web_geojson,
        {c["code"]: c["count"] for c in data["communes"]},
        data["points"],
        Path(current_app.static_folder) / "vendor",
        f"Atelier {workshop.code} — {workshop.title}",
        credits=f"{CREDITS['attribution']} — {_('Licence')} : {CREDITS['licence']}",
        legend_title=_("Contributions par commune"),
    )
    return Response(
        page,
        mimetype="text/html",
        headers={"Content-Disposition": f'attachment; filename="carte-atelier-{workshop.code}.html"'},
    )
