"""Bulk loads (generate, import) beside live posts: ids from the database, nothing lost, nothing mixed up."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, text

from carte.extensions import db
from carte.models import Report, ReportTag
from carte.storage import bulk
from carte.storage.versions import current
from tests.helpers import ReportsApi, uniform_points_in_mgp

pytestmark = pytest.mark.backends

ROOT = Path(__file__).resolve().parents[2]
BULK_ROWS = 1200
CHUNK = 200  # six chunks, so that live posts land between them


def bulk_rows(app, n: int, seed: int = 7) -> dict:
    """Columns for insert_reports; each report's tags are derived from its title, to check them afterwards."""
    from datetime import datetime

    from carte.geo.atlas import get_atlas

    lons, lats = uniform_points_in_mgp(app, n, seed)
    with app.app_context():
        atlas = get_atlas(app)
        communes = atlas.commune_locator.locate_many(lons, lats)
        arrondissements = np.where(communes == "75056", atlas.arrondissement_locator.locate_many(lons, lats), None)
    return {
        "lon": lons,
        "lat": lats,
        "commune": communes,
        "arrondissement": arrondissements,
        "theme": ["mobilite"] * n,
        "title": [f"Bulk {i}" for i in range(n)],
        "created_at": [datetime(2026, 5, 1, 12, tzinfo=UTC)] * n,
        "contributor": [f"b{i}" for i in range(n)],
        "tags": [(f"t{i % 7}", f"u{i % 3}") if i % 2 else () for i in range(n)],
    }


def internal_id(session, title: str) -> int:
    """The database id of the report with this title (the API shows public ids only)."""
    session.commit()  # see what other sessions have committed since
    return session.scalar(select(Report.id).where(Report.title == title))


def expected_tags(title: str) -> set[str]:
    i = int(title.split()[1])
    return {f"t{i % 7}", f"u{i % 3}"} if i % 2 else set()


def test_a_bulk_load_while_residents_post_loses_nothing(app, monkeypatch):
    from carte.geo.atlas import get_atlas
    from carte.storage.report_index import ReportIndex

    rows = bulk_rows(app, BULK_ROWS)
    monkeypatch.setattr(bulk, "CHUNK", CHUNK)
    with app.app_context():
        before = current(db.session).version
        index = ReportIndex(sorted(get_atlas(app).communes))
        index.sync(db.session)
        assert len(index) == 0

    first_chunk_done, posts_started = threading.Event(), threading.Event()
    answers: list = []
    outcome: dict = {}

    class Progress:
        """Called after each committed chunk: the first one waits until residents have posted."""

        def update(self, _n):
            if not first_chunk_done.is_set():
                first_chunk_done.set()
                assert posts_started.wait(60)

    def load():
        try:
            with app.app_context():
                outcome["rows"] = bulk.insert_reports(
                    db.session, rows, source="import", source_name="bulk", is_demo=False, progress=Progress()
                )
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            outcome["error"] = err

    def post(count: int):
        api = ReportsApi(app.test_client())  # each request: its own app context and session
        for i in range(count):
            response = api.post(title=f"En direct {len(answers)}", tags=["direct"])
            answers.append(response.status_code)
            if i == 4:
                posts_started.set()

    loader = threading.Thread(target=load)
    loader.start()
    assert first_chunk_done.wait(60)
    poster = threading.Thread(target=post, args=(12,))
    poster.start()
    poster.join(120)
    posts_started.set()  # in case the poster failed before setting it
    loader.join(120)
    assert not loader.is_alive() and not poster.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["rows"] == BULK_ROWS
    assert answers == [201] * 12

    with app.app_context():
        session = db.session
        assert session.scalar(select(func.count()).select_from(Report)) == BULK_ROWS + 12
        bulk_ids = session.scalars(select(Report.id).where(Report.source_name == "bulk")).all()
        live_ids = session.scalars(select(Report.id).where(Report.title.like("En direct %"))).all()
        assert len(bulk_ids) == BULK_ROWS and len(live_ids) == 12
        assert not set(bulk_ids) & set(live_ids)
        # The posts went in between the chunks, so the database numbered later chunks after them.
        assert min(bulk_ids) < min(live_ids) < max(bulk_ids)
        # Tags belong to the report they were given for.
        tags: dict[str, set[str]] = {}
        for title, tag in session.execute(select(Report.title, ReportTag.tag).join(ReportTag)):
            tags.setdefault(title, set()).add(tag)
        for title in session.scalars(select(Report.title).where(Report.source_name == "bulk")):
            assert tags.get(title, set()) == expected_tags(title), title
        assert all(tags[f"En direct {i}"] >= {"direct"} for i in range(12))
        # Every chunk and every post bumped the data version, and the index catches up on it.
        after = current(session).version
        assert after == before + BULK_ROWS // CHUNK + 12
        revisions = session.scalars(select(Report.revision).where(Report.source_name == "bulk").distinct()).all()
        assert len(revisions) == BULK_ROWS // CHUNK and min(revisions) > before
        index.sync(session)
        assert len(index) == BULK_ROWS + 12
        # The next resident's id comes after every bulk id: the database's counter saw them.
        ReportsApi(app.test_client()).create(title="Après")
        assert internal_id(session, "Après") > max(bulk_ids + live_ids)


