"""Atom feeds (RFC 4287): the newest public reports under the same filters as /api/v1/reports, and
one report's updates. Built with ElementTree, so every text is escaped; contents are type="text"."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, request, url_for
from flask_babel import get_locale, gettext as _

from carte.alerts.messages import absolute, report_url
from carte.alerts.sending import place_names, theme_labels
from carte.errors import CarteError
from carte.extensions import db
from carte.followup.labels import PROGRESS_LABELS
from carte.followup.updates import updates_of
from carte.storage.reports import find_reports, get_report
from carte.web.context import atlas, request_filter

feeds = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
FEED_MAX = 100
MIME = "application/atom+xml; charset=utf-8"
AUTHOR = "Carte — Métropole du Grand Paris"


def _date(value: datetime | None) -> str:
    value = (value or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC)
    return value.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _feed(title: str, self_url: str, alternate: str, updated: datetime | None) -> ET.Element:
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": str(get_locale() or "fr")})
    _sub(feed, "id", self_url)
    _sub(feed, "title", title)
    _sub(feed, "updated", _date(updated))
    author = _sub(feed, "author")
    _sub(author, "name", AUTHOR)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=alternate)
    _sub(feed, "generator", "Carte")
    return feed


def _entry(
    feed: ET.Element,
    *,
    id_: str,
    title: str,
    updated: datetime | None,
    published: datetime | None,
    link: str,
    text: str,
    category: str | None = None,
) -> None:
    entry = _sub(feed, "entry")
    _sub(entry, "id", id_)
    _sub(entry, "title", title, type="text")
    _sub(entry, "updated", _date(updated))
    if published is not None:
        _sub(entry, "published", _date(published))
    _sub(entry, "link", rel="alternate", type="text/html", href=link)
    if category:
        _sub(entry, "category", term=category)
    _sub(entry, "content", text, type="text")


def _answer(feed: ET.Element) -> Response:
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype="application/atom+xml")
    response.content_type = MIME
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@feeds.get("/flux/signalements.atom")
def reports_feed():
    """The newest public reports (at most FEED_MAX) under the filters of /api/v1/reports."""
    flt = request_filter()
    asked = request.args.get("limit")
    flt = replace(flt, limit=min(flt.limit, FEED_MAX) if asked else FEED_MAX)
    rows, _next = find_reports(db.session, flt)
    lang = str(get_locale() or "fr")
    labels = theme_labels(db.session, lang)
    names = place_names()
    query = request.query_string.decode("utf-8", "replace")
    self_url = absolute(url_for("feeds.reports_feed") + (f"?{query}" if query else ""))
    updated = max(((r.updated_at or r.created_at) for r in rows), default=None)
    feed = _feed(_("Carte : signalements récents"), self_url, absolute(url_for("pages.index")), updated)
    for report in rows:
        theme = labels.get(report.theme.slug, report.theme.label)
        progress = str(PROGRESS_LABELS.get(report.progress, report.progress))
        lines = [f"{theme} — {names.get(report.commune_code, report.commune_code)} — {progress}"]
        if report.description:
            lines += ["", report.description]
        _entry(
            feed,
            id_=report_url(report.public_id),
            title=report.title,
            updated=report.updated_at or report.created_at,
            published=report.created_at,
            link=report_url(report.public_id),
            text="\n".join(lines),
            category=report.theme.slug,
        )
    return _answer(feed)


@feeds.get("/flux/signalements/<public_id>.atom")
def report_feed(public_id: str):
    """One public report's updates, newest first, after the entry of its filing."""
    report = get_report(db.session, public_id[:40])
    if report is None or report.status != "published":
        raise CarteError("not_found", "Signalement introuvable.", "id", status=404)
    bodies = atlas().bodies
    updates = updates_of(db.session, report)
    url = report_url(report.public_id)
    updated = max([report.created_at] + [u.created_at for u in updates])
    self_url = absolute(url_for("feeds.report_feed", public_id=report.public_id))
    feed = _feed(_("Carte : suivi de « %(title)s »", title=report.title), self_url, url, updated)
    for update in reversed(updates):
        body = bodies.get(update.body_code)
        progress = str(PROGRESS_LABELS.get(update.progress, update.progress))
        title = f"{progress} — {body.name}" if body else progress
        _entry(
            feed,
            id_=f"{url}#maj-{update.id}",
            title=title,
            updated=update.created_at,
            published=update.created_at,
            link=url,
            text=update.text or progress,
            category=update.progress,
        )
    _entry(
        feed,
        id_=url,
        title=_("Signalement déposé : %(title)s", title=report.title),
        updated=report.created_at,
        published=report.created_at,
        link=url,
        text=report.description or report.title,
    )
    return _answer(feed)
