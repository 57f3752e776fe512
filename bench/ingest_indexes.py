"""Benchmark: a SpatiaLite bulk load with its ordinary indexes dropped and rebuilt, against the same load keeping them.

Run from the repository root: .venv/bin/python bench/ingest_indexes.py [--n 100000]
Both variants load the same synthetic rows into a fresh copy of one prepared empty database,
alternating, twice; each line carries os.getloadavg(). This justifies bulk.SQLITE_REBUILD_MIN_ROWS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carte import create_app  # noqa: E402
from carte.extensions import db  # noqa: E402
from carte.storage import bulk  # noqa: E402
from carte.storage.setup import prepare_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("CARTE_SOURCES", str(ROOT.parent / "shared" / "data"))
    from carte.geo.atlas import get_atlas
    from carte.synthetic import generate

    work = Path(tempfile.mkdtemp(prefix="carte-bench-indexes-"))
    try:
        base = work / "base.sqlite"
        app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{base}"})
        prepare_database(app)
        with app.app_context():
            data = vars(generate(get_atlas(app), args.n, 42))
            db.engine.dispose()
        print(f"nproc {os.cpu_count()}; n = {args.n} into an empty table")
        for _round in range(2):
            for mode in ("rebuild", "kept"):
                path = work / f"{mode}.sqlite"
                shutil.copyfile(base, path)
                app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
                bulk.SQLITE_REBUILD_MIN_ROWS = 50_000 if mode == "rebuild" else args.n + 1
                stats = bulk.LoadStats()
                with app.app_context():
                    bulk.insert_reports(
                        db.session, data, source="import", source_name="bench", is_demo=True, stats=stats
                    )
                    db.engine.dispose()
                print(
                    f"indexes {mode:8s} {stats.rows_per_second:7.0f} rows/s ({stats.seconds:5.1f} s)  "
                    "load %.2f %.2f %.2f" % os.getloadavg(),
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
