"""`flask carte backup` and `restore`: a round trip on both backends, consistent while the app writes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, insert, select, update

from carte.extensions import db
from carte.models import DataVersion, Report
from carte.models.accounts import AuditLog
from tests.helpers import BASILIQUE_SAINT_DENIS

pytestmark = pytest.mark.backends


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=["carte", *map(str, args)], **kwargs)


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def sample(app) -> list[tuple]:
    with app.app_context():
        reports = db.session.scalars(select(Report).order_by(Report.public_id)).unique().all()
        return [
            (
                r.public_id,
                r.title,
                r.description,
                [t.tag for t in r.tags],
                r.lon,
                r.lat,
                r.commune_code,
                r.created_at,
                r.comment_count,
                r.support_count,
            )
            for r in reports
        ]


def paris_mobility(client) -> int:
    """What the in-memory report index says (the aggregates read it, not the database)."""
    places = client.get("/api/v1/aggregates/territories?level=commune&theme=mobilite").get_json()["places"]
    return next(p["count"] for p in places if p["code"] == "75056")


@pytest.mark.config(CARTE_MIN_PUBLIC_COUNT=1)
def test_backup_then_restore_brings_every_table_back(app, client, reports, tmp_path):
    first = reports.create(title="Piste cyclable coupée", tags=["vélo"])
    reports.create(
        title="Immeuble insalubre", theme="logement", lon=BASILIQUE_SAINT_DENIS[0], lat=BASILIQUE_SAINT_DENIS[1]
    )
    assert client.post(f"/api/v1/reports/{first['id']}/comments", json={"body": "Je confirme"}).status_code == 201
    assert client.post(f"/api/v1/reports/{first['id']}/vote", json={"kind": "support"}).status_code == 201
    counts, rows = table_counts(app), sample(app)
    listed = sorted(f["id"] for f in client.get("/api/v1/reports").get_json()["features"])
    assert counts["reports"] >= 2 and counts["comments"] == 1 and counts["votes"] == 1

    result = run(app, "backup", tmp_path / "carte.backup")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "carte.backup").stat().st_size > 0 and not (tmp_path / "carte.backup.partial").exists()

    # Afterwards: reports changed and added (the in-memory index follows them), none deleted.
    with app.app_context():
        for report in db.session.scalars(select(Report)).unique():
            report.title = "Changé après la sauvegarde"
        db.session.commit()
    reports.create(title="Nouveau après la sauvegarde")
    assert table_counts(app) != counts and sample(app) != rows
    assert paris_mobility(client) == 2  # the index has the new report

    assert run(app, "restore", tmp_path / "carte.backup", input="n\n").exit_code == 1  # asks first
    result = run(app, "restore", tmp_path / "carte.backup", "--yes")
    assert result.exit_code == 0, result.output
    assert table_counts(app) == counts
    assert sample(app) == rows
    assert sorted(f["id"] for f in client.get("/api/v1/reports").get_json()["features"]) == listed
    assert paris_mobility(client) == 1  # the index reloaded: a restore moves the data generation on


def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path):
    bogus = tmp_path / "bogus.backup"
    bogus.write_bytes(b"not a database at all" * 100)
    before = table_counts(app)
    result = run(app, "restore", bogus, "--yes")
    assert result.exit_code == 1 and "Error" in result.output
    assert table_counts(app) == before


def test_a_backup_taken_while_the_app_writes_is_a_consistent_snapshot(app, tmp_path):
    """Each write transaction bumps the data version and adds one audit row: any consistent copy
    has exactly as many rows as bumps."""
    with app.app_context():
        base = db.session.scalar(select(DataVersion.version).where(DataVersion.name == "reports"))
    stop, ticks = threading.Event(), []

    def writer():
        with app.app_context():
            while not stop.is_set():
                with db.engine.begin() as conn:
                    conn.execute(
                        update(DataVersion).where(DataVersion.name == "reports").values(version=DataVersion.version + 1)
                    )
                    conn.execute(insert(AuditLog).values(action="tick", target_type="test", target_id="x"))
                ticks.append(1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(ticks) < 20:
            stop.wait(0.01)
        result = run(app, "backup", tmp_path / "live.backup")
        assert result.exit_code == 0, result.output
        while len(ticks) < 40:  # writes went on after the backup
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert run(app, "restore", tmp_path / "live.backup", "--yes").exit_code == 0
    with app.app_context():
        version = db.session.scalar(select(DataVersion.version).where(DataVersion.name == "reports"))
        rows = db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "tick"))
    assert 20 <= rows < len(ticks)
    assert version - base == rows


def test_missing_postgresql_tools_give_a_clear_message(app, tmp_path, monkeypatch):
    from carte.storage import backup

    monkeypatch.setattr(backup.shutil, "which", lambda _name: None)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            return  # SpatiaLite needs no external tool
    result = run(app, "backup", tmp_path / "x.backup")
    assert result.exit_code == 1 and "pg_dump introuvable" in result.output


def test_credentials_go_through_the_environment_not_the_command_line(monkeypatch, tmp_path):
    from sqlalchemy import create_engine

    from carte.storage import backup

    calls = []
    monkeypatch.setattr(backup.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        backup.subprocess,
        "run",
        lambda args, env, **kw: calls.append((args, env)) or type("R", (), {"returncode": 0, "stderr": ""})(),
    )
    engine = create_engine("postgresql+psycopg://carte:s3cr%40t@db.example:6543/carte?sslmode=require")
    (tmp_path / "x.partial").write_text("")
    backup.backup(engine, tmp_path / "x")
    ((args, env),) = calls
    assert "s3cr@t" not in " ".join(args) and "carte:" not in " ".join(args)
    assert (env["PGPASSWORD"], env["PGUSER"], env["PGHOST"], env["PGPORT"], env["PGDATABASE"], env["PGSSLMODE"]) == (
        "s3cr@t",
        "carte",
        "db.example",
        "6543",
        "carte",
        "require",
    )
