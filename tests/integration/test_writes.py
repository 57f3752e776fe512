"""The write path of POST /api/v1/reports: cached themes and place names never give a wrong or failed answer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from carte.extensions import db
from carte.models import Report, Theme
from carte.reports.serialize import report_json
from carte.storage.reports import get_report

pytestmark = pytest.mark.backends


def test_the_answer_equals_the_stored_report_read_back(app, reports):
    """The answer is built without reading the row back: it must say what a fresh read says."""
    for point in ((2.2945, 48.8584), (2.3597, 48.9356)):  # Paris 7e (an arrondissement), Saint-Denis (none)
        answer = reports.create(lon=point[0], lat=point[1])
        answer.pop("withdraw_url")
        with app.app_context():
            assert answer == report_json(get_report(db.session, answer["id"]))


def test_a_theme_created_in_this_process_is_accepted_at_once(app, client, reports):
    reports.create()  # fills the theme cache
    with app.app_context():
        db.session.add(Theme(slug="bruit-nocturne", label="Bruit nocturne", color="#AA3300", active=True, position=99))
        db.session.commit()
    answer = reports.create(theme="bruit-nocturne")
    assert answer["theme"] == "bruit-nocturne" and answer["theme_label"] == "Bruit nocturne"


def test_a_theme_deleted_by_another_process_is_refused_not_a_500(app, client, reports):
    with app.app_context():
        db.session.add(Theme(slug="ephemere", label="Éphémère", color="#AA3300", active=True, position=99))
        db.session.commit()
    reports.create()  # this process now caches the theme
    with app.app_context():  # as another worker would: no ORM flush in this process
        db.session.execute(text("DELETE FROM themes WHERE slug = 'ephemere'"))
        db.session.commit()
    answer = reports.post(theme="ephemere")
    assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "theme"
    with app.app_context():
        assert db.session.scalar(select(func.count(Report.id))) == 1
