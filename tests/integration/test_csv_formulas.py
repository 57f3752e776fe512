"""Every CSV Carte writes is safe to open in a spreadsheet, and its escaping is undone on import."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete

from carte.extensions import db
from carte.interop.csv_cells import FORMULA_STARTS
from carte.models import Report
from tests.helpers import TOUR_EIFFEL, reports_snapshot
from tests.integration.test_import import run, write_csv

pytestmark = pytest.mark.backends

# What a resident may type first (tab and carriage return are trimmed by the validators).
STARTS = ("=", "+", "-", "@", "'=", "''+")
TEXT_COLUMNS = ("title", "description", "location_text")


def _seed(reports):
    for n, start in enumerate(STARTS):
        reports.create(
            title=f'{start}HYPERLINK("http://evil.example";"{n}")',
            description=f"{start}1+1",
            tags=[f"{start}cmd{n}", "normal"],
            location_text=f"{start}rue {n}",
            author_name=f"{start}nom",
        )
    reports.create(title="-3.5 degrés", description="-3.5", tags=["-3.5"])


def _cells(path, delimiter=","):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=delimiter))


def test_exported_cells_never_start_a_formula_and_import_back_unchanged(app, reports, tmp_path):
    _seed(reports)
    before = reports_snapshot(app)
    for name, delimiter in (("out.csv", ","), ("fr.csv", ";")):
        args = ("export", tmp_path / name) + (("--delimiter", ";") if delimiter == ";" else ())
        assert run(app, *args).exit_code == 0
        rows = _cells(tmp_path / name, delimiter)
        assert len(rows) == len(STARTS) + 1
        for row in rows:
            for column in (*TEXT_COLUMNS, "tags"):
                assert not row[column].startswith(FORMULA_STARTS), (column, row[column])
            # Numbers stay numbers (with a decimal comma in the French variant).
            assert not row["lat"].startswith("'") and float(row["lat"].replace(",", ".")) > 48
        titles = {r["title"] for r in rows}
        assert '\'=HYPERLINK("http://evil.example";"0")' in titles
        assert '\'\'\'+HYPERLINK("http://evil.example";"5")' in titles  # one more mark: the import can undo it
        assert "'-3.5 degrés" in titles
        with app.app_context():
            db.session.execute(delete(Report))
            db.session.commit()
        result = run(app, "import", tmp_path / name, "--source", name)
        assert f"Importées : {len(STARTS) + 1}" in result.output, result.output
        assert reports_snapshot(app) == before


def test_open_aggregates_csv_escapes_text_and_keeps_numbers(client, monkeypatch):
    from carte.web import dashboard

    class Fake:
        def territories(self, *_args, **_kwargs):
            return {
                "rows": [
                    {
                        "code": "93066",
                        "nom": "=cmd|' /C calc'!A0",
                        "theme": "@mobilite",
                        "count": 12,
                        "rate_per_10k": -3.5,
                        "suppressed": False,
                    }
                ]
            }

    monkeypatch.setattr(dashboard, "aggregates", lambda: Fake())
    response = client.get("/donnees-ouvertes/agregats.csv")
    assert response.status_code == 200
    (row,) = csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    assert (row["nom"], row["theme"]) == ("'=cmd|' /C calc'!A0", "'@mobilite")
    assert (row["count"], row["rate_per_10k"]) == ("12", "-3.5")


def test_rejects_file_is_escaped_and_reads_back_as_the_original(app, tmp_path):
    from carte.interop.importer import read_records

    lon, lat = TOUR_EIFFEL
    path = write_csv(
        tmp_path / "in.csv",
        [
            ["id", "theme", "title", "lat", "lon"],
            ["=1+1", "mobilite", "@SUM(A1)", "abc", lon],
            ["ok", "mobilite", "Bon", lat, lon],
        ],
    )
    result = run(app, "import", path, "--source", "essai")
    assert "Rejetées : 1" in result.output
    rejects = tmp_path / "in.rejects.csv"
    (raw,) = _cells(rejects)
    assert (raw["id"], raw["title"]) == ("'=1+1", "'@SUM(A1)")
    ((_line, record),) = list(read_records(rejects))
    assert (record["id"], record["title"], record["lat"]) == ("=1+1", "@SUM(A1)", "abc")
