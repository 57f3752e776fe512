"""The in-memory report index against SQL, on every backend: after inserts, moderation,
withdrawals and deletions; read in chunks; started from a snapshot on disk."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, select, update

from carte.domain import PROGRESS
from carte.extensions import db
from carte.models import DataVersion, Report
from carte.storage import report_index
from carte.storage.report_index import _ANONYMOUS, _COLUMNS, _INDEXED_STATUSES, ReportIndex
from carte.storage.versions import TOKEN, bump
from tests.helpers import insert_points, uniform_points_in_mgp

pytestmark = pytest.mark.backends

THEMES = ["mobilite", "logement", "environnement-nature", "sante-services"]


def add_reports(app, n: int, seed: int) -> None:
    lons, lats = uniform_points_in_mgp(app, n, seed)
    rng = np.random.default_rng(seed)
    # 25 named contributors, and about one report in five with none (imports).
    people = [None if rng.random() < 0.2 else f"person-{rng.integers(25)}" for _ in range(n)]
    insert_points(app, lons, lats, rng.choice(THEMES, n).tolist(), contributors=people)


def sql_rows(session):
    return session.execute(
        select(Report.id, Report.commune_code, Report.status, Report.contributor).order_by(Report.id)
    ).all()


def expected_distinct(rows, statuses=("published",)) -> dict[str, int]:
    """Distinct contributors per commune, straight from SQL rows: a report without one counts alone."""
    seen: dict[str, set] = {}
    for rid, commune, status, contributor in rows:
        if status in statuses:
            seen.setdefault(commune, set()).add(contributor or ("anonymous", rid))
    return {commune: len(people) for commune, people in seen.items()}


def index_distinct(index: ReportIndex, places, statuses=("published",)) -> dict[str, int]:
    groups = places.groups("commune")
    rows = np.flatnonzero(np.isin(index.columns["status"], [_INDEXED_STATUSES.index(s) for s in statuses]))
    counts = index.distinct_contributors(rows, groups.of_commune, len(groups.codes), None, 0)
    return {str(groups.codes[g]): int(v) for g, v in enumerate(counts) if v}


def assert_matches_sql(index: ReportIndex, places, session) -> None:
    rows = sql_rows(session)
    assert index.columns["id"].tolist() == [r[0] for r in rows]
    assert [index.commune_codes[c] for c in index.columns["commune"]] == [r[1] for r in rows]
    assert [_INDEXED_STATUSES[s] for s in index.columns["status"]] == [r[2] for r in rows]
    for statuses in (("published",), ("published", "hidden")):
        assert index_distinct(index, places, statuses) == expected_distinct(rows, statuses)


def test_index_stays_exact_after_inserts_moderation_withdrawals_and_deletions(app, monkeypatch):
    add_reports(app, 400, seed=1)
    with app.app_context():
        service = app.extensions["carte_aggregates"]
        index, places = service.index, service.places
        service.warm(db.session)  # sorted keys exist, so every change below must keep them right
        assert_matches_sql(index, places, db.session)
        assert len(index._sorted_keys) == 8

        def no_full_reload(*_args, **_kwargs):
            raise AssertionError("the index read every report again")

        monkeypatch.setattr(ReportIndex, "_load_all", no_full_reload)

    add_reports(app, 150, seed=2)  # inserts
    with app.app_context():
        index.sync(db.session)
        assert_matches_sql(index, places, db.session)
        ids = index.columns["id"].tolist()
        # Moderation through the ORM (the version is bumped by the flush).
        for rid in ids[:30]:
            db.session.get(Report, rid).status = "hidden"
        db.session.commit()
        index.sync(db.session)
        assert_matches_sql(index, places, db.session)
        # Withdrawals: the rows stay, with a status no filter may ask for.
        for rid in ids[30:45]:
            db.session.get(Report, rid).status = "withdrawn"
        db.session.commit()
        index.sync(db.session)
        assert_matches_sql(index, places, db.session)
        # Deletions as erasure and import removal make them: core DELETE + bump(deleted=True).
        gone = ids[10:20] + ids[100:160] + ids[-5:]
        db.session.execute(delete(Report).where(Report.id.in_(gone)))
        bump(db.session, deleted=True)
        db.session.commit()
        index.sync(db.session)
        assert_matches_sql(index, places, db.session)
        assert not set(gone) & set(index.columns["id"].tolist())
        assert len(index._sorted_keys) == 8  # pruned, not dropped
    add_reports(app, 50, seed=3)  # and the index keeps growing after a deletion
    with app.app_context():
        index.sync(db.session)
        assert_matches_sql(index, places, db.session)


def reference_columns(session, index: ReportIndex) -> dict[str, list]:
    """The columns as the index read them before: one fetchall, one Python value per cell."""
    rows = session.connection().execute(index._statement(session, None)).fetchall()
    cols = list(zip(*rows))
    return {
        "id": list(cols[0]),
        "commune": [index.commune_codes.index(c) for c in cols[1]],
        "theme_id": list(cols[2]),
        "status": [_INDEXED_STATUSES.index(s) for s in cols[3]],
        "created": list(cols[4]),
        "contributor": [c or ("anonymous", i) for c, i in zip(cols[5], cols[0])],
        "h3_7": [int(h, 16) for h in cols[6]],
        "h3_8": [int(h, 16) for h in cols[7]],
        "h3_9": [int(h, 16) for h in cols[8]],
        "lat": list(cols[9]),
        "lon": list(cols[10]),
        "workshop": [w or 0 for w in cols[11]],
        "progress": [PROGRESS.index(p) for p in cols[12]],  # the civic loop's progress, by its rank
    }


def test_chunked_load_gives_the_columns_of_a_single_fetch(app, monkeypatch):
    add_reports(app, 230, seed=4)
    monkeypatch.setattr(report_index, "CHUNK", 17)  # 14 chunks, the last one short
    with app.app_context():
        places = app.extensions["carte_aggregates"].places
        index = ReportIndex(places.code.tolist())
        index.sync(db.session)
        want = reference_columns(db.session, index)
        for name in _COLUMNS:
            if name != "contributor":
                assert index.columns[name].tolist() == want[name], name
        # Contributor codes: the same code exactly when the same contributor.
        pairs = set(zip(index.columns["contributor"].tolist(), want["contributor"]))
        assert len(pairs) == len(set(want["contributor"])) == len(set(index.columns["contributor"].tolist()))
        anonymous = [c for c, w in pairs if isinstance(w, tuple)]
        assert anonymous and all(c >= _ANONYMOUS for c in anonymous)
        # Buffers keep room for new rows, so that appends write in place.
        assert len(index._buffers["id"]) > len(index)


def test_snapshot_is_used_and_follows_the_data_version(app, tmp_path):
    folder = tmp_path / "index"
    add_reports(app, 200, seed=5)
    with app.app_context():
        places = app.extensions["carte_aggregates"].places
        codes = places.code.tolist()
        first = ReportIndex(codes, folder)
        first.sync(db.session)
        assert first.loaded_from == "database"
        [snapshot] = [p for p in folder.iterdir() if not p.name.startswith(".")]

        second = ReportIndex(codes, folder)
        second.sync(db.session)
        assert second.loaded_from == "snapshot"
        assert isinstance(second.columns["id"], np.memmap)
        for name in _COLUMNS:
            assert second.columns[name].tolist() == first.columns[name].tolist()
        assert_matches_sql(second, places, db.session)

        # Moderation on a mapped snapshot copies the page, never writes the file.
        rid = int(second.columns["id"][0])
        db.session.get(Report, rid).status = "hidden"
        db.session.commit()
        second.sync(db.session)
        assert_matches_sql(second, places, db.session)
        on_disk = np.load(snapshot / "status.npy")
        assert _INDEXED_STATUSES[on_disk[0]] == "published"

    # New data version: a new process starts from the old snapshot and catches up.
    add_reports(app, 40, seed=6)
    with app.app_context():
        rows = sql_rows(db.session)
        db.session.execute(delete(Report).where(Report.id.in_([rows[1][0], rows[-1][0]])))
        bump(db.session, deleted=True)
        db.session.commit()
        third = ReportIndex(codes, folder)
        third.sync(db.session)
        assert third.loaded_from == "snapshot"
        assert_matches_sql(third, places, db.session)

        # A restore moves the generation: snapshots of the old one are not used.
        db.session.execute(update(DataVersion).values(generation=DataVersion.generation + 1))
        db.session.commit()
        third.sync(db.session)  # a running process reads everything again
        assert third.loaded_from == "database"
        assert_matches_sql(third, places, db.session)
        fourth = ReportIndex(codes, folder)  # and a new one starts from the new generation's snapshot
        fourth.sync(db.session)
        assert fourth.loaded_from == "snapshot"
        assert_matches_sql(fourth, places, db.session)

        # A database rebuilt from scratch has another token: its snapshots are not ours.
        assert any(folder.iterdir())
        db.session.execute(update(DataVersion).where(DataVersion.name == TOKEN).values(version=DataVersion.version + 1))
        db.session.commit()
        fifth = ReportIndex(codes, folder)
        fifth.sync(db.session)
        assert fifth.loaded_from == "database"
