"""/signalements/<id>: one server-rendered page per report, to share (issue 13, « Un lien par signalement »)."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from sqlalchemy import select

from carte.extensions import db
from carte.followup.updates import post_update
from carte.models import Report

NASTY = 'Trottoir "bloqué" <script>alert(1)</script> & l\'école'


def meta(page: str, key: str) -> str | None:
    """The content of <meta property|name=key>, unescaped as a browser would read it."""
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
    return htmllib.unescape(match.group(1)) if match else None


def set_report(app, public_id: str, **fields) -> None:
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).unique().one()
        for name, value in fields.items():
            setattr(report, name, value)
        db.session.commit()


def test_a_published_report_has_its_page_with_open_graph_and_twitter_tags(client, reports):
    report = reports.create(title=NASTY, description="Une voiture garée <b>sur</b> le passage.")
    response = client.get(f"/signalements/{report['id']}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    canonical = f"http://localhost/signalements/{report['id']}"
    assert f'<link rel="canonical" href="{canonical}">' in page
    assert meta(page, "og:url") == canonical
    assert meta(page, "og:title") == NASTY
    assert meta(page, "og:description") == "Une voiture garée <b>sur</b> le passage."
    assert meta(page, "og:type") == "article"
    assert meta(page, "og:locale") == "fr_FR"
    assert "Carte" in meta(page, "og:site_name")
    assert meta(page, "twitter:card") == "summary"
    assert meta(page, "twitter:title") == NASTY
    # The title stays text everywhere: no tag of it reaches the page.
    assert "<script>alert(1)</script>" not in page
    assert "<b>sur</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Tour Eiffel" not in page  # (sanity: the test's point has no name)
    assert "Paris" in page  # the commune
    assert "Mobilité" in page or "mobilit" in page.lower()  # the theme
    assert "Voir sur la carte" in page
    assert f'href="/?signalement={report["id"]}#carte=17/' in page
    assert 'id="report-map"' in page and 'data-lat="' in page


def test_the_public_url_setting_names_the_canonical_address(app, client, reports):
    app.config["CARTE_PUBLIC_URL"] = "https://carte.example.org/"
    rid = reports.create()["id"]
    page = client.get(f"/signalements/{rid}").get_data(as_text=True)
    assert f'<link rel="canonical" href="https://carte.example.org/signalements/{rid}">' in page


def test_the_page_in_english(client, reports):
    rid = reports.create()["id"]
    page = client.get(f"/signalements/{rid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert meta(page, "og:locale") == "en_GB"
    assert "See on the map" in page
    assert "No comments yet" in page or "No comment" in page


@pytest.mark.backends
def test_the_updates_timeline_and_the_comments(app, client, reports):
    rid = reports.create()["id"]
    client.post(f"/api/v1/reports/{rid}/comments", json={"body": "Même chose <i>hier</i> soir."})
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == rid)).unique().one()
        post_update(
            db.session,
            report,
            progress="in_progress",
            text="Intervention prévue <mardi>.",
            body_code="75056",
            author_kind="agent",
        )
    page = client.get(f"/signalements/{rid}").get_data(as_text=True)
    timeline = page.split('id="report-updates"', 1)[1].split("</ol>", 1)[0]
    assert "En cours" in timeline
    assert "Paris" in timeline  # the body's name, never the agent's
    assert "Intervention prévue &lt;mardi&gt;." in timeline
    comments = page.split('id="report-comments"', 1)[1].split("</ol>", 1)[0]
    assert "Même chose &lt;i&gt;hier&lt;/i&gt; soir." in comments
    assert 'id="report-progress">En cours<' in page


def test_a_hidden_report_says_why_without_its_text(app, client, reports):
    rid = reports.create(title="Titre à masquer", description="Texte à masquer")["id"]
    set_report(app, rid, status="hidden", moderation_note="Adresse privée visible")
    response = client.get(f"/signalements/{rid}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Masqué par la modération" in page
    assert "Adresse privée visible" in page
    assert "Titre à masquer" not in page and "Texte à masquer" not in page
    assert meta(page, "og:title") == "Masqué par la modération"
    assert meta(page, "robots") == "noindex"


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_unpublished_reports_are_a_404_page(app, client, reports, status):
    rid = reports.create(title="Pas encore public")["id"]
    set_report(app, rid, status=status)
    response = client.get(f"/signalements/{rid}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Pas encore public" not in page
    assert "Signalement introuvable" in page
    assert 'class="site-header"' in page  # the styled layout, not a bare error


def test_a_withdrawn_report_is_gone(app, client, reports):
    rid = reports.create(title="Retiré par son auteur")["id"]
    set_report(app, rid, status="withdrawn")
    response = client.get(f"/signalements/{rid}")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "Signalement retiré" in page and "Retiré par son auteur" not in page


def test_an_unknown_id_is_a_styled_404(client):
    response = client.get("/signalements/inconnu")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Signalement introuvable" in page and 'class="site-header"' in page
    assert meta(page, "robots") == "noindex"


@pytest.mark.parametrize(
    ("lang", "none", "one", "two"),
    [
        ("fr", "0 soutien", "1 soutien", "2 soutiens"),  # French: 0 takes the singular
        ("en", "0 supports", "1 support", "2 supports"),
    ],
)
def test_support_counts_follow_the_language_plural_rule(app, client, reports, lang, none, one, two):
    rid = reports.create()["id"]
    for count, expected in ((0, none), (1, one), (2, two)):
        set_report(app, rid, support_count=count)
        page = client.get(f"/signalements/{rid}", headers={"Accept-Language": lang}).get_data(as_text=True)
        assert f'id="report-supports">{expected}</p>' in page, (lang, count)
