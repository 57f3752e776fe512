"""HTML pages for residents."""
from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

pages = Blueprint("pages", __name__)


@pages.get("/")
def index():
    return render_template(
        "pages/index.html",
        tile_url=current_app.config["CARTE_TILE_URL"],
        tile_attribution=current_app.config["CARTE_TILE_ATTRIBUTION"],
        lang=str(get_locale()),
    )
