"""Importing reports from CSV or GeoJSON files, idempotently, with a rejects file.

Reading and checking rows is pure Python (`read_records`, `parse_row`); `import_file`
then stores the accepted rows through `carte.storage.bulk.insert_reports`, one
transaction per batch. Every row ends up imported, already present (same
`source_name` + external id) or rejected with its reason in `<input>.rejects.csv`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

import numpy as np
import shapely

from carte.errors import CarteError
from carte.interop import csv_cells
from carte.interop.mapping import Mapping
from carte.text import clean_text

TITLE_MAX, DESCRIPTION_MAX, LOCATION_MAX, TAG_MAX, TAGS_MAX, ID_MAX = 120, 2000, 200, 40, 5, 120
BATCH = 20_000  # rows per transaction, as the bulk loader's chunks
# A cell longer than Python's default CSV limit (131,072 characters) rejects its row; cells up to
# READ_FIELD_MAX are read so that the row can be reported, longer ones make the line unreadable.
FIELD_MAX = 131_072
READ_FIELD_MAX = 16 * 1024 * 1024
REJECTED = "__rejected"  # a record that could not be read carries its reason under this key
BORDER_TOLERANCE_M = 25.0
# A local equirectangular projection around Paris: metre-accurate at the scale of the MGP.
_LAT0 = 48.86
_MX, _MY = 111_320.0 * math.cos(math.radians(_LAT0)), 110_574.0


class ImportFileError(ValueError):
    """The file itself cannot be read (not a row problem)."""


@dataclass
class Row:
    line: int
    external_id: str
    lon: float
    lat: float
    theme: str
    title: str
    description: str
    created_at: datetime
    location_text: str | None
    tags: list[str]
    declared_arrondissement: str | None
    category: str
    mapped: bool


class Reject(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ImportSummary:
    source_name: str
    read: int = 0
    imported: int = 0
    already_present: int = 0
    rejected: Counter = field(default_factory=Counter)
    unmapped: Counter = field(default_factory=Counter)
    arrondissement_checked: int = 0
    arrondissement_near_border: int = 0
    rejects_path: Path | None = None
    dry_run: bool = False

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def mismatch_rate(self) -> float:
        if not self.arrondissement_checked:
            return 0.0
        return self.arrondissement_near_border / self.arrondissement_checked

    def lines(self) -> list[str]:
        out = [
            f"Source : {self.source_name}",
            f"Lignes lues : {self.read}",
            ("Importables (essai, rien n'est enregistré) : " if self.dry_run else "Importées : ") + str(self.imported),
            f"Déjà présentes (ignorées) : {self.already_present}",
            f"Rejetées : {self.rejected_total}"
            + (f" (détail dans {self.rejects_path})" if self.rejected_total else ""),
        ]
        out += [f"  - {reason} : {n}" for reason, n in self.rejected.most_common()]
        if self.unmapped:
            out.append(f"Catégories sans correspondance (thème par défaut) : {sum(self.unmapped.values())} lignes")
            out += [f"  - {cat or '(vide)'} : {n}" for cat, n in self.unmapped.most_common(20)]
        if self.arrondissement_checked:
            out.append(
                f"Arrondissement vérifié : {self.arrondissement_checked} lignes, "
                f"{self.arrondissement_near_border} écarts à moins de {BORDER_TOLERANCE_M:.0f} m d'une limite "
                f"({self.mismatch_rate:.3%})"
            )
        return out


# --- reading -----------------------------------------------------------------------------------


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_records(path: str | Path) -> Iterator[tuple[int, dict]]:
    """(line or feature number, record) for each row of a CSV or GeoJSON file.

    CSV: UTF-8 with or without a BOM, `,` `;` or tab delimiters detected from the header.
    GeoJSON: the properties of each feature, plus `__lon`/`__lat` from a Point geometry.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig") as fp:
            head = fp.read(1)
            while head.isspace():
                head = fp.read(1)
    except UnicodeDecodeError:
        raise ImportFileError("Le fichier n'est pas en UTF-8.") from None
    if head in ("{", "["):
        yield from _read_geojson(path)
    else:
        yield from _read_csv(path)


def _read_csv(path: Path) -> Iterator[tuple[int, dict]]:
    """Rows of a CSV file, cells unescaped (`csv_cells`); an unreadable row comes as a rejected record."""
    limit = csv.field_size_limit(READ_FIELD_MAX)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fp:
            header = fp.readline()
            fp.seek(0)
            if header.startswith("\ufeff"):
                fp.read(1)
            reader = csv.DictReader(fp, delimiter=_sniff_delimiter(header))
            if not reader.fieldnames:
                raise ImportFileError("Le fichier CSV n'a pas de ligne d'en-tête.")
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as err:  # the rest of that line is skipped; the import goes on
                    yield reader.line_num, dict.fromkeys(reader.fieldnames, "") | {REJECTED: f"ligne illisible ({err})"}
                    continue
                yield (
                    reader.line_num,
                    {k: csv_cells.unescape_cell(v) if isinstance(v, str) else v for k, v in record.items()},
                )
    except UnicodeDecodeError:  # the header, or a line further down
        raise ImportFileError("Le fichier n'est pas en UTF-8.") from None
    finally:
        csv.field_size_limit(limit)


