"""Benchmark: import the whole DansMaRue file (34,904 rows) into a fresh database, then again.

Run from the repository root:
    .venv/bin/python bench/import_dansmarue.py [--database-url URL]
Default: a scratch SpatiaLite file in /tmp. For PostGIS, pass an empty database with the postgis
extension, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/carte_bench. Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carte import create_app  # noqa: E402
from carte.extensions import db  # noqa: E402
from carte.geo.atlas import get_atlas  # noqa: E402
from carte.interop.importer import import_file  # noqa: E402
from carte.interop.mapping import load_mapping  # noqa: E402
from carte.storage.setup import prepare_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    args = parser.parse_args()
    mirror = os.environ.get("CARTE_SOURCES") or str(ROOT.parent / "shared" / "data")
    source = Path(mirror) / "reports" / "dansmarue-paris.csv"
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": url, "CARTE_SOURCES": mirror})
    prepare_database(app)
    from carte.cli.interop import _arrondissement_polygons

    mapping = load_mapping(ROOT / "docs" / "examples" / "dansmarue-mapping.yaml")
    with app.app_context():
        print(
            f"python {platform.python_version()}, {os.cpu_count()} CPU(s), {platform.machine()}, "
            f"backend {db.engine.dialect.name}"
        )
        atlas, polygons = get_atlas(app), _arrondissement_polygons()
        rejects = Path(tempfile.mkdtemp()) / "rejects.csv"
        for attempt in ("first import", "second import"):
            started = time.perf_counter()
            summary = import_file(
                db.session, atlas, source, mapping, "dansmarue-paris", arrondissements=polygons, rejects_path=rejects
            )
            elapsed = time.perf_counter() - started
            print(f"{attempt}: {elapsed:.1f} s, {summary.read / elapsed:,.0f} rows/s")
            for line in summary.lines():
                print("   ", line)


if __name__ == "__main__":
    main()
