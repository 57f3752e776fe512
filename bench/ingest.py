"""Benchmark: `carte generate` and `carte import` against a raw insert of the same rows (the physical limit).

Run from the repository root (the PostgreSQL database is emptied: give one of your own):
    .venv/bin/python bench/ingest.py --n 200000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/carte_bench_ingest

For each backend, in the same run:
- raw: the prepared rows (ids, public ids, H3 cells, converted values: all computed before the clock
  starts) written into `reports_raw`, a table with the columns and indexes of `reports`, in chunks of
  20,000 rows, one transaction each: plain `executemany` on SpatiaLite (its geometry triggers and
  R*Tree included, as for any insert), `COPY` on PostGIS. This is what the database itself costs.
- generate: `carte.storage.bulk.insert_reports` on the generator's rows into an empty `reports` (the
  writing part of `flask carte generate`); the generation itself is timed apart.
- import: `carte.interop.importer.import_file` of a CSV holding the same rows (what `flask carte
  import` runs: reading, checking, locating each point, writing).
Each figure is printed with os.getloadavg(); ratios are to raw in the same run.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import sys
import tempfile
import time
from itertools import repeat
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from carte import create_app  # noqa: E402
from carte.extensions import db  # noqa: E402
from carte.models import Report, Theme  # noqa: E402
from carte.storage import (
    bulk,  # noqa: E402
    engine as backend,  # noqa: E402
)
from carte.storage.setup import prepare_database  # noqa: E402


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def make_app(url: str):
    return create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": url})


def empty_reports(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("TRUNCATE reports, report_tags RESTART IDENTITY CASCADE"))
        else:
            db.session.execute(text("DELETE FROM report_tags"))
            db.session.execute(text("DELETE FROM reports"))
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("VACUUM"))


def create_raw_table(app) -> None:
    """`reports_raw`: the columns, constraints and indexes of `reports` (and its spatial index)."""
    with app.app_context():
        s = db.session
        if db.engine.dialect.name == "postgresql":
            s.execute(text("DROP TABLE IF EXISTS reports_raw"))
            s.execute(text("CREATE TABLE reports_raw (LIKE reports INCLUDING ALL)"))
        else:
            if s.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'reports_raw'")).first():
                s.execute(text("SELECT DisableSpatialIndex('reports_raw', 'geom')"))
                s.execute(text("DROP TABLE IF EXISTS idx_reports_raw_geom"))
                s.execute(text("SELECT DiscardGeometryColumn('reports_raw', 'geom')"))
                s.execute(text("DROP TABLE reports_raw"))
            ddl = s.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'reports'"))
            s.execute(text(ddl.replace("CREATE TABLE reports", "CREATE TABLE reports_raw", 1)))
            for (sql,) in s.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reports' AND sql IS NOT NULL")
            ).all():
                s.execute(
                    text(
                        sql.replace(" ON reports ", " ON reports_raw ").replace("INDEX ix_reports", "INDEX ixr_reports")
                    )
                )
            s.execute(text("SELECT RecoverGeometryColumn('reports_raw', 'geom', 4326, 'POINT', 'XY')"))
            s.execute(text("SELECT CreateSpatialIndex('reports_raw', 'geom')"))
        s.commit()


def raw_insert(app, data: dict) -> float:
    """Seconds to write the prepared rows into reports_raw, chunk by chunk; preparation is not timed."""
    with app.app_context():
        dialect = db.engine.dialect
        theme_ids = dict(db.session.execute(select(Theme.slug, Theme.id)).all())
        n = len(data["lon"])
        chunks = []
        for part in bulk._chunks(n, bulk.CHUNK):
            size = part.stop - part.start
            names, values = bulk.chunk_columns(
                data, part, theme_ids, dialect, source="import", source_name="raw", is_demo=True, revision=1
            )
            values = [v if isinstance(v, list) else list(repeat(v, size)) for v in values]
            lon, lat = data["lon"][part].tolist(), data["lat"][part].tolist()
            if dialect.name == "postgresql":
                ids = list(range(part.start + 1, part.stop + 1))
                geom = backend.point_ewkb_hex(data["lon"][part], data["lat"][part])
                chunks.append(list(zip(ids, *values, geom)))
            else:
                chunks.append(list(zip(*values, lon, lat)))
        db.session.commit()
        driver = db.session.connection().connection.driver_connection
        started = time.perf_counter()
        if dialect.name == "postgresql":
            for rows in chunks:
                with (
                    driver.cursor() as cursor,
                    cursor.copy(f"COPY reports_raw ({', '.join(['id', *names, 'geom'])}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
                driver.commit()
        else:
            sql = (
                f"INSERT INTO reports_raw ({', '.join([*names, 'geom'])}) "
                f"VALUES ({', '.join('?' * len(names))}, MakePoint(?, ?, 4326))"
            )
            for rows in chunks:
                driver.execute("BEGIN")
                driver.executemany(sql, rows)
                driver.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.session.rollback()
    return elapsed


def generate_insert(app, data: dict) -> float:
    stats = bulk.LoadStats()
    with app.app_context():
        bulk.insert_reports(db.session, data, source="import", source_name="bench", is_demo=True, stats=stats)
    return stats.seconds


def write_csv(data: dict, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fp:
        out = csv.writer(fp)
        out.writerow(["id", "theme", "title", "date", "lat", "lon", "tags"])
        for i in range(len(data["lon"])):
            out.writerow(
                [
                    i,
                    data["theme"][i],
                    data["title"][i],
                    data["created_at"][i].isoformat(),
                    repr(float(data["lat"][i])),
                    repr(float(data["lon"][i])),
                    "|".join(data["tags"][i]),
                ]
            )


def file_import(app, path: Path) -> float:
    from carte.geo.atlas import get_atlas
    from carte.interop.importer import import_file
    from carte.interop.mapping import Mapping

    with app.app_context():
        atlas = get_atlas(app)
        started = time.perf_counter()
        summary = import_file(db.session, atlas, path, Mapping(), "bench-import")
        elapsed = time.perf_counter() - started
        assert summary.imported == summary.read, (summary.imported, summary.read)
    return elapsed


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(Report))


def bench_backend(name: str, url: str, data: dict, csv_path: Path, n: int) -> None:
    app = make_app(url)
    prepare_database(app)
    empty_reports(app)
    create_raw_table(app)
    raw = raw_insert(app, data)
    print(f"{name:10s} raw insert      {n / raw:9.0f} rows/s  ({raw:6.1f} s)  1.00 x raw   {load()}", flush=True)
    results = {}
    for label, run in (
        ("generate", lambda: generate_insert(app, data)),
        ("import", lambda: file_import(app, csv_path)),
    ):
        empty_reports(app)
        seconds = run()
        assert count(app) == n
        results[label] = seconds
        print(
            f"{name:10s} {label:15s} {n / seconds:9.0f} rows/s  ({seconds:6.1f} s)  {raw / seconds:4.2f} x raw   {load()}",
            flush=True,
        )
    if name == "spatialite":  # the same generate with the indexes kept, to justify the rebuild threshold
        empty_reports(app)
        threshold, bulk.SQLITE_REBUILD_MIN_ROWS = bulk.SQLITE_REBUILD_MIN_ROWS, n + 1
        try:
            seconds = generate_insert(app, data)
        finally:
            bulk.SQLITE_REBUILD_MIN_ROWS = threshold
        print(
            f"{name:10s} {'generate, idx kept':15s} {n / seconds:9.0f} rows/s  ({seconds:6.1f} s)  "
            f"{raw / seconds:4.2f} x raw   {load()}",
            flush=True,
        )
    with app.app_context():
        db.session.execute(text("DROP TABLE IF EXISTS reports_raw")) if name == "postgis" else None
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pg", help="PostgreSQL URL of a database of your own (emptied)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("CARTE_SOURCES", str(ROOT.parent / "shared" / "data"))
    print(f"machine: nproc {os.cpu_count()}, {cpu_model()}; n = {args.n}, seed {args.seed}")
    work = Path(tempfile.mkdtemp(prefix="carte-bench-ingest-"))
    try:
        sqlite_url = f"sqlite:///{work / 'bench.sqlite'}"
        app = make_app(sqlite_url)
        prepare_database(app)
        from carte.geo.atlas import get_atlas
        from carte.synthetic import generate

        with app.app_context():
            started = time.perf_counter()
            data = vars(generate(get_atlas(app), args.n, args.seed))
            generated = time.perf_counter() - started
        print(
            f"generation (carte.synthetic, not insertion) {args.n / generated:9.0f} rows/s  ({generated:6.1f} s)  {load()}"
        )
        csv_path = work / "bench.csv"
        write_csv(data, csv_path)
        if not args.skip_sqlite:
            bench_backend("spatialite", sqlite_url, data, csv_path, args.n)
        if args.pg:
            bench_backend("postgis", args.pg, data, csv_path, args.n)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