def _read_geojson(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ImportFileError(f"GeoJSON illisible : {err}") from None
    features = data.get("features") if isinstance(data, dict) else data
    if not isinstance(features, list):
        raise ImportFileError("Le GeoJSON doit être une FeatureCollection.")
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        record = dict(properties) if isinstance(properties, dict) else {}
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2:
                record["__lon"], record["__lat"] = coords[0], coords[1]
        if isinstance(feature, dict) and "id" in feature and "id" not in record:
            record["id"] = feature["id"]
        yield number, record


# --- parsing one row ---------------------------------------------------------------------------


def _get(record: dict, columns: tuple[str, ...]) -> str | None:
    for column in columns:
        value = record.get(column)
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            return value  # type: ignore[return-value]
        value = str(value).strip()
        if value:
            return value
    return None


def _number(raw) -> float:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip()
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # French decimal comma
        value = float(text)
    if not math.isfinite(value):
        raise ValueError
    return value


def _point(record: dict, mapping: Mapping) -> tuple[float, float]:
    cols = mapping.columns
    try:
        if cols.get("point"):
            raw = _get(record, cols["point"])
            if raw is None:
                raise Reject("coordonnées manquantes")
            text = str(raw).strip()
            if text.upper().startswith("POINT"):
                lon, lat = (_number(v) for v in text[text.index("(") + 1 : text.rindex(")")].split())
            else:
                lat, lon = (_number(v) for v in text.replace(";", ",").split(","))
        else:
            raw_lat, raw_lon = _get(record, cols.get("lat", ())), _get(record, cols.get("lon", ()))
            if raw_lat is None and raw_lon is None and "__lat" in record:
                raw_lat, raw_lon = record["__lat"], record["__lon"]
            if raw_lat is None or raw_lon is None:
                raise Reject("coordonnées manquantes")
            lat, lon = _number(raw_lat), _number(raw_lon)
    except (ValueError, IndexError, TypeError):
        raise Reject("coordonnées invalides") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Reject("coordonnées invalides")
    return lon, lat


_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y/%m/%d")


def parse_date(raw: str) -> datetime:
    """ISO 8601 date or datetime, or a French dd/mm/yyyy; naive times are UTC."""
    text = str(raw).strip()
    try:
        if len(text) == 10 and text[4] == "-":  # a day: noon UTC, so that it stays that day in Paris
            value = datetime.combine(date.fromisoformat(text), time(12), tzinfo=UTC)
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise Reject("date illisible") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not 1990 <= value.year <= 2100:
        raise Reject("date illisible")
    return value.astimezone(UTC)


def _arrondissement_code(raw) -> str | None:
    """75101..75120 from "1".."20", "75001"-style postcodes or INSEE codes; None if unreadable."""
    text = str(raw).strip()
    if not text.isdigit():
        return None
    n = int(text)
    if 1 <= n <= 20:
        return f"751{n:02d}"
    if 75101 <= n <= 75120:
        return str(n)
    if 75001 <= n <= 75020:
        return f"751{n - 75000:02d}"
    return None


def _tags(raw) -> list[str]:
    if raw is None:
        return []
    values = raw if isinstance(raw, (list, tuple)) else str(raw).split("|")
    out: list[str] = []
    for tag in values:
        tag = _clean(tag, TAG_MAX, "mot-clé")
        if tag and tag.casefold() not in (t.casefold() for t in out):
            out.append(tag)
    return out[:TAGS_MAX]


def _clean(value: object, limit: int, label: str, *, multiline: bool = False) -> str | None:
    """Imported text follows the rule of all user text (carte.text: NFC, controls refused, whitespace
    trimmed), except that a long value is cut to `limit` characters: a back office's text is kept in part."""
    if value is None:
        return None
    try:
        text = clean_text(str(value), label, max_len=FIELD_MAX, multiline=multiline)
    except CarteError as err:
        if err.code == "invalid_characters":
            raise Reject(f"caractères de contrôle refusés : {label}") from None
        raise Reject(f"champ trop long : {label}") from None
    return text[:limit].rstrip() or None if text else None


def parse_row(line: int, record: dict, mapping: Mapping, themes: set[str], has_date_column: bool) -> Row:
    """Check one record and turn it into a Row; raise Reject(reason) when it cannot be imported."""
    if REJECTED in record:
        raise Reject(record[REJECTED])
    for column, value in record.items():
        if isinstance(value, str) and len(value) > FIELD_MAX:
            raise Reject(f"champ trop long (plus de {FIELD_MAX} caractères) : {str(column)[:40]}")
    cols = mapping.columns
    lon, lat = _point(record, mapping)
    category_parts = [str(record.get(c) or "") for c in cols.get("theme", ())]
    category = " / ".join(p.strip() for p in category_parts if p.strip())
    theme, mapped = mapping.theme_for([p for p in category_parts if p.strip()], themes)
    title = _clean(_get(record, cols.get("title", ())), TITLE_MAX, "titre")
    if not title:
        raise Reject("champ obligatoire manquant : titre")
    created_at = datetime.now(UTC)
    if has_date_column:
        raw_date = _get(record, cols["date"])
        if raw_date is None:
            raise Reject("champ obligatoire manquant : date")
        created_at = parse_date(raw_date)
    if cols.get("id"):
        external_id = _get(record, cols["id"])
        if external_id is None:
            raise Reject("champ obligatoire manquant : identifiant")
        external_id = str(external_id)
        if len(external_id) > ID_MAX:
            raise Reject("identifiant trop long")
    else:  # no id column: the row's content identifies it, so a second import adds nothing
        canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
        external_id = "sha1:" + hashlib.sha1(canonical.encode()).hexdigest()
    declared = None
    if cols.get("arrondissement"):
        raw_arr = _get(record, cols["arrondissement"])
        declared = _arrondissement_code(raw_arr) if raw_arr is not None else None
    return Row(
        line=line,
        external_id=external_id,
        lon=lon,
        lat=lat,
        theme=theme,
        title=title,
        description=_clean(_get(record, cols.get("description", ())), DESCRIPTION_MAX, "description", multiline=True)
        or "",
        created_at=created_at,
        location_text=_clean(_get(record, cols.get("address", ())), LOCATION_MAX, "adresse"),
        tags=_tags(_get(record, cols.get("tags", ()))),
        declared_arrondissement=declared,
        category=category,
        mapped=mapped,
    )


# --- border distances --------------------------------------------------------------------------


def to_local_metres(geometry):
    return shapely.transform(geometry, lambda xy: np.column_stack((xy[:, 0] * _MX, xy[:, 1] * _MY)))


class ArrondissementCheck:
    """Distance (metres) from a point to a declared arrondissement, for the border tolerance."""

    def __init__(self, polygons: dict[str, object], tolerance_m: float = BORDER_TOLERANCE_M):
        self.polygons = {code: to_local_metres(geom) for code, geom in polygons.items()}
        for geom in self.polygons.values():
            shapely.prepare(geom)
        self.tolerance_m = tolerance_m

    def distance(self, code: str, lon: float, lat: float) -> float:
        geom = self.polygons.get(code)
        if geom is None:
            return math.inf
        return float(geom.distance(shapely.Point(lon * _MX, lat * _MY)))


# --- the import --------------------------------------------------------------------------------


class _Rejects:
    """The rejects CSV, opened on the first reject: line, reason, then the original columns."""

    def __init__(self, path: Path):
        self.path = path
        self._fp = None
        self._writer = None
        self._fields: list[str] = []

    def write(self, line: int, reason: str, record: dict) -> None:
        if self._writer is None:
            self._fields = [k for k in record if isinstance(k, str) and not k.startswith("__")]
            self._fp = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv_cells.writer(self._fp)
            self._writer.writerow(["ligne", "motif", *self._fields])
        self._writer.writerow([line, reason, *(record.get(k, "") for k in self._fields)])

    def close(self) -> None:
        if self._fp:
            self._fp.close()


def default_rejects_path(path: Path) -> Path:
    return path.with_name(path.stem + ".rejects.csv")


def import_file(
    session,
    atlas,
    path: str | Path,
    mapping: Mapping,
    source_name: str,
    *,
    arrondissements: dict[str, object] | None = None,
    rejects_path: Path | None = None,
    batch_size: int = BATCH,
    progress: Callable[[int], None] | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    expected_rows: int | None = None,
) -> ImportSummary:
    """Import a file; see the module docstring. `progress(n)` is called as rows are read.

    With `dry_run`, every check runs and the summary and rejects are written, but nothing is stored.
    `expected_rows` (the file's size in rows, if known) lets a big load into SQLite rebuild its
    indexes once at the end instead of updating them row by row.
    """
    from sqlalchemy import select

    from carte.geo.atlas import Placement
    from carte.models import Report, Theme
    from carte.storage.bulk import deferred_indexes, insert_reports

    path = Path(path)
    themes = set(session.scalars(select(Theme.slug)))
    mapping.check_themes(themes)
    existing = set(session.scalars(select(Report.external_id).where(Report.source_name == source_name)))
    session.rollback()  # end the read transaction before the batches
    checker = None
    if mapping.columns.get("arrondissement") and arrondissements:
        checker = ArrondissementCheck(arrondissements)
    summary = ImportSummary(
        source_name=source_name, rejects_path=rejects_path or default_rejects_path(path), dry_run=dry_run
    )
    rejects = _Rejects(summary.rejects_path)
    seen: set[str] = set()
    pending: list[Row] = []
    placements: list = []

    def flush() -> None:
        if not pending:
            return
        if dry_run:
            summary.imported += len(pending)
            pending.clear()
            placements.clear()
            return
        columns = {
            "lon": np.array([r.lon for r in pending]),
            "lat": np.array([r.lat for r in pending]),
            "commune": [p.commune_code for p in placements],
            "arrondissement": [p.arrondissement_code for p in placements],
            "theme": [r.theme for r in pending],
            "title": [r.title for r in pending],
            "description": [r.description for r in pending],
            "created_at": [r.created_at for r in pending],
            "contributor": [None] * len(pending),
            "tags": [r.tags for r in pending],
            "external_id": [r.external_id for r in pending],
            "location_text": [r.location_text for r in pending],
        }
        try:
            insert_reports(session, columns, source="import", source_name=source_name, is_demo=False)
        except Exception:
            session.rollback()
            raise
        summary.imported += len(pending)
        pending.clear()
        placements.clear()

    batch: list[tuple[int, dict, Row | Reject]] = []

    def place_batch() -> None:
        """Locate the batch's points at once (vectorised), then settle each row in file order."""
        rows = [item for _line, _record, item in batch if isinstance(item, Row)]
        lons = np.array([r.lon for r in rows], dtype=float)
        lats = np.array([r.lat for r in rows], dtype=float)
        communes = atlas.commune_locator.locate_many(lons, lats) if rows else []
        arrondissements = np.full(len(rows), None, dtype=object)
        in_paris = np.asarray(communes == "75056") if rows else np.zeros(0, bool)
        if in_paris.any():
            arrondissements[in_paris] = atlas.arrondissement_locator.locate_many(lons[in_paris], lats[in_paris])
        k = -1
        for line, record, item in batch:
            try:
                if isinstance(item, Reject):
                    raise item
                row = item
                k += 1
                if row.external_id in seen:
                    raise Reject("identifiant en double dans le fichier")
                if not communes[k]:
                    raise Reject("point hors de la Métropole du Grand Paris")
                placement = Placement(communes[k], arrondissements[k] or None)
                if checker and row.declared_arrondissement:
                    summary.arrondissement_checked += 1
                    if placement.arrondissement_code != row.declared_arrondissement:
                        distance = checker.distance(row.declared_arrondissement, row.lon, row.lat)
                        if distance > checker.tolerance_m:
                            raise Reject(f"point à plus de {checker.tolerance_m:.0f} m de l'arrondissement déclaré")
                        summary.arrondissement_near_border += 1
            except Reject as rej:
                summary.rejected[rej.reason] += 1
                rejects.write(line, rej.reason, record)
                continue
            seen.add(row.external_id)
            if not row.mapped:
                summary.unmapped[row.category] += 1
            pending.append(row)
            placements.append(placement)
            if len(pending) >= batch_size:
                flush()
        batch.clear()

    has_date = None
    try:
        with deferred_indexes(session, 0 if dry_run else expected_rows or 0):
            for line, record in read_records(path):
                if limit is not None and summary.read >= limit:
                    break
                summary.read += 1
                if progress:
                    progress(1)
                if has_date is None:
                    has_date = any(c in record for c in mapping.columns.get("date", ()))
                try:
                    row = parse_row(line, record, mapping, themes, has_date)
                except Reject as rej:
                    batch.append((line, record, rej))
                else:
                    if row.external_id in existing:
                        summary.already_present += 1
                        continue
                    batch.append((line, record, row))
                if len(batch) >= batch_size:
                    place_batch()
            place_batch()
            flush()
    finally:
        rejects.close()
    return summary


def remove_import(session, source_name: str) -> int:
    """Delete every report imported from `source_name`, in one transaction."""
    from sqlalchemy import delete

    from carte.models import Report
    from carte.storage.versions import bump

    result = session.execute(delete(Report).where(Report.source == "import", Report.source_name == source_name))
    bump(session, deleted=True)
    session.commit()
    return result.rowcount or 0
