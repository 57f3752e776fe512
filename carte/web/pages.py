"""HTML pages for residents."""
from flask import Blueprint, current_app, render_template

pages = Blueprint("pages", __name__)


@pages.get("/")
def index():
    return render_template("pages/index.html")


@pages.get("/accessibilite")
def accessibility():
    """The accessibility statement that French public-service websites owe their users (RGAA 4.1)."""
    return render_template("pages/accessibility.html", contact=current_app.config["CARTE_ACCESSIBILITY_CONTACT"])
