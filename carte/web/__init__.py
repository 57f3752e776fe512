"""Blueprints, one per area of the product."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from carte.web.api import api
    from carte.web.pages import pages

    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api/v1")
