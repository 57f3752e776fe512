"""Workshop pages: the participants' page (/a/<code>), its submission API, the projection view
and its Server-Sent Events stream (/atelier/<code>/...)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_limiter.util import get_remote_address

from carte.extensions import db, limiter
from carte.storage.reports import active_themes
from carte.web.access import role_required
from carte.web.aggregates import service as aggregates
from carte.web.context import atlas, created_report_response, json_body, premoderation
from carte.web.contributors import contributor_id, remember_contributor, signed_contributor_id
from carte.web.idempotency import idempotent
from carte.web.language import ui_lang
from carte.workshops import projection as live
from carte.workshops.codes import LENGTH
from carte.workshops.qr import qr_png, qr_svg
from carte.workshops.service import find_workshop, get_workshop, submit_report

workshop_pages = Blueprint("workshop", __name__)


def join_url(code: str) -> str:
    """The address the QR code carries. CARTE_PUBLIC_URL (e.g. http://192.168.1.20:5000) wins over
    the address the facilitator typed: phones cannot reach a laptop's 127.0.0.1."""
    base = current_app.config["CARTE_PUBLIC_URL"]
    if base:
        return base.rstrip("/") + url_for("workshop.join", code=code)
    return url_for("workshop.join", code=code, _external=True)


def reachable_from_phones(url: str) -> bool:
    return urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1")


def theme_labels() -> dict[str, str]:
    lang = ui_lang()
    return {t.slug: t.label_for(lang) for t in active_themes(db.session)}


def _device_key() -> str:
    """Per device, not per IP, since a whole room shares the venue's Wi-Fi address. The device is the
    contributor id this server signed (a client cannot make one up), with the address; without a valid
    one, the request counts against the address alone."""
    address = get_remote_address()
    device = signed_contributor_id(request)
    return f"device|{address}|{device}" if device else f"device|{address}"


def _room_limit() -> str:
    """Per address, sized for a whole room: fresh signed ids from the join page do not escape it."""
    return current_app.config["CARTE_WORKSHOP_ROOM_RATE_LIMIT"]


def _code_form(typed: str = "", *, unknown: bool = False):
    """The page where a participant types the six characters read aloud or projected.

    An unknown code answers 404 with the form again and what to check, not a bare error page.
    """
    status = 404 if unknown else 200
    return render_template("workshop/code.html", typed=typed, unknown=unknown, length=LENGTH), status


@workshop_pages.get("/a", strict_slashes=False)
def enter_code():
    typed = request.args.get("code", "")
    if not typed.strip():
        return _code_form()
    workshop = find_workshop(db.session, typed)
    if workshop is None:
        return _code_form(typed, unknown=True)
    return redirect(url_for("workshop.join", code=workshop.code), 303)


@workshop_pages.get("/a/<code>")
def join(code: str):
    workshop = find_workshop(db.session, code)
    if workshop is None:
        return _code_form(code, unknown=True)
    themes = [t for t in active_themes(db.session) if not workshop.theme_slugs or t.slug in workshop.theme_slugs]
    communes = sorted(atlas().communes.values(), key=lambda c: c["nom"])
    if workshop.territoire_code:
        communes = [c for c in communes if c["territoire_code"] == workshop.territoire_code]
    response = Response(
        render_template(
            "workshop/join.html",
            workshop=workshop,
            themes=themes,
            communes=communes,
        )
    )
    remember_contributor(response, contributor_id(request))  # the device key of the rate limit
    return response


@workshop_pages.post("/api/v1/ateliers/<code>/signalements")
@limiter.limit(lambda: current_app.config["CARTE_WORKSHOP_RATE_LIMIT"], key_func=_device_key)
@limiter.limit(_room_limit, key_func=get_remote_address)
@idempotent
def submit(code: str):
    workshop = get_workshop(db.session, code)
    data = json_body()
    contributor = contributor_id(request)
    report = submit_report(db.session, atlas(), workshop, data, contributor=contributor, premoderation=premoderation())
    return created_report_response(report, contributor)


@workshop_pages.get("/atelier/<code>/qr.<kind>")
def qr(code: str, kind: str):
    workshop = get_workshop(db.session, code)
    if kind == "png":
        body, mimetype = qr_png(join_url(workshop.code)), "image/png"
    elif kind == "svg":
        body, mimetype = qr_svg(join_url(workshop.code)), "image/svg+xml"
    else:
        return Response(status=404)
    response = Response(body, mimetype=mimetype)
    if request.args.get("telecharger"):
        response.headers["Content-Disposition"] = f'attachment; filename="atelier-{workshop.code}.{kind}"'
    return response


@workshop_pages.get("/atelier/<code>/projection")
@role_required("facilitator")
def projection(code: str):
    workshop = get_workshop(db.session, code)
    return render_template("workshop/projection.html", workshop=workshop, join_url=join_url(workshop.code))


@workshop_pages.get("/api/v1/ateliers/<code>/etat")
@role_required("facilitator")
def state(code: str):
    workshop = get_workshop(db.session, code)
    return jsonify(live.snapshot(db.session, aggregates(), workshop, theme_labels()))


@workshop_pages.get("/atelier/<code>/flux")
@role_required("facilitator")
def stream(code: str):
    workshop = get_workshop(db.session, code)
    workshop_id, service, labels = workshop.id, aggregates(), theme_labels()

    def build(session):
        fresh = get_workshop(session, code)
        return live.snapshot(session, service, fresh, labels)

    db.session.close()
    events = live.stream(lambda: db.session, build, workshop_id)
    return Response(
        stream_with_context(events),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@workshop_pages.get("/api/v1/ateliers/<code>/comparaison")
@role_required("facilitator")
def comparison(code: str):
    """The workshop's themes beside the metropolitan shared-needs ranking (every published report)."""
    from carte.domain import ReportFilter

    workshop = get_workshop(db.session, code)
    labels = theme_labels()
    snap = live.snapshot(db.session, aggregates(), workshop, labels)
    metro = aggregates().shared_needs(db.session, ReportFilter(), exact=True)
    return jsonify(
        {
            "workshop": snap["ranking"],
            "metropole": [
                {
                    "theme": t["theme"],
                    "label": labels.get(t["theme"], t["theme"]),
                    "rank": t["rank"],
                    "score": t["score"],
                    "metropolitan": t["metropolitan"],
                    "sentence": t["sentence"],
                }
                for t in metro["themes"]
            ],
        }
    )
