"""The one use case that writes a report's progress (carte/followup/updates.py), on both backends."""

import pytest
from sqlalchemy import select

from carte.errors import CarteError
from carte.extensions import db
from carte.followup.updates import post_update, updates_of
from carte.models import Report
from carte.models.participation import Vote

pytestmark = pytest.mark.backends


def _report(public_id: str) -> Report:
    return db.session.scalars(select(Report).where(Report.public_id == public_id)).one()


def test_an_update_moves_the_progress_and_reads_back_in_order(app, reports):
    public_id = reports.create()["id"]
    with app.app_context():
        report = _report(public_id)
        assert report.progress == "submitted"
        post_update(
            db.session,
            report,
            progress="acknowledged",
            text="Transmis à la voirie.",
            body_code="93066",
            author_kind="agent",
        )
        post_update(
            db.session,
            report,
            progress="acknowledged",
            text="Intervention prévue mardi.",
            body_code="93066",
            author_kind="agent",
        )
        post_update(db.session, report, progress="fixed", text="", body_code="93066", author_kind="agent")
        report = _report(public_id)
        assert report.progress == "fixed"
        assert [(u.progress, u.text) for u in updates_of(db.session, report)] == [
            ("acknowledged", "Transmis à la voirie."),
            ("acknowledged", "Intervention prévue mardi."),
            ("fixed", ""),
        ]


@pytest.mark.parametrize(
    "progress, text, code",
    [
        ("resolu", "", "invalid_progress"),
        ("submitted", "", "empty_update"),  # no change and nothing said
        ("acknowledged", "<b>\x00</b>", "invalid_characters"),
        ("duplicate", "Même lampadaire.", "required"),  # a duplicate names its original
    ],
)
def test_refused_updates_store_nothing(app, reports, progress, text, code):
    public_id = reports.create()["id"]
    with app.app_context():
        report = _report(public_id)
        with pytest.raises(CarteError) as err:
            post_update(db.session, report, progress=progress, text=text, body_code="93066", author_kind="agent")
        assert err.value.code == code
        db.session.rollback()
        report = _report(public_id)
        assert report.progress == "submitted" and updates_of(db.session, report) == []


def test_a_duplicate_names_its_original_and_moves_its_supports(app, client, reports):
    original, copy = reports.create()["id"], reports.create()["id"]
    voters = [app.test_client() for _ in range(3)]
    for voter in voters:
        assert voter.post(f"/api/v1/reports/{copy}/vote", json={"kind": "support"}).status_code == 201
    # One resident supported both: they count once in the original.
    assert voters[0].post(f"/api/v1/reports/{original}/vote", json={"kind": "support"}).status_code == 201
    with app.app_context():
        post_update(
            db.session,
            _report(copy),
            progress="duplicate",
            text="Déjà signalé.",
            body_code="93066",
            author_kind="agent",
            duplicate_of=original,
        )
        copy_row, original_row = _report(copy), _report(original)
        assert copy_row.duplicate_of_id == original_row.id and copy_row.progress == "duplicate"
        assert (original_row.support_count, copy_row.support_count) == (3, 0)
        assert (
            db.session.scalar(select(db.func.count()).select_from(Vote).where(Vote.report_id == original_row.id)) == 3
        )
    # A duplicate of the duplicate points at the root; the root cannot duplicate its own copy.
    third = reports.create()["id"]
    with app.app_context():
        post_update(
            db.session,
            _report(third),
            progress="duplicate",
            text="",
            body_code="93066",
            author_kind="agent",
            duplicate_of=copy,
        )
        assert _report(third).duplicate_of_id == _report(original).id
        with pytest.raises(CarteError) as err:
            post_update(
                db.session,
                _report(original),
                progress="duplicate",
                text="",
                body_code="93066",
                author_kind="agent",
                duplicate_of=copy,
            )
        assert err.value.code == "invalid_duplicate"