def test_an_import_after_live_posts_continues_the_ids(app, tmp_path, reports):
    from carte.geo.atlas import get_atlas
    from carte.interop import importer
    from carte.interop.mapping import Mapping

    for i in range(3):
        reports.create(title=f"Avant {i}")
    with app.app_context():
        live = [internal_id(db.session, f"Avant {i}") for i in range(3)]
    lons, lats = uniform_points_in_mgp(app, 5, 11)
    path = tmp_path / "in.csv"
    path.write_text(
        "id,theme,title,lat,lon,tags\n"
        + "".join(f"{i},mobilite,Importé {i},{lat},{lon},x{i}\n" for i, (lon, lat) in enumerate(zip(lons, lats))),
        encoding="utf-8",
    )
    with app.app_context():
        summary = importer.import_file(db.session, get_atlas(app), path, Mapping(), "fichier")
        assert summary.imported == 5
        imported = dict(
            db.session.execute(select(Report.external_id, Report.id).where(Report.source_name == "fichier")).all()
        )
        tags = dict(
            db.session.execute(
                select(ReportTag.report_id, ReportTag.tag).where(ReportTag.report_id.in_(imported.values()))
            ).all()
        )
    assert min(imported.values()) > max(live)
    assert {tags[report_id] for report_id in imported.values()} == {f"x{i}" for i in range(5)}
    assert all(tags[imported[str(i)]] == f"x{i}" for i in range(5))
    reports.create(title="Après")
    with app.app_context():
        assert internal_id(db.session, "Après") > max(imported.values())


def test_bulk_ids_follow_the_database_counter(app, backend, reports):
    """PostgreSQL: the sequence, even when it is ahead of max(id); SQLite: the rowid after the last row."""
    reports.create(title="Avant")
    rows = bulk_rows(app, 300)
    with app.app_context():
        posted = internal_id(db.session, "Avant")
        if backend == "postgis":
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('reports', 'id'), 5000)"))
            db.session.commit()
        bulk.insert_reports(db.session, rows, source="import", source_name="bulk", is_demo=False)
        ids = db.session.scalars(select(Report.id).where(Report.source_name == "bulk").order_by(Report.id)).all()
        if backend == "postgis":
            assert db.session.scalar(text("SELECT last_value FROM reports_id_seq")) == 5300
    start = 5001 if backend == "postgis" else posted + 1
    assert ids == list(range(start, start + 300))


