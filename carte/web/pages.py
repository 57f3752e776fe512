"""HTML pages for residents."""

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import format_datetime, get_locale

from carte.extensions import db
from carte.followup.labels import PROGRESS_LABELS
from carte.followup.updates import updates_of
from carte.geo.atlas import get_atlas
from carte.participation import comments as comments_uc
from carte.storage.reports import get_report
from carte.web.language import ui_lang

pages = Blueprint("pages", __name__)

OG_DESCRIPTION_MAX = 200


@pages.get("/")
def index():
    return render_template("pages/index.html")


@pages.get("/accessibilite")
def accessibility():
    """The accessibility statement that French public-service websites owe their users (RGAA 4.1)."""
    return render_template("pages/accessibility.html", contact=current_app.config["CARTE_ACCESSIBILITY_CONTACT"])


def absolute_url(path: str) -> str:
    """CARTE_PUBLIC_URL (behind a proxy, or for a LAN address) wins over the request's host."""
    base = current_app.config.get("CARTE_PUBLIC_URL")
    if base:
        return base.rstrip("/") + path
    return url_for("pages.index", _external=True).rstrip("/") + path


def _shorten(text: str, limit: int = OG_DESCRIPTION_MAX) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@pages.get("/signalements/<public_id>")
def report_page(public_id: str):
    """One report's own page, to share: 200 when published, 200 without its text when hidden by
    the moderation (like the API), 410 when its author withdrew it, 404 otherwise (unknown,
    awaiting moderation, rejected)."""
    report = get_report(db.session, public_id)
    status = report.status if report is not None else None
    path = url_for("pages.report_page", public_id=public_id)
    context = {"canonical": absolute_url(path), "og_locale": "en_GB" if str(get_locale()) == "en" else "fr_FR"}
    if status == "withdrawn":
        return render_template("pages/report.html", **context, state="withdrawn"), 410
    if status not in ("published", "hidden"):
        return render_template("pages/report.html", **context, state="missing"), 404
    if status == "hidden":
        return render_template("pages/report.html", **context, state="hidden", report=report)
    atlas = get_atlas(current_app)
    bodies = atlas.bodies
    theme_label = report.theme.label_for(ui_lang())
    updates = [
        {
            "at": u.created_at,
            "date": format_datetime(u.created_at, "medium"),
            "progress": u.progress,
            "label": PROGRESS_LABELS.get(u.progress, u.progress),
            "body": (bodies.get(u.body_code).name if u.body_code and bodies.get(u.body_code) else None),
            "text": u.text,
        }
        for u in updates_of(db.session, report)
    ]
    comments = comments_uc.public_comments(db.session, report)
    commune = atlas.communes.get(report.commune_code, {})
    return render_template(
        "pages/report.html",
        **context,
        state="published",
        report=report,
        theme_label=theme_label,
        commune_name=commune.get("nom", report.commune_code),
        created=format_datetime(report.created_at, "long"),
        progress_label=PROGRESS_LABELS.get(report.progress or "submitted"),
        updates=updates,
        comments=[
            {
                "hidden": c.status == "hidden",
                "author": c.author_name,
                "body": c.body,
                "date": format_datetime(c.created_at, "medium"),
                "note": c.moderation_note,
            }
            for c in comments
        ],
        og_description=_shorten(report.description) or _shorten(f"{theme_label} — {commune.get('nom', '')}"),
        map_link=url_for("pages.index", signalement=report.public_id) + f"#carte=17/{report.lat:.5f}/{report.lon:.5f}",
    )
