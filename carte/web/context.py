"""Request-side helpers shared by the blueprints: the atlas, the filter vocabulary, JSON bodies."""
from __future__ import annotations

from flask import current_app, request

from carte.errors import CarteError
from sqlalchemy import select

from carte.extensions import db
from carte.models.workshops import Workshop
from carte.places import Atlas, get_atlas
from carte.reports.filters import ReportFilter, Vocabulary, parse_filter
from carte.storage.reports import active_themes


def atlas() -> Atlas:
    return get_atlas(current_app)


def vocabulary() -> Vocabulary:
    places = atlas().communes.values()
    return Vocabulary(
        themes={t.slug for t in active_themes(db.session)},
        communes={p["code"] for p in places},
        territoires={p["territoire_code"] for p in places},
        departements={p["departement"] for p in places},
        workshops=set(db.session.scalars(select(Workshop.code))),
    )


def request_filter() -> ReportFilter:
    return parse_filter(request.args.to_dict(flat=False), vocabulary())


def json_body() -> object:
    """The decoded JSON body, or a 400/415 CarteError that names what is wrong."""
    if not request.is_json:
        raise CarteError(
            "unsupported_media_type", "Le corps doit être envoyé en application/json.", None, status=415
        )
    data = request.get_json(silent=True)
    if data is None:
        raise CarteError("invalid_json", "Le corps n'est pas un JSON valide.", None, status=400)
    return data
