"""Blueprints, one per area of the product."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from carte.web.aggregates import aggregates_api
    from carte.web.api import api
    from carte.web.pages import pages

    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(aggregates_api, url_prefix="/api/v1/aggregates")
    from carte.web.auth import auth

    app.register_blueprint(auth)
    from carte.web.open311 import open311

    app.register_blueprint(open311, url_prefix="/open311/v2")
    from carte.web.participation import media, participation

    app.register_blueprint(participation, url_prefix="/api/v1")
    app.register_blueprint(media)
    from carte.web.dashboard import dashboard
    from carte.web.workshop import workshop_pages

    app.register_blueprint(dashboard)  # /animation, exports, open aggregates
    app.register_blueprint(workshop_pages)  # /a/<code>, /atelier/<code>/..., /api/v1/ateliers/...
    from carte.web.language import language
    from carte.web.moderation import moderation

    app.register_blueprint(language)
    app.register_blueprint(moderation)
    from carte.web.openapi import openapi

    app.register_blueprint(openapi, url_prefix="/api/v1")
