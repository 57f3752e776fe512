"""HTML pages for residents."""
from flask import Blueprint, render_template

pages = Blueprint("pages", __name__)


@pages.get("/")
def index():
    return render_template("pages/index.html")
