"""/api/v1/aggregates: thin routes over `carte.aggregation_service`.

Every route takes the same filter parameters as /api/v1/reports. Public figures hide
counts below CARTE_MIN_PUBLIC_COUNT. Facilitators (logged in) may also ask `exact=1`
for unrounded figures and `status=` for pending or hidden reports.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _

from carte.aggregation import LEVELS
from carte.aggregation.inputs import COUNT_UNITS, SIMILAR_LEVELS
from carte.aggregation_service import STORED_RESOLUTIONS, Aggregates
from carte.domain import ReportFilter
from carte.errors import CarteError
from carte.extensions import db
from carte.storage.report_index import STATUSES
from carte.web.access import ensure_role
from carte.web.context import request_filter

aggregates_api = Blueprint("aggregates", __name__)


def service() -> Aggregates:
    """The app's one service, built by create_app (`carte.aggregation_service.install`)."""
    return current_app.extensions["carte_aggregates"]


def facilitator_view() -> tuple[ReportFilter, bool]:
    """The request's filter and whether figures are exact; both extras are for facilitators only."""
    flt = request_filter()
    exact = request.args.get("exact", "") in ("1", "true", "oui")
    statuses = tuple(
        dict.fromkeys(s.strip() for raw in request.args.getlist("status") for s in raw.split(",") if s.strip())
    )
    if not (exact or statuses):
        return flt, False
    ensure_role("facilitator", field="exact" if exact else "status")
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise CarteError(
            "unknown_status", "Statut inconnu : %(values)s.", "status", params={"values": ", ".join(unknown[:5])}
        )
    return (replace(flt, statuses=statuses) if statuses else flt), exact


def _choice(name: str, allowed, default):
    value = request.args.get(name, default)
    if value not in allowed:
        raise CarteError(
            "invalid_choice", "Valeur attendue : %(values)s.", name, params={"values": ", ".join(map(str, allowed))}
        )
    return value


def _number(name: str, default: float, low: float, high: float) -> float:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise CarteError("invalid_number", "Nombre attendu.", name) from None
    if not low <= value <= high:
        raise CarteError(
            "out_of_range",
            "Valeur attendue entre %(low)s et %(high)s.",
            name,
            params={"low": format(low, "g"), "high": format(high, "g")},
        )
    return value


@aggregates_api.get("/territories")
def territories():
    level = _choice("level", LEVELS, "commune")
    count_unit = _choice("count", COUNT_UNITS, "reports")
    flt, exact = facilitator_view()
    return jsonify(service().territories(db.session, flt, level, exact=exact, count_unit=count_unit))


@aggregates_api.get("/similar-places")
def similar_places():
    """The places of a level whose needs look like CODE's, or like a workshop room's (`workshop=`)."""
    level = _choice("level", SIMILAR_LEVELS, "commune")
    count_unit = _choice("count", COUNT_UNITS, "reports")
    code = (request.args.get("code") or "").strip()
    flt, exact = facilitator_view()
    if not code and flt.workshop:
        return jsonify(service().workshop_similar_places(db.session, flt, level, exact=exact))
    if not code:
        raise CarteError("missing_code", "Indiquez le code d'une commune ou d'un territoire.", "code")
    return jsonify(service().similar_places(db.session, flt, code, level, exact=exact, count_unit=count_unit))


def passerelle_sentences() -> tuple[dict[str, str], str]:
    """The sentence templates in the request's language ({a}, {b}, {themes} are filled by the service)."""
    return {
        "commune": _("{a} et {b}, dans deux territoires différents, signalent toutes deux plus que prévu : {themes}."),
        "territoire": _(
            "{a} et {b}, dans deux départements différents, signalent tous deux plus que prévu : {themes}."
        ),
    }, _(" ; ")


@aggregates_api.get("/passerelles")
def passerelles():
    level = _choice("level", SIMILAR_LEVELS, "commune")
    count_unit = _choice("count", COUNT_UNITS, "reports")
    flt, exact = facilitator_view()
    sentences, separator = passerelle_sentences()
    return jsonify(
        service().passerelles(db.session, flt, level, sentences, separator, exact=exact, count_unit=count_unit)
    )


@aggregates_api.get("/shared-needs")
def shared_needs():
    flt, exact = facilitator_view()
    return jsonify(service().shared_needs(db.session, flt, exact=exact))


@aggregates_api.get("/hotspots")
def hotspots():
    resolution = request.args.get("resolution")
    if resolution is not None:
        resolution = int(_choice("resolution", [str(r) for r in STORED_RESOLUTIONS], None))
    flt, exact = facilitator_view()
    result = service().hotspots(db.session, flt, resolution, exact=exact)
    return jsonify(result), 200, {"Content-Type": "application/geo+json"}


@aggregates_api.get("/issue-groups")
def issue_groups():
    flt, exact = facilitator_view()
    return jsonify(service().issue_groups(db.session, flt, exact=exact))


@aggregates_api.get("/heatmap")
def heatmap():
    zoom = _number("zoom", 11, 0, 22)
    flt, exact = facilitator_view()
    return jsonify(service().heatmap(db.session, flt, zoom, exact=exact))
