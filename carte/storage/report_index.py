"""The in-memory column index of reports that the aggregates read.

Aggregates over a million reports must answer in tens of milliseconds, whatever the
filter. SQL GROUP BY scans on SpatiaLite take seconds at that size, and rollup tables
cannot give exact distinct contributors across levels, so each process keeps the few
columns aggregates need as numpy arrays (76 bytes a report) and filters them with
vectorised masks. The database stays the source of truth: before each use the index
compares the data version (see `versions.py`) and reads only the rows written since;
after deletions (a new generation) it also drops the rows whose ids are gone.

Memory is the constraint at a million reports with several workers, so nothing here
holds one Python object per report: rows are read in chunks straight into arrays,
contributors are numbered through a sorted table of 64-bit hashes (not a dict of
strings), and columns live in buffers with spare room at the end, so that new rows are
written in place. Loaded before gunicorn forks (`gunicorn.conf.py`), the buffers are
shared by every worker: appends and moderation only copy the pages they touch.
A snapshot on disk (`snapshot.py`) spares a new process the read from the database.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carte.domain import PROGRESS, ReportFilter
from carte.models import Report, ReportTag, Theme
from carte.models.workshops import Workshop
from carte.storage.engine import epoch_seconds
from carte.storage.versions import Version, current, database_token

STATUSES = ("published", "pending", "hidden", "rejected")
# Withdrawn reports are indexed (their rows stay) but no filter may ask for them.
_INDEXED_STATUSES = STATUSES + ("withdrawn",)
_STATUS_CODE = {s: i for i, s in enumerate(_INDEXED_STATUSES)}
# Progress of the civic loop (carte/followup/updates.py), one byte a report.
_PROGRESS_CODE = {p: i for i, p in enumerate(PROGRESS)}
# Key spans for distinct counting: up to 1024 theme ids and 2**40 contributor codes. Named
# contributors get dense codes below 2**39; a report without one counts as its own
# contributor, coded 2**39 + its id, so that its code never changes when it is re-read.
_THEME_SPAN = 1 << 10
_CONTRIBUTOR_SPAN = 1 << 40
_ANONYMOUS = 1 << 39
# Rows read from the database per round trip: bounded memory, whatever the table size.
CHUNK = 50_000
_COLUMNS = (
    "id",
    "commune",
    "theme_id",
    "status",
    "created",
    "contributor",
    "h3_7",
    "h3_8",
    "h3_9",
    "lat",
    "lon",
    "workshop",
    "progress",
)
_DTYPES = {
    "id": np.int64,
    "commune": np.int16,
    "theme_id": np.int32,
    "status": np.int8,
    "created": np.int64,
    "contributor": np.int64,
    "h3_7": np.int64,
    "h3_8": np.int64,
    "h3_9": np.int64,
    "lat": np.float64,
    "lon": np.float64,
    "workshop": np.int32,  # workshop id, 0 = none
    "progress": np.int8,
}
SNAPSHOT_FORMAT = 2  # 2: the progress column


def _epoch(value: datetime) -> int:
    """Filter bounds are timezone-aware (parse_filter makes them UTC)."""
    return int(value.timestamp())


def _headroom(n: int) -> int:
    """Spare rows after the end of each buffer, so that new reports are written in place."""
    return max(n // 16, 4096)


class ReportIndex:
    """Columns of every report, sorted by id, caught up with the database on `sync`."""

    def __init__(self, commune_codes: Sequence[str], snapshot_dir: str | os.PathLike | None = None):
        self.commune_codes = list(commune_codes)
        self._commune_pos = {c: i for i, c in enumerate(self.commune_codes)}
        # Contributor numbering: sorted 64-bit hashes of the strings and the code of each.
        self._hashes = np.zeros(0, dtype=np.uint64)
        self._codes = np.zeros(0, dtype=np.int64)
        self._lock = threading.Lock()
        self._tag_ids: dict[tuple, np.ndarray] = {}
        self.version: Version | None = None
        self._buffers = {name: np.zeros(0, dtype=_DTYPES[name]) for name in _COLUMNS}
        self._n = 0
        self.columns = {name: buf[:0] for name, buf in self._buffers.items()}
        self._sorted_keys: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir else None
        self._token: int | None = None
        self.loaded_from: str | None = None  # "snapshot" or "database", for logs and tests

    def __len__(self) -> int:
        return self._n

    # -- keeping up with the database -------------------------------------------------------------

    def sync(self, session: Session) -> Version:
        """Read what changed since the last sync; return the version now reflected.

        New and changed rows carry a revision above the last version seen; deleted ones are
        found by reading the id column alone; only a new generation (a restore) or versions
        going back (another database) read everything again.
        """
        latest = current(session)
        if latest == self.version:
            return latest
        with self._lock:
            if self.version == latest:
                return latest
            known = self.version
            if known is None or latest.generation != known.generation or latest.version < known.version:
                self.version = None
                if not self._load_snapshot(session, latest):
                    self._load_all(session)
                    self.loaded_from = "database"
                    self.version = latest
                    self.save_snapshot(session)
                    return latest
                self.loaded_from = "snapshot"
            if latest.deletions != self.version.deletions:
                self._prune(session)
            rows = self._concat(self._read(session, since=self.version.version))
            if len(rows["id"]):
                self._update_sorted_keys(self._merge(rows))
            self.version = latest
        return latest

    def _statement(self, session: Session, since: int | None):
        dialect = session.get_bind().dialect.name
        t = Report.__table__.c
        stmt = select(
            t.id,
            t.commune_code,
            t.theme_id,
            t.status,
            epoch_seconds(t.created_at, dialect),
            t.contributor,
            t.h3_7,
            t.h3_8,
            t.h3_9,
            t.lat,
            t.lon,
            t.workshop_id,
            t.progress,
        ).order_by(t.id)
        return stmt if since is None else stmt.where(t.revision > since)

    def _read(self, session: Session, since: int | None) -> Iterator[dict[str, np.ndarray]]:
        """The rows as arrays, CHUNK rows at a time: never a list of a million row tuples.

        `yield_per` streams (a server-side cursor on PostgreSQL); core rows straight from the
        connection, since ORM row processing would double the load time.
        """
        # Per statement: Connection.execution_options would keep streaming on for the whole session.
        result = session.connection().execute(self._statement(session, since), execution_options={"yield_per": CHUNK})
        for part in result.partitions(CHUNK):
            yield self._arrays(part)
            del part

    def _arrays(self, rows) -> dict[str, np.ndarray]:
        n = len(rows)
        cols = list(zip(*rows)) if rows else [()] * len(_COLUMNS)
        ids = np.fromiter(cols[0], dtype=np.int64, count=n)
        return {
            "id": ids,
            "commune": np.fromiter(map(self._commune_pos.__getitem__, cols[1]), np.int16, n),
            "theme_id": np.fromiter(cols[2], np.int32, n),
            "status": np.fromiter(map(_STATUS_CODE.__getitem__, cols[3]), np.int8, n),
            "created": np.fromiter(cols[4], np.int64, n),
            "contributor": self._contributor_codes(cols[5], ids),
            "h3_7": hex_to_int64(cols[6]),
            "h3_8": hex_to_int64(cols[7]),
            "h3_9": hex_to_int64(cols[8]),
            "lat": np.fromiter(cols[9], np.float64, n),
            "lon": np.fromiter(cols[10], np.float64, n),
            "workshop": np.fromiter((w or 0 for w in cols[11]), np.int32, n),
            "progress": np.fromiter((_PROGRESS_CODE.get(p, 0) for p in cols[12]), np.int8, n),
        }

    @staticmethod
    def _concat(chunks: Iterator[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        parts = list(chunks)
        if not parts:
            return {name: np.zeros(0, dtype=_DTYPES[name]) for name in _COLUMNS}
        if len(parts) == 1:
            return parts[0]
        return {name: np.concatenate([p[name] for p in parts]) for name in _COLUMNS}

    def _load_all(self, session: Session) -> None:
        """Every row, chunk by chunk, into buffers sized from a count (grown if rows arrive meanwhile)."""
        expected = session.scalar(select(func.count()).select_from(Report)) or 0
        self._hashes = np.zeros(0, dtype=np.uint64)
        self._codes = np.zeros(0, dtype=np.int64)
        self._buffers = {name: np.empty(expected + _headroom(expected), dtype=_DTYPES[name]) for name in _COLUMNS}
        self._n = 0
        self._sorted_keys.clear()
        for chunk in self._read(session, since=None):
            self._append(chunk)
        self._refresh()

    def _prune(self, session: Session) -> None:
        """Drop the rows deleted since the last sync: one id column is read, not every row."""
        t = Report.__table__.c
        result = session.connection().execute(select(t.id).order_by(t.id), execution_options={"yield_per": CHUNK})
        present = [np.fromiter((r[0] for r in part), np.int64, len(part)) for part in result.partitions(CHUNK)]
        present = np.concatenate(present) if present else np.zeros(0, dtype=np.int64)
        ids = self.columns["id"]
        at = np.searchsorted(present, ids)
        keep = (
            (at < len(present)) & (present[np.minimum(at, max(len(present) - 1, 0))] == ids)
            if len(present)
            else np.zeros(len(ids), dtype=bool)
        )
        if keep.all():
            return
        new_pos = (np.cumsum(keep) - 1).astype(np.int64)
        m = int(keep.sum())
        self._buffers = {name: _with_room(col[keep], _headroom(m)) for name, col in self.columns.items()}
        self._n = m
        self._refresh()
        for cache_key, (perm, keys, group_of_commune) in list(self._sorted_keys.items()):
            kept = keep[perm]
            self._sorted_keys[cache_key] = (new_pos[perm[kept]].astype(perm.dtype), keys[kept], group_of_commune)

    # -- columns ----------------------------------------------------------------------------------

    def _refresh(self) -> None:
        self.columns = {name: buf[: self._n] for name, buf in self._buffers.items()}

    def _append(self, rows: dict[str, np.ndarray]) -> None:
        """Write rows (ids above every known id) after the last one, growing the buffers if full."""
        k = len(rows["id"])
        if not k:
            return
        n = self._n
        if n + k > len(self._buffers["id"]):
            self._buffers = {name: _with_room(buf[:n], k + _headroom(n + k)) for name, buf in self._buffers.items()}
        for name in _COLUMNS:
            self._buffers[name][n : n + k] = rows[name]
        self._n = n + k

    def _merge(self, rows: dict[str, np.ndarray]) -> np.ndarray | None:
        """Update rows already known (moderation) and add new ones, keeping ids sorted.

        Returns the positions of the new rows when they were appended at the end (the usual
        case: ids grow), or None when existing rows moved.
        """
        ids = self.columns["id"]
        pos = np.searchsorted(ids, rows["id"])
        known = (
            (pos < len(ids)) & (ids[np.minimum(pos, len(ids) - 1)] == rows["id"])
            if len(ids)
            else np.zeros(len(pos), bool)
        )
        if known.any():
            for name in _COLUMNS:
                self.columns[name][pos[known]] = rows[name][known]
        fresh = ~known
        if not fresh.any():
            return np.zeros(0, dtype=np.int64)
        new = {name: rows[name][fresh] for name in _COLUMNS}
        order = np.argsort(new["id"], kind="stable")
        new = {name: col[order] for name, col in new.items()}
        n = len(ids)
        if n == 0 or new["id"][0] > ids[-1]:
            self._append(new)
            self._refresh()
            return np.arange(n, self._n)
        merged = {name: np.concatenate([self.columns[name], new[name]]) for name in _COLUMNS}
        order = np.argsort(merged["id"], kind="stable")
        self._n = len(order)
        self._buffers = {name: _with_room(col[order], _headroom(self._n)) for name, col in merged.items()}
        self._refresh()
        return None

    def _contributor_codes(self, values: Sequence[str | None], ids: np.ndarray) -> np.ndarray:
        """Dense codes of contributor strings, stable for the life of the index.

        A 64-bit hash of each string is looked up in a sorted table: 16 bytes per distinct
        contributor instead of a dict of Python strings (about 150). Distinct counts stay exact
        unless two of the contributors hash alike (odds about 3e-8 at a million of them).
        """
        n = len(ids)
        named = np.fromiter((v is not None and v != "" for v in values), bool, n)
        codes = _ANONYMOUS + ids
        if not named.any():
            return codes
        strings = [v for v in values if v]
        unique, inverse = np.unique(string_hashes(strings), return_inverse=True)
        at = np.searchsorted(self._hashes, unique)
        found = (
            (at < len(self._hashes)) & (self._hashes[np.minimum(at, max(len(self._hashes) - 1, 0))] == unique)
            if len(self._hashes)
            else np.zeros(len(unique), dtype=bool)
        )
        unique_codes = np.empty(len(unique), dtype=np.int64)
        unique_codes[found] = self._codes[at[found]]
        fresh = ~found
        unique_codes[fresh] = np.arange(len(self._codes), len(self._codes) + int(fresh.sum()))
        self._hashes = np.insert(self._hashes, at[fresh], unique[fresh])
        self._codes = np.insert(self._codes, at[fresh], unique_codes[fresh])
        codes[named] = unique_codes[inverse.reshape(-1)]
        return codes

    # -- snapshot ---------------------------------------------------------------------------------

    def _snapshot_prefix(self, session: Session) -> str:
        if self._token is None:
            self._token = database_token(session)
        return f"index-{self._token}-"

    def save_snapshot(self, session: Session) -> Path | None:
        """Write the columns as uncompressed .npy files that other processes memory-map.

        Named after the database's token, generation and version; written to a temporary folder
        renamed into place, so that a reader never sees half a snapshot. Older snapshots of the
        same database are removed.
        """
        if self.snapshot_dir is None or self.version is None:
            return None
        prefix = self._snapshot_prefix(session)
        path = self.snapshot_dir / f"{prefix}{self.version.generation}-{self.version.version}"
        if path.exists():
            return path
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            tmp.mkdir(parents=True, exist_ok=True)
            for name, col in self.columns.items():
                np.save(tmp / f"{name}.npy", col)
            np.save(tmp / "contributor_hashes.npy", self._hashes)
            np.save(tmp / "contributor_codes.npy", self._codes)
            meta = {
                "format": SNAPSHOT_FORMAT,
                "version": self.version.version,
                "generation": self.version.generation,
                "deletions": self.version.deletions,
                "rows": self._n,
                "communes": self.commune_codes,
            }
            (tmp / "meta.json").write_text(json.dumps(meta))
            os.replace(tmp, path)
        except OSError:
            _remove_tree(tmp)
            return None
        for old in self.snapshot_dir.glob(f"{prefix}*"):
            if old != path and old.is_dir():
                _remove_tree(old)
        return path

    def _load_snapshot(self, session: Session, latest: Version) -> bool:
        """Start from the newest snapshot of this generation not newer than the database.

        A snapshot at version v is a correct past state: later writes have a revision above v
        and later deletions moved the deletion count, so `sync` catches up from it.
        """
        if self.snapshot_dir is None or not self.snapshot_dir.is_dir():
            return False
        prefix = self._snapshot_prefix(session)
        candidates = []
        for folder in self.snapshot_dir.glob(f"{prefix}{latest.generation}-*"):
            try:
                meta = json.loads((folder / "meta.json").read_text())
            except (OSError, ValueError):
                continue
            if (
                meta.get("format") == SNAPSHOT_FORMAT
                and meta.get("communes") == self.commune_codes
                and meta["generation"] == latest.generation
                and meta["version"] <= latest.version
            ):
                candidates.append((meta["version"], folder, meta))
        if not candidates:
            return False
        _, folder, meta = max(candidates, key=lambda c: c[0])
        try:
            # Copy-on-write maps: pages stay shared with every process mapping the same file
            # until a process writes one (a moderated row), which copies that page only.
            buffers = {name: np.load(folder / f"{name}.npy", mmap_mode="c") for name in _COLUMNS}
            hashes = np.load(folder / "contributor_hashes.npy")
            codes = np.load(folder / "contributor_codes.npy")
        except (OSError, ValueError):
            return False
        self._buffers, self._hashes, self._codes = buffers, hashes, codes
        self._n = int(meta["rows"])
        self._refresh()
        self._sorted_keys.clear()
        self.version = Version(meta["version"], meta["generation"], meta["deletions"])
        return True

    # -- reading ----------------------------------------------------------------------------------

    def _tagged(self, session: Session, tags: tuple[str, ...]) -> np.ndarray:
        """Ids of the reports with any of these tags, memoised per data version: one filter change
        asks several aggregates with the same tags, and this SQL lookup would dominate their cost."""
        key = (tags, self.version)
        ids = self._tag_ids.get(key)
        if ids is None:
            ids = np.unique(
                np.fromiter(session.scalars(select(ReportTag.report_id).where(ReportTag.tag.in_(tags))), np.int64)
            )
            if len(self._tag_ids) >= 64:
                self._tag_ids.clear()
            self._tag_ids[key] = ids
        return ids

    def select(self, session: Session, flt: ReportFilter, places) -> np.ndarray:
        """Positions of the reports that match a filter (bbox, cursor and limit do not apply)."""
        c = self.columns
        mask = np.isin(c["status"], [STATUSES.index(s) for s in flt.statuses])
        if flt.themes:
            ids = session.scalars(select(Theme.id).where(Theme.slug.in_(flt.themes))).all()
            mask &= np.isin(c["theme_id"], ids)
        communes = places_of_filter(flt, places)
        if communes is not None:
            mask &= np.isin(c["commune"], [self._commune_pos[code] for code in communes])
        if flt.since:
            mask &= c["created"] >= _epoch(flt.since)
        if flt.until:
            mask &= c["created"] < _epoch(flt.until)
        if flt.bbox:
            min_lon, min_lat, max_lon, max_lat = flt.bbox
            mask &= (c["lon"] >= min_lon) & (c["lon"] <= max_lon) & (c["lat"] >= min_lat) & (c["lat"] <= max_lat)
        if flt.tags:
            mask &= np.isin(c["id"], self._tagged(session, flt.tags), assume_unique=False)
        if flt.progress:
            mask &= np.isin(c["progress"], [_PROGRESS_CODE[p] for p in flt.progress])
        if flt.workshop:
            workshop_id = session.scalar(select(Workshop.id).where(Workshop.code == flt.workshop))
            mask &= c["workshop"] == (workshop_id or -1)
        return np.flatnonzero(mask)

    # -- distinct contributors --------------------------------------------------------------------

    def _distinct_keys(self, group_of_commune: np.ndarray, by_theme: bool, positions: np.ndarray) -> np.ndarray:
        """(group[, theme], contributor) packed in one int64, in fixed spans so keys never change."""
        c = self.columns
        cell = group_of_commune[c["commune"][positions]].astype(np.int64)
        if by_theme:
            cell = cell * _THEME_SPAN + c["theme_id"][positions]
        return cell * _CONTRIBUTOR_SPAN + c["contributor"][positions]

    def _update_sorted_keys(self, appended: np.ndarray | None) -> None:
        """Insert the keys of appended rows into each sorted order: O(n), not a new sort.

        Moderation changes a row's status, never its commune, theme or contributor, so rows
        updated in place keep their keys.
        """
        if appended is None:
            self._sorted_keys.clear()
            return
        if not len(appended):
            return
        for cache_key, (perm, keys, group_of_commune) in list(self._sorted_keys.items()):
            new_keys = self._distinct_keys(group_of_commune, cache_key[1], appended)
            order = np.argsort(new_keys, kind="stable")
            at = np.searchsorted(keys, new_keys[order], side="right")
            self._sorted_keys[cache_key] = (
                np.insert(perm, at, appended[order].astype(perm.dtype)),
                np.insert(keys, at, new_keys[order]),
                group_of_commune,
            )

    def sorted_keys(self, group_of_commune: np.ndarray, by_theme: bool) -> tuple[np.ndarray, np.ndarray]:
        """The order of the rows by (group[, theme], contributor), built once per grouping.

        Positions are int32 below 2**31 rows: 12 bytes a report per grouping, not 16.
        """
        cache_key = (group_of_commune.tobytes(), by_theme)
        entry = self._sorted_keys.get(cache_key)
        if entry is None:
            keys = self._distinct_keys(group_of_commune, by_theme, np.arange(len(self)))
            perm = np.argsort(keys, kind="stable").astype(np.int32 if len(self) < 2**31 else np.int64)
            entry = self._sorted_keys[cache_key] = (perm, keys[perm], group_of_commune)
            del keys
        return entry[0], entry[1]

    def distinct_contributors(
        self, rows: np.ndarray, group_of_commune: np.ndarray, n_groups: int, theme_pos: np.ndarray | None, n_themes: int
    ) -> np.ndarray:
        """Distinct contributors per (group, theme) — or per group when `theme_pos` is None.

        Counting distinct values needs a sort; sorting a million keys on every request would
        cost more than the whole response budget. Keys are sorted once per grouping and kept
        sorted as rows arrive; a selection keeps that order, so distinct keys are found with one
        linear pass.
        """
        perm, keys = self.sorted_keys(group_of_commune, theme_pos is not None)
        if len(rows) < len(perm):
            selected = np.zeros(len(perm), dtype=bool)
            selected[rows] = True
            keys = keys[selected[perm]]
        first = np.ones(len(keys), dtype=bool)
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        cells = keys[first] // _CONTRIBUTOR_SPAN
        if theme_pos is None:
            return np.bincount(cells, minlength=n_groups)[:n_groups]
        group, theme_id = np.divmod(cells, _THEME_SPAN)
        flat = np.bincount(group * n_themes + theme_pos[theme_id], minlength=n_groups * n_themes)
        return flat[: n_groups * n_themes].reshape(n_groups, n_themes)


def _with_room(values: np.ndarray, room: int) -> np.ndarray:
    buf = np.empty(len(values) + room, dtype=values.dtype)
    buf[: len(values)] = values
    return buf


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def places_of_filter(flt: ReportFilter, places) -> list[str] | None:
    """The commune codes a filter allows (communes AND territoires AND départements), or None for all."""
    if not (flt.communes or flt.territoires or flt.departements):
        return None
    allowed = set(places.code.tolist())
    if flt.communes:
        allowed &= set(flt.communes)
    if flt.territoires:
        allowed &= {c for c, t in zip(places.code, places.territoire_code) if t in flt.territoires}
    if flt.departements:
        allowed &= {c for c, d in zip(places.code, places.departement) if d in flt.departements}
    return sorted(allowed)


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def string_hashes(values: Sequence[str]) -> np.ndarray:
    """Stable 64-bit hashes of strings, vectorised (FNV-1a over code points, then a splitmix64 finish).

    Python's hash() is salted per process, and hashlib costs a call per string; this one is
    the same in every process (snapshots) and costs a few array passes per chunk.
    """
    if not len(values):
        return np.zeros(0, dtype=np.uint64)
    text = np.asarray(values, dtype=str)
    width = text.dtype.itemsize // 4
    points = np.ascontiguousarray(text).view(np.uint32).reshape(len(values), width)
    h = np.full(len(values), _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(width):
            h ^= points[:, j]
            h *= _FNV_PRIME
        h ^= np.char.str_len(text).astype(np.uint64)
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


_HEX = np.full(256, -1, dtype=np.int64)
_HEX[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_HEX[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_HEX[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)


def hex_to_int64(values: Sequence[str]) -> np.ndarray:
    """H3 cell ids (15 hex digits) to integers, vectorised: int(c, 16) per row is slow at 10^6."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    digits = _HEX[np.asarray(values, dtype="S15").view(np.uint8).reshape(len(values), 15)]
    return digits @ (16 ** np.arange(14, -1, -1, dtype=np.int64))
