"""`flask carte import`: formats, mappings, rejects, idempotence, batches, and real DansMaRue data."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import func, select

from carte.extensions import db
from carte.models import Report
from tests.helpers import BASILIQUE_SAINT_DENIS, TOUR_EIFFEL, VERSAILLES

pytestmark = pytest.mark.backends

ROOT = Path(__file__).resolve().parents[2]
DANSMARUE_MAPPING = ROOT / "docs" / "examples" / "dansmarue-mapping.yaml"


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["carte", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def stored(app, source_name=None):
    with app.app_context():
        stmt = select(Report)
        if source_name:
            stmt = stmt.where(Report.source_name == source_name)
        return {r.external_id: r for r in db.session.scalars(stmt).unique().all()}


def write_csv(path: Path, rows: list[list], *, delimiter=",", bom=False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fp:
        csv.writer(fp, delimiter=delimiter).writerows(rows)
    return path


def test_csv_with_bom_semicolons_and_decimal_commas(app, tmp_path):
    lon, lat = TOUR_EIFFEL
    path = write_csv(
        tmp_path / "sig.csv",
        [
            ["ref", "catégorie", "intitulé", "détail", "quand", "latitude", "longitude"],
            [
                "a1",
                "Voirie",
                "Nid de poule profond",
                "Devant le 3",
                "2024-03-01",
                str(lat).replace(".", ","),
                str(lon).replace(".", ","),
            ],
            [
                "a2",
                "Inconnue",
                "Banc cassé square",
                "",
                "01/04/2024 10:30",
                str(BASILIQUE_SAINT_DENIS[1]),
                str(BASILIQUE_SAINT_DENIS[0]),
            ],
        ],
        delimiter=";",
        bom=True,
    )
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"default_theme": "espaces-publics-proprete", "categories": {"Voirie": "mobilite"}}))
    result = run(
        app,
        "import",
        path,
        "--mapping",
        mapping,
        "--source",
        "ville",
        "--map",
        "id=ref",
        "--map",
        "theme=catégorie",
        "--map",
        "title=intitulé",
        "--map",
        "description=détail",
        "--map",
        "date=quand",
        "--map",
        "lat=latitude",
        "--map",
        "lon=longitude",
    )
    assert result.exit_code == 0, result.output
    assert "Importées : 2" in result.output
    assert "Catégories sans correspondance (thème par défaut) : 1 lignes" in result.output
    assert "  - Inconnue : 1" in result.output
    reports = stored(app, "ville")
    assert set(reports) == {"a1", "a2"}
    a1, a2 = reports["a1"], reports["a2"]
    assert (a1.theme.slug, a1.title, a1.description) == ("mobilite", "Nid de poule profond", "Devant le 3")
    assert (a1.lon, a1.lat) == (lon, lat) and a1.commune_code == "75056" and a1.arrondissement_code == "75107"
    assert (a1.source, a1.status) == ("import", "published")
    assert a2.theme.slug == "espaces-publics-proprete" and a2.commune_code == "93066"
    assert a2.created_at.replace(tzinfo=None).isoformat() == "2024-04-01T10:30:00"
    assert not (tmp_path / "sig.rejects.csv").exists()


def test_bad_rows_go_to_the_rejects_file_with_their_reason(app, tmp_path):
    lon, lat = TOUR_EIFFEL
    header = ["id", "theme", "title", "created_at", "lat", "lon"]
    rows = [
        ["ok", "mobilite", "Bon signalement", "2024-01-01", lat, lon],
        ["c1", "mobilite", "Coordonnées fausses", "2024-01-01", "abc", lon],
        ["c2", "mobilite", "Latitude hors limites", "2024-01-01", "123", lon],
        ["c3", "mobilite", "Coordonnées vides", "2024-01-01", "", ""],
        ["out", "mobilite", "À Versailles", "2024-01-01", VERSAILLES[1], VERSAILLES[0]],
        ["t", "mobilite", "", "2024-01-01", lat, lon],
        ["d1", "mobilite", "Date illisible", "le 3 mars", lat, lon],
        ["d2", "mobilite", "Date manquante", "", lat, lon],
        ["", "mobilite", "Sans identifiant", "2024-01-01", lat, lon],
        ["ok", "mobilite", "Identifiant en double", "2024-01-01", lat, lon],
    ]
    path = write_csv(tmp_path / "in.csv", [header, *rows])
    result = run(app, "import", path, "--source", "essai")
    assert result.exit_code == 0, result.output
    assert "Importées : 1" in result.output and "Rejetées : 9" in result.output
    assert set(stored(app, "essai")) == {"ok"}
    with (tmp_path / "in.rejects.csv").open(encoding="utf-8-sig") as fp:
        rejects = {r["id"]: (r["ligne"], r["motif"]) for r in csv.DictReader(fp)}
    assert rejects == {
        "c1": ("3", "coordonnées invalides"),
        "c2": ("4", "coordonnées invalides"),
        "c3": ("5", "coordonnées manquantes"),
        "out": ("6", "point hors de la Métropole du Grand Paris"),
        "t": ("7", "champ obligatoire manquant : titre"),
        "d1": ("8", "date illisible"),
        "d2": ("9", "champ obligatoire manquant : date"),
        "": ("10", "champ obligatoire manquant : identifiant"),
        "ok": ("11", "identifiant en double dans le fichier"),
    }


def test_geojson_with_combined_point_column_and_no_id_is_idempotent(app, tmp_path):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(TOUR_EIFFEL)},
            "properties": {"theme": "logement", "title": "Immeuble insalubre", "tags": ["bailleur", "humidité"]},
        },
        {
            "type": "Feature",
            "geometry": None,
            "properties": {
                "theme": "logement",
                "title": "Loyers trop chers",
                "pt": f"{BASILIQUE_SAINT_DENIS[1]}, {BASILIQUE_SAINT_DENIS[0]}",
            },
        },
    ]
    path = tmp_path / "in.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    first = run(app, "import", path, "--source", "geo", "--map", "id=")
    assert "Importées : 1" in first.output and "Rejetées : 1" in first.output  # the second has no geometry
    second = run(app, "import", path, "--source", "geo2", "--map", "id=", "--map", "point=pt")
    assert "Importées : 1" in second.output  # with point=pt, only the second has a point
    again = run(app, "import", path, "--source", "geo", "--map", "id=")
    assert "Importées : 0" in again.output and "Déjà présentes (ignorées) : 1" in again.output
    (only,) = stored(app, "geo").values()
    assert [t.tag for t in only.tags] == ["bailleur", "humidité"]
    assert only.external_id.startswith("sha1:")
    (placed,) = stored(app, "geo2").values()
    assert placed.commune_code == "93066"


def test_remove_import_deletes_only_that_source(app, tmp_path):
    lon, lat = TOUR_EIFFEL
    for name in ("a", "b"):
        path = write_csv(
            tmp_path / f"{name}.csv",
            [["id", "theme", "title", "lat", "lon"], ["1", "mobilite", "Trottoir abîmé", lat, lon]],
        )
        assert "Importées : 1" in run(app, "import", path, "--source", name).output
    result = run(app, "remove-import", "a")
    assert "1 signalements importés de « a » supprimés." in result.output
    assert stored(app, "a") == {} and set(stored(app, "b")) == {"1"}


def test_a_failing_batch_leaves_nothing_half_imported(app, tmp_path, monkeypatch):
    from carte.geo.atlas import get_atlas
    from carte.interop import importer
    from carte.interop.mapping import Mapping
    from carte.storage import bulk

    lon, lat = TOUR_EIFFEL
    rows = [["id", "theme", "title", "lat", "lon"]] + [
        [str(i), "mobilite", f"Signalement {i}", lat, lon] for i in range(25)
    ]
    path = write_csv(tmp_path / "in.csv", rows)
    calls = {"n": 0}
    original = bulk.after_bulk_insert

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(bulk, "after_bulk_insert", failing)
    with app.app_context(), pytest.raises(RuntimeError):
        importer.import_file(db.session, get_atlas(app), path, Mapping(), "lots", batch_size=10)
    assert len(stored(app, "lots")) == 10  # the first batch, whole; nothing of the second
    monkeypatch.setattr(bulk, "after_bulk_insert", original)
    with app.app_context():
        summary = importer.import_file(db.session, get_atlas(app), path, Mapping(), "lots", batch_size=10)
    assert (summary.imported, summary.already_present) == (15, 10)
    assert len(stored(app, "lots")) == 25


def test_unknown_theme_in_mapping_is_refused_before_anything_is_stored(app, tmp_path):
    path = write_csv(
        tmp_path / "in.csv", [["id", "title", "lat", "lon"], ["1", "Un titre", TOUR_EIFFEL[1], TOUR_EIFFEL[0]]]
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text("default_theme: voirie\ncategories: {}\n", encoding="utf-8")
    result = run(app, "import", path, "--mapping", mapping)
    assert result.exit_code != 0 and "Thèmes inconnus dans la correspondance : voirie" in result.output
    assert stored(app) == {}


# --- real data: DansMaRue (Ville de Paris, ODbL), read from the mirror at test time ----------------

SAMPLE = 2000


def _arrondissement_polygons(data_dir: Path) -> dict[str, object]:
    fc = json.loads((data_dir / "arrondissements.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: shape(f["geometry"]) for f in fc["features"]}


def _metres_to(polygon, lon: float, lat: float) -> float:
    """Distance in metres from a point to a polygon, on a sphere-tangent plane at the point."""
    kx, ky = 6371008.8 * math.radians(1) * math.cos(math.radians(lat)), 6371008.8 * math.radians(1)
    local = shapely.transform(polygon, lambda xy: (xy - [lon, lat]) * [kx, ky])
    return local.distance(shapely.Point(0, 0))


def test_dansmarue_sample(app, tmp_path, data_dir):
    source = (
        Path(os.environ.get("CARTE_SOURCES") or ROOT.parent / "shared" / "data") / "reports" / "dansmarue-paris.csv"
    )
    rejects = tmp_path / "dmr.rejects.csv"
    result = run(app, "import", source, "--mapping", DANSMARUE_MAPPING, "--rejects", rejects, "--limit", SAMPLE)
    assert result.exit_code == 0, result.output
    print(result.output)
    with source.open(encoding="utf-8") as fp:
        rows = {r["id_dmr"]: r for _, r in zip(range(SAMPLE), csv.DictReader(fp))}
    reports = stored(app, "dansmarue-paris")
    rejected = {}
    if rejects.exists():
        with rejects.open(encoding="utf-8-sig") as fp:
            rejected = {r["id_dmr"]: r["motif"] for r in csv.DictReader(fp)}
    # Every row is imported or rejected with a reason, never both, never lost.
    assert set(reports) | set(rejected) == set(rows)
    assert not set(reports) & set(rejected)
    assert all(rejected.values())
    assert f"Importées : {len(reports)}" in result.output
    # Every imported report is in Paris, in its declared arrondissement unless within 25 m of it.
    polygons = _arrondissement_polygons(data_dir)
    mismatches = []
    for external_id, report in reports.items():
        assert report.commune_code == "75056" and report.source == "import"
        declared = f"751{int(rows[external_id]['arrondissement']):02d}"
        if report.arrondissement_code != declared:
            mismatches.append(_metres_to(polygons[declared], report.lon, report.lat))
    assert all(d <= 25.0 for d in mismatches), max(mismatches)
    rate = len(mismatches) / len(reports)
    print(
        f"DansMaRue sample: {len(reports)} imported, {len(rejected)} rejected, "
        f"{len(mismatches)} arrondissement mismatches near a border ({rate:.3%})"
    )
    assert f"{len(mismatches)} écarts à moins de 25 m" in result.output
    assert rate < 0.01
    # Themes follow the committed mapping.
    sample = next(
        r for r in rows.values() if r["type"] == "Graffitis, tags, affiches et autocollants" and r["id_dmr"] in reports
    )
    assert reports[sample["id_dmr"]].theme.slug == "espaces-publics-proprete"
    assert reports[sample["id_dmr"]].title == sample["soustype"][:120]
    # A second import adds nothing.
    again = run(app, "import", source, "--mapping", DANSMARUE_MAPPING, "--rejects", rejects, "--limit", SAMPLE)
    assert "Importées : 0" in again.output
    assert f"Déjà présentes (ignorées) : {len(reports)}" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Report.id))) == len(reports)


def test_dry_run_checks_everything_and_stores_nothing(app, tmp_path):
    lon, lat = TOUR_EIFFEL
    path = write_csv(
        tmp_path / "in.csv",
        [
            ["id", "theme", "title", "lat", "lon"],
            ["1", "mobilite", "Trottoir abîmé", lat, lon],
            ["2", "mobilite", "Hors zone", VERSAILLES[1], VERSAILLES[0]],
        ],
    )
    result = run(app, "import", path, "--dry-run")
    assert "Importables (essai, rien n'est enregistré) : 1" in result.output and "Rejetées : 1" in result.output
    assert (tmp_path / "in.rejects.csv").exists()
    assert stored(app) == {}


@pytest.mark.parametrize("quoted", [False, True])
def test_a_field_over_128_kb_rejects_its_row_and_the_import_goes_on(app, tmp_path, quoted):
    lon, lat = TOUR_EIFFEL
    huge = "x" * 200_000 if not quoted else "ligne\n" * 40_000  # over csv's 131,072-character default limit
    path = write_csv(
        tmp_path / "big.csv",
        [
            ["id", "theme", "title", "description", "lat", "lon"],
            ["a", "mobilite", "Avant", "court", lat, lon],
            ["big", "mobilite", "Énorme", huge, lat, lon],
            ["b", "mobilite", "Après", "court", lat, lon],
        ],
    )
    result = run(app, "import", path, "--source", "gros")
    assert result.exit_code == 0, result.output
    assert "Importées : 2" in result.output and "Rejetées : 1" in result.output
    assert set(stored(app, "gros")) == {"a", "b"}
    with (tmp_path / "big.rejects.csv").open(encoding="utf-8-sig") as fp:
        csv.field_size_limit(1 << 20)
        (reject,) = csv.DictReader(fp)
    assert reject["id"] == "big"
    assert reject["motif"] == "champ trop long (plus de 131072 caractères) : description"


def test_a_line_over_the_read_limit_is_rejected_as_unreadable(app, tmp_path, monkeypatch):
    from carte.interop import importer

    monkeypatch.setattr(importer, "READ_FIELD_MAX", 1000)
    lon, lat = TOUR_EIFFEL
    path = write_csv(
        tmp_path / "in.csv",
        [
            ["id", "theme", "title", "description", "lat", "lon"],
            ["big", "mobilite", "Énorme", "y" * 5000, lat, lon],
            ["b", "mobilite", "Après", "court", lat, lon],
        ],
    )
    result = run(app, "import", path, "--source", "illisible")
    assert "Importées : 1" in result.output and "Rejetées : 1" in result.output, result.output
    assert "ligne illisible" in result.output
    assert set(stored(app, "illisible")) == {"b"}
