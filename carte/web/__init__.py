"""Blueprints, one per area of the product."""

from flask import Flask, current_app
from flask_babel import get_locale, lazy_gettext

from carte.web.language import plural_forms

# One credit line for the data sources, shown on every map and in the page footers.
DATA_CREDITS = lazy_gettext(
    "Limites communales : IGN (Licence Ouverte) ; arrondissements et signalements DansMaRue : "
    "Ville de Paris (ODbL) ; découpage administratif : Etalab (MIT)"
)


def page_settings() -> dict:
    """What every page needs: its language and the map's background tiles (empty: none)."""
    return {
        "lang": str(get_locale() or "fr"),
        "tile_url": current_app.config["CARTE_TILE_URL"],
        "tile_attribution": current_app.config["CARTE_TILE_ATTRIBUTION"],
    }


def register_blueprints(app: Flask) -> None:
    from carte.web.aggregates import aggregates_api
    from carte.web.alerts import alerts
    from carte.web.api import api
    from carte.web.audit import audit
    from carte.web.auth import auth
    from carte.web.boundary import init_boundary
    from carte.web.dashboard import dashboard
    from carte.web.erasure import erasure
    from carte.web.feeds import feeds
    from carte.web.followup import followup
    from carte.web.language import language
    from carte.web.moderation import moderation
    from carte.web.open311 import open311
    from carte.web.openapi import openapi
    from carte.web.pages import pages
    from carte.web.participation import media, participation
    from carte.web.themes import themes
    from carte.web.withdrawal import withdrawal
    from carte.web.workshop import workshop_pages
    from carte.web.workshop_admin import workshop_admin

    init_boundary(app)  # before the blueprints' own hooks: no NUL reaches them
    app.jinja_env.globals["DATA_CREDITS"] = DATA_CREDITS
    app.jinja_env.globals["plural_forms"] = plural_forms
    app.context_processor(page_settings)
    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(aggregates_api, url_prefix="/api/v1/aggregates")
    app.register_blueprint(participation, url_prefix="/api/v1")
    app.register_blueprint(media)
    app.register_blueprint(withdrawal)  # DELETE /api/v1/reports|comments/<id>, /retrait/<token>
    app.register_blueprint(auth)
    app.register_blueprint(language)
    app.register_blueprint(moderation)  # /animation/moderation
    app.register_blueprint(audit)  # /animation/journal (admins)
    app.register_blueprint(themes)  # /animation/themes (admins)
    app.register_blueprint(erasure)  # /animation/effacement (admins)
    app.register_blueprint(dashboard)  # /animation, exports, open aggregates
    app.register_blueprint(workshop_admin)  # /animation/ateliers...: create, close, synthesis
    app.register_blueprint(workshop_pages)  # /a/<code>, /atelier/<code>/..., /api/v1/ateliers/...
    app.register_blueprint(alerts)  # POST /api/v1/alerts, /alertes/confirmer|desabonnement/<token>
    app.register_blueprint(feeds)  # /flux/signalements.atom, /flux/signalements/<id>.atom
    app.register_blueprint(followup)  # /animation/suivi..., /api/v1/reports/<id>/follow|resolution
    app.register_blueprint(open311, url_prefix="/open311/v2")
    app.register_blueprint(openapi, url_prefix="/api/v1")  # documents the routes above
