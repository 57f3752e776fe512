"""The plain-array inputs of the aggregation service.

Storage builds these from SQL rows or rollups; nothing here knows about a database or a request.
Arrays are numpy arrays (lists are accepted and converted). Communes are referenced by their row
index in :class:`Places` (or by INSEE code where noted), themes by their index in a ``themes`` tuple
of slugs (or by slug).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

LEVELS: tuple[str, ...] = ("commune", "territoire", "departement", "metropole")
# Levels that similar places and passerelles compare, and the units a rate may count: here, with
# the other choices a route checks, so that routes need not import the scipy-backed modules.
SIMILAR_LEVELS: tuple[str, ...] = ("commune", "territoire")
COUNT_UNITS: tuple[str, ...] = ("reports", "contributors")
METROPOLE_CODE = "200054781"  # SIREN of the Métropole du Grand Paris
METROPOLE_NOM = "Métropole du Grand Paris"
DEPARTEMENT_NOMS: dict[str, str] = {
    "75": "Paris",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
}


def _str_array(values: Sequence[str] | np.ndarray) -> np.ndarray:
    return np.asarray([str(v) for v in values], dtype=object)


@dataclass(frozen=True)
class LevelGroups:
    """The places of one level and, for each commune, the index of the place it belongs to."""

    level: str
    codes: np.ndarray  # (n_places,) object str
    noms: np.ndarray  # (n_places,) object str
    population: np.ndarray  # (n_places,) float64
    of_commune: np.ndarray  # (n_communes,) int64 index into codes


@dataclass(frozen=True)
class Places:
    """The commune reference (130 rows in production), with their territory and département.

    ``territoire_code`` is the EPT SIREN, or "75056" for Paris. ``population`` is the municipal
    population (rates per 10,000 inhabitants use it).
    """

    code: np.ndarray
    nom: np.ndarray
    territoire_code: np.ndarray
    territoire_nom: np.ndarray
    departement: np.ndarray
    population: np.ndarray

    def __post_init__(self) -> None:
        for name in ("code", "nom", "territoire_code", "territoire_nom", "departement"):
            object.__setattr__(self, name, _str_array(getattr(self, name)))
        object.__setattr__(self, "population", np.asarray(self.population, dtype=np.float64))
        n = len(self.code)
        for name in ("nom", "territoire_code", "territoire_nom", "departement", "population"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Places.{name} has {len(getattr(self, name))} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.code)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.code)}

    def index_of(self, codes: Sequence[str] | np.ndarray) -> np.ndarray:
        """Row indices of INSEE codes (vectorised over unique codes); unknown codes raise KeyError."""
        codes = np.asarray(codes, dtype=object)
        if codes.size == 0:
            return np.zeros(0, dtype=np.int64)
        uniq, inverse = np.unique(codes.astype(str), return_inverse=True)
        lookup = np.array([self._index[c] for c in uniq], dtype=np.int64)
        return lookup[inverse]

    def commune_index(self, communes: Sequence | np.ndarray) -> np.ndarray:
        """Accept either row indices or INSEE codes and return row indices."""
        arr = np.asarray(communes)
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        if arr.dtype.kind in "iu":
            return arr.astype(np.int64, copy=False)
        return self.index_of(arr)

    @cached_property
    def _groups(self) -> dict[str, LevelGroups]:
        out: dict[str, LevelGroups] = {}
        n = len(self)
        out["commune"] = LevelGroups("commune", self.code, self.nom, self.population, np.arange(n))
        for level, codes, names in (
            ("territoire", self.territoire_code, self.territoire_nom),
            ("departement", self.departement, None),
        ):
            uniq, first, inverse = np.unique(codes.astype(str), return_index=True, return_inverse=True)
            noms = (
                names[first]
                if names is not None
                else np.asarray([DEPARTEMENT_NOMS.get(c, c) for c in uniq], dtype=object)
            )
            pop = np.bincount(inverse, weights=self.population, minlength=len(uniq))
            out[level] = LevelGroups(level, uniq.astype(object), noms, pop, inverse.astype(np.int64))
        out["metropole"] = LevelGroups(
            "metropole",
            np.asarray([METROPOLE_CODE], dtype=object),
            np.asarray([METROPOLE_NOM], dtype=object),
            np.asarray([self.population.sum()], dtype=np.float64),
            np.zeros(n, dtype=np.int64),
        )
        return out

    def groups(self, level: str) -> LevelGroups:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")
        return self._groups[level]

    @cached_property
    def territoire_of_code(self) -> dict[str, str]:
        return dict(zip(self.code.tolist(), self.territoire_code.tolist()))


def theme_index(themes: Sequence[str], values: Sequence | np.ndarray) -> np.ndarray:
    """Accept theme indices or slugs and return indices into ``themes``."""
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    pos = {t: i for i, t in enumerate(themes)}
    uniq, inverse = np.unique(arr.astype(str), return_inverse=True)
    return np.array([pos[t] for t in uniq], dtype=np.int64)[inverse]


def _factorise(values: np.ndarray) -> np.ndarray:
    """Dense integer codes 0..k-1 for any sortable array (sort-based: numpy's hash unique is slow here)."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    changed = np.empty(len(values), dtype=bool)
    changed[:1] = True
    changed[1:] = sorted_values[1:] != sorted_values[:-1]
    codes = np.empty(len(values), dtype=np.int64)
    codes[order] = np.cumsum(changed) - 1
    return codes


def _distinct_per_cell(
    group: np.ndarray, theme: np.ndarray, contributor: np.ndarray, n_groups: int, n_themes: int
) -> np.ndarray:
    """Distinct contributors per (group, theme), vectorised: sort composite keys, count first rows."""
    out = np.zeros(n_groups * n_themes, dtype=np.int64)
    if len(group) == 0:
        return out.reshape(n_groups, n_themes)
    contributor = np.asarray(contributor)
    if contributor.dtype.kind not in "iu":
        contributor = contributor.astype(str)
    contrib_codes = _factorise(contributor)
    base = np.int64(contrib_codes.max() + 1)
    key = np.sort((group.astype(np.int64) * n_themes + theme.astype(np.int64)) * base + contrib_codes)
    first = np.empty(len(key), dtype=bool)
    first[:1] = True
    first[1:] = key[1:] != key[:-1]
    out[:] = np.bincount(key[first] // base, minlength=out.size)
    return out.reshape(n_groups, n_themes)


def _distinct_per_group(group: np.ndarray, contributor: np.ndarray, n_groups: int) -> np.ndarray:
    return _distinct_per_cell(group, np.zeros_like(group), contributor, n_groups, 1)[:, 0]


@dataclass(frozen=True)
class CountTable:
    """Report counts by (commune, theme): raw reports (count = 1 each) or storage rollups.

    Rows may repeat a (commune, theme) pair, e.g. a (commune, theme, day) rollup filtered on a date
    range: counts are summed. Distinct contributors cannot be summed across rows, so they come either
    from ``contributor`` (one id per row: raw reports, or a (commune, theme, contributor) rollup;
    exact at every level) or from ``contributors``/``place_contributors`` precomputed by storage per
    level. When neither is given, contributor figures are None.
    """

    commune: np.ndarray  # int64 row index into Places (or INSEE codes, converted by resolve())
    theme: np.ndarray  # int64 index into ``themes`` (or slugs)
    count: np.ndarray  # int64 number of reports in the row
    themes: tuple[str, ...]
    contributor: np.ndarray | None = None  # per-row contributor id (int64 or str)
    # level -> (n_places_at_level, n_themes) distinct contributors, as precomputed by storage
    contributors: Mapping[str, np.ndarray] | None = None
    # level -> (n_places_at_level,) distinct contributors over all themes
    place_contributors: Mapping[str, np.ndarray] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "themes", tuple(str(t) for t in self.themes))
        object.__setattr__(self, "theme", theme_index(self.themes, self.theme))
        object.__setattr__(self, "count", np.asarray(self.count, dtype=np.int64).reshape(-1))
        if self.contributor is not None:
            object.__setattr__(self, "contributor", np.asarray(self.contributor))

    @classmethod
    def from_reports(cls, reports: ReportArrays) -> CountTable:
        """Raw reports as a count table: one row per report, count 1, exact distinct contributors."""
        n = len(reports)
        return cls(reports.commune, reports.theme, np.ones(n, dtype=np.int64), reports.themes, reports.contributor)

    def matrix(self, places: Places) -> np.ndarray:
        """(n_communes, n_themes) int64 counts."""
        n_t = len(self.themes)
        out = np.zeros(len(places) * n_t, dtype=np.int64)
        if len(self.count):
            commune = places.commune_index(self.commune)
            out = np.bincount(commune * n_t + self.theme, weights=self.count, minlength=out.size)
            out = np.rint(out).astype(np.int64)
        return out.reshape(len(places), n_t)

    def contributor_matrix(self, places: Places, level: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Distinct contributors per (place, theme) and per place at ``level``, or (None, None)."""
        groups = places.groups(level)
        if self.contributors is not None and level in self.contributors:
            per_cell = np.asarray(self.contributors[level], dtype=np.int64)
            per_place = None
            if self.place_contributors is not None and level in self.place_contributors:
                per_place = np.asarray(self.place_contributors[level], dtype=np.int64)
            return per_cell, per_place
        if self.contributor is None:
            return None, None
        keep = self.count > 0
        group = groups.of_commune[places.commune_index(self.commune)][keep]
        theme = self.theme[keep]
        contrib = self.contributor[keep]
        per_cell = _distinct_per_cell(group, theme, contrib, len(groups.codes), len(self.themes))
        per_place = _distinct_per_group(group, contrib, len(groups.codes))
        return per_cell, per_place


@dataclass(frozen=True)
class ReportArrays:
    """One row per report (raw, not rolled up): used by issue groups and small selections.

    ``commune`` holds row indices into Places or INSEE codes; ``theme`` indices into ``themes`` or
    slugs; ``h3`` the cell (str or int) at the resolution storage indexed, if any.
    """

    id: np.ndarray  # public id (str)
    commune: np.ndarray
    theme: np.ndarray
    contributor: np.ndarray  # int64 or str; distinct values are counted
    lat: np.ndarray  # float64 WGS84
    lon: np.ndarray  # float64 WGS84
    themes: tuple[str, ...]
    created_at: np.ndarray | None = None  # datetime64
    h3: np.ndarray | None = None
    title: np.ndarray | None = None  # str, needed by issue groups
    description: np.ndarray | None = None  # str, optional for issue groups

    def __post_init__(self) -> None:
        object.__setattr__(self, "themes", tuple(str(t) for t in self.themes))
        object.__setattr__(self, "id", np.asarray(self.id, dtype=object))
        object.__setattr__(self, "commune", np.asarray(self.commune))
        object.__setattr__(self, "theme", theme_index(self.themes, self.theme))
        object.__setattr__(self, "contributor", np.asarray(self.contributor))
        object.__setattr__(self, "lat", np.asarray(self.lat, dtype=np.float64))
        object.__setattr__(self, "lon", np.asarray(self.lon, dtype=np.float64))
        for name in ("title", "description", "h3"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, np.asarray(value, dtype=object))
        if self.created_at is not None:
            object.__setattr__(self, "created_at", np.asarray(self.created_at, dtype="datetime64[s]"))
        n = len(self.id)
        for name in ("commune", "theme", "contributor", "lat", "lon"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"ReportArrays.{name} has {len(getattr(self, name))} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.id)

    def subset(self, mask: np.ndarray) -> ReportArrays:
        def pick(a):
            return None if a is None else a[mask]

        return ReportArrays(
            id=self.id[mask],
            commune=self.commune[mask],
            theme=self.theme[mask],
            contributor=self.contributor[mask],
            lat=self.lat[mask],
            lon=self.lon[mask],
            themes=self.themes,
            created_at=pick(self.created_at),
            h3=pick(self.h3),
            title=pick(self.title),
            description=pick(self.description),
        )


# The issue groups' distances and text threshold, here so that the similar-reports query shares them
# without loading scikit-learn and scipy at start-up (issue_groups imports both).
EARTH_RADIUS_M = 6_371_008.8
RADIUS_M = 150.0
MIN_SIMILARITY = 0.35
METRES_PER_DEGREE = 111_195.0  # of latitude; only to bucket reports, distances are haversine