def test_generate_prints_rows_per_second(app):
    result = app.test_cli_runner().invoke(args=["carte", "generate", "--n", "300", "--seed", "5"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Débit : ") and "lignes/s" in last
    assert int(last.split()[2]) > 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 300


def test_import_prints_rows_per_second(app, tmp_path):
    lons, lats = uniform_points_in_mgp(app, 40, 3)
    path = tmp_path / "in.csv"
    path.write_text(
        "id,theme,title,lat,lon\n"
        + "".join(f"{i},mobilite,Signalement {i},{lat},{lon}\n" for i, (lon, lat) in enumerate(zip(lons, lats))),
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["carte", "import", str(path), "--source", "débit"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "Importées : 40" in lines
    assert lines[-1].startswith("Débit : ") and "40 lignes en" in lines[-1] and int(lines[-1].split()[2]) > 0


STARTUP = """
import sys
from carte import create_app
app = create_app("config.TestConfig", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "CARTE_DATA_DIR": sys.argv[1]})
result = app.test_cli_runner().invoke(args=["carte", "--help"])
assert result.exit_code == 0 and "generate" in result.output, result.output
print(sorted(m for m in ("scipy", "sklearn") if m in sys.modules))
from carte import aggregation
aggregation.hotspots  # first use of a statistical function loads what it needs
print(sorted(m for m in ("scipy", "sklearn") if m in sys.modules))
"""


def test_command_line_start_up_loads_neither_scipy_nor_sklearn(data_dir):
    out = subprocess.run(
        [sys.executable, "-c", STARTUP, str(data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    at_start, after_use = out.stdout.strip().splitlines()[-2:]
    assert at_start == "[]"
    assert after_use == "['scipy']"


def report_indexes(session, backend: str) -> set[str]:
    if backend == "postgis":
        return set(session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'reports'")))
    return set(session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reports'")))


def test_a_big_load_rebuilds_the_indexes_it_dropped_even_when_it_fails(app, backend, monkeypatch):
    """SQLite drops the ordinary indexes during a big load; they are all back afterwards, failed or not."""
    rows = bulk_rows(app, 600)
    monkeypatch.setattr(bulk, "CHUNK", 200)
    monkeypatch.setattr(bulk, "SQLITE_REBUILD_MIN_ROWS", 400)
    with app.app_context():
        before = report_indexes(db.session, backend)
        assert "ix_reports_h3_8" in before
        during: list[set[str]] = []

        class Progress:
            def update(self, _n):
                during.append(report_indexes(db.session, backend))

        bulk.insert_reports(db.session, rows, source="import", source_name="big", is_demo=False, progress=Progress())
        assert report_indexes(db.session, backend) == before
        if backend == "spatialite":
            assert all("ix_reports_h3_8" not in names and "ix_reports_created_at" not in names for names in during)
            assert all({n for n in before if n.startswith("sqlite_autoindex")} <= names for names in during)
        else:
            assert during == [before] * 3
        original, calls = bulk.after_bulk_insert, {"n": 0}

        def failing(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")
            return original(*args, **kwargs)

        monkeypatch.setattr(bulk, "after_bulk_insert", failing)
        try:
            bulk.insert_reports(
                db.session, bulk_rows(app, 700, seed=8), source="import", source_name="big2", is_demo=False
            )
        except RuntimeError:
            pass
        else:
            raise AssertionError("the second chunk should have failed")
        assert report_indexes(db.session, backend) == before
        assert db.session.scalar(select(func.count()).select_from(Report).where(Report.source_name == "big2")) == 200
        assert (
            db.session.scalar(text("PRAGMA integrity_check") if backend == "spatialite" else text("SELECT 'ok'"))
            == "ok"
        )


def test_bulk_geometries_are_the_points_and_the_spatial_index_holds_them(app, backend, reports):
    reports.create(title="Avant")
    rows = bulk_rows(app, 500)
    with app.app_context():
        bulk.insert_reports(db.session, rows, source="import", source_name="bulk", is_demo=False)
        s = db.session
        x, y = ("ST_X", "ST_Y") if backend == "postgis" else ("X", "Y")
        assert s.scalar(text(f"SELECT count(*) FROM reports WHERE {x}(geom) = lon AND {y}(geom) = lat")) == 501
        box = (2.25, 48.82, 2.40, 48.90)
        by_columns = s.scalar(
            text("SELECT count(*) FROM reports WHERE lon BETWEEN :a AND :c AND lat BETWEEN :b AND :d"),
            dict(zip("abcd", box)),
        )
        if backend == "postgis":
            by_index = s.scalar(
                text("SELECT count(*) FROM reports WHERE geom && ST_MakeEnvelope(:a, :b, :c, :d, 4326)"),
                dict(zip("abcd", box)),
            )
        else:
            assert s.scalar(text("SELECT count(*) FROM idx_reports_geom")) == 501
            by_index = s.scalar(
                text(
                    "SELECT count(*) FROM reports WHERE rowid IN (SELECT pkid FROM idx_reports_geom "
                    "WHERE xmax >= :a AND xmin <= :c AND ymax >= :b AND ymin <= :d)"
                ),
                dict(zip("abcd", box)),
            )
        assert 0 < by_columns == by_index < 501
