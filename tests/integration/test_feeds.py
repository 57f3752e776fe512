"""Atom feeds: valid RFC 4287 (the RELAX NG schema of its appendix B, through lxml, plus the rules
the schema cannot say), read by feedparser, with the filters of /api/v1/reports, and one report's updates."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from lxml import etree
from sqlalchemy import select, update

from carte.extensions import db
from carte.models import Report
from tests.helpers import BASILIQUE_SAINT_DENIS

pytestmark = pytest.mark.backends

ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).resolve().parent.parent / "data" / "atom.rng")))


def valid_atom(body: bytes) -> etree._Element:
    """Parse, validate against the RFC 4287 schema, and check the appendix's Schematron rules."""
    root = etree.fromstring(body)
    assert SCHEMA.validate(root), SCHEMA.error_log
    entries = root.findall(f"{ATOM}entry")
    if root.find(f"{ATOM}author") is None:
        assert all(e.find(f"{ATOM}author") is not None for e in entries), "an author on the feed or on every entry"
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in entries:
        if entry.find(f"{ATOM}content") is None:
            assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    assert len(set(e.findtext(f"{ATOM}id") for e in entries)) == len(entries), "entry ids are unique"
    return root


def test_the_schema_refuses_what_rfc_4287_refuses():
    """The hand-written .rng is a real validator: a feed without id, or with a wrong date, fails."""
    no_id = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><updated>2026-01-01T00:00:00Z</updated></feed>'
    bad_date = b'<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>t</title><updated>hier</updated></feed>'
    entry_without_title = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>t</title>'
        b"<updated>2026-01-01T00:00:00Z</updated><entry><id>urn:y</id>"
        b"<updated>2026-01-01T00:00:00Z</updated></entry></feed>"
    )
    for body in (no_id, bad_date, entry_without_title):
        assert not SCHEMA.validate(etree.fromstring(body))


def test_reports_feed_is_valid_atom_with_the_newest_reports(app, client, reports):
    first = reports.create(title="Trottoir <cassé> & glissant", description="Depuis lundi.\nDangereux.")
    second = reports.create(title="Deuxième")
    response = client.get("/flux/signalements.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = valid_atom(response.data)
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Deuxième", "Trottoir <cassé> & glissant"]  # newest first
    link = entries[1].find(f"{ATOM}link[@rel='alternate']").get("href")
    assert link.endswith(f"/signalements/{first['id']}")
    content = entries[1].find(f"{ATOM}content")
    assert content.get("type") == "text" and "Dangereux." in content.text
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["Deuxième", "Trottoir <cassé> & glissant"]
    assert parsed.entries[0].link.endswith(f"/signalements/{second['id']}")
    assert parsed.feed.links[0].rel in ("self", "alternate")


def test_reports_feed_takes_the_filters_of_the_api(app, client, reports):
    lon, lat = BASILIQUE_SAINT_DENIS
    reports.create(title="Vélo à Saint-Denis", lon=lon, lat=lat)
    reports.create(title="Logement à Saint-Denis", theme="logement", lon=lon, lat=lat)
    reports.create(title="Vélo à Paris")
    hidden = reports.create(title="Masqué", lon=lon, lat=lat)
    with app.app_context():
        db.session.execute(update(Report).where(Report.public_id == hidden["id"]).values(status="hidden"))
        db.session.commit()
    for query, expected in [
        ("commune=93066&theme=mobilite", ["Vélo à Saint-Denis"]),
        ("territoire=200057867", ["Logement à Saint-Denis", "Vélo à Saint-Denis"]),
        (f"bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}", ["Logement à Saint-Denis", "Vélo à Saint-Denis"]),
        ("limit=1", ["Vélo à Paris"]),
    ]:
        response = client.get(f"/flux/signalements.atom?{query}")
        root = valid_atom(response.data)
        assert [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")] == expected, query
        api = client.get(f"/api/v1/reports?{query}").get_json()
        assert [f["properties"]["title"] for f in api["features"]] == expected, query
        assert root.find(f"{ATOM}link[@rel='self']").get("href").endswith(f"/flux/signalements.atom?{query}")


def test_an_empty_feed_is_valid_and_wrong_filters_are_json_errors(app, client):
    valid_atom(client.get("/flux/signalements.atom?commune=93066").data)
    wrong = client.get("/flux/signalements.atom?theme=inconnu", headers={"Accept": "application/json"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["field"] == "theme"


def test_the_feed_keeps_at_most_100_entries(app, client, reports):
    for n in range(105):
        reports.create(title=f"Signalement {n}")
    root = valid_atom(client.get("/flux/signalements.atom").data)
    assert len(root.findall(f"{ATOM}entry")) == 100
    assert len(valid_atom(client.get("/flux/signalements.atom?limit=500").data).findall(f"{ATOM}entry")) == 100


def test_one_reports_feed_lists_its_updates_newest_first(app, client, reports):
    from carte.followup.updates import post_update

    report = reports.create(title="Nid-de-poule")
    with app.app_context():
        row = db.session.scalars(select(Report).where(Report.public_id == report["id"])).unique().one()
        post_update(
            db.session,
            row,
            progress="acknowledged",
            text="Vu par nos services.",
            body_code="75056",
            author_kind="agent",
        )
        post_update(
            db.session, row, progress="fixed", text="Rebouché <ce matin>.", body_code="75056", author_kind="agent"
        )
    response = client.get(f"/flux/signalements/{report['id']}.atom")
    assert response.status_code == 200
    root = valid_atom(response.data)
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Résolu — Paris", "Pris en compte — Paris", "Signalement déposé : Nid-de-poule"]
    assert root.findall(f"{ATOM}entry")[0].findtext(f"{ATOM}content") == "Rebouché <ce matin>."
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo and len(parsed.entries) == 3
    english = client.get(f"/flux/signalements/{report['id']}.atom?lang=en")
    assert valid_atom(english.data).findall(f"{ATOM}entry")[0].findtext(f"{ATOM}title") == "Fixed — Paris"


@pytest.mark.parametrize("status", ["hidden", "withdrawn"])
def test_a_report_that_is_not_public_has_no_feed(app, client, reports, status):
    report = reports.create()
    with app.app_context():
        db.session.execute(update(Report).where(Report.public_id == report["id"]).values(status=status))
        db.session.commit()
    assert client.get(f"/flux/signalements/{report['id']}.atom").status_code == 404
    assert client.get("/flux/signalements/inconnu.atom").status_code == 404


def test_the_map_page_links_the_feed(client):
    html = client.get("/").get_data(as_text=True)
    assert 'rel="alternate" type="application/atom+xml"' in html
    assert 'href="/flux/signalements.atom"' in html
