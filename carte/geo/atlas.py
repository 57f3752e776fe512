"""The in-memory atlas of MGP communes and Paris arrondissements.

Loaded once per process from the generated `data/*.geojson` files: locating a
point in memory (see `carte.geo.locate`) is much faster than a spatial join in
the database, and it behaves identically on SpatiaLite and PostGIS.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from shapely.geometry import shape

from carte.aggregation import Places
from carte.followup.bodies import Bodies
from carte.geo.communes import read_geojson
from carte.geo.locate import PlaceLocator

log = logging.getLogger(__name__)

COMMUNES_FILE = "communes.geojson"
ARRONDISSEMENTS_FILE = "arrondissements.geojson"
WEB_FILE = "communes.web.geojson"


class MissingData(RuntimeError):
    """The generated data files are not there: `flask carte build-communes` first."""


@dataclass(frozen=True)
class Placement:
    commune_code: str
    arrondissement_code: str | None


@dataclass
class Atlas:
    communes: dict[str, dict]
    arrondissements: dict[str, dict]
    commune_locator: PlaceLocator
    arrondissement_locator: PlaceLocator
    web_geojson: bytes
    commune_polygons: list = field(default_factory=list)
    _cells_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @cached_property
    def aggregation_places(self) -> Places:
        """The communes as the aggregation service wants them, sorted by code."""
        rows = [self.communes[code] for code in sorted(self.communes)]
        return Places(
            code=[r["code"] for r in rows],
            nom=[r["nom"] for r in rows],
            territoire_code=[r["territoire_code"] for r in rows],
            territoire_nom=[r["territoire_nom"] for r in rows],
            departement=[r["departement"] for r in rows],
            population=[r["population"] for r in rows],
        )

    @property
    def cell_places(self):
        """The cached H3 cell -> commune codes lookup of hotspots: a pure function of the polygons,
        so every app sharing this atlas shares it (and its cache). Built on the first hotspots, under a
        lock: its module loads scipy, which command-line tools never need at start-up."""
        lookup = self.__dict__.get("_cell_places")
        if lookup is None:
            with self._cells_lock:
                lookup = self.__dict__.get("_cell_places")
                if lookup is None:
                    from carte.aggregation import cell_places_from_polygons

                    lookup = self.__dict__["_cell_places"] = cell_places_from_polygons(
                        self.aggregation_places.code, self.commune_polygons
                    )
        return lookup

    @cached_property
    def bodies(self) -> Bodies:
        """The responsible bodies (communes, territories, the Métropole) of these communes."""
        return Bodies(self.communes)

    @classmethod
    def load(cls, data_dir: str | Path) -> Atlas:
        data_dir = Path(data_dir)
        paths = [data_dir / name for name in (COMMUNES_FILE, ARRONDISSEMENTS_FILE, WEB_FILE)]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise MissingData(
                f"Missing generated data {', '.join(missing)}: run `flask --app wsgi carte build-communes`."
            )
        communes_fc = read_geojson(paths[0])
        arr_fc = read_geojson(paths[1])
        # Sorted by code: the locator gives a point on a shared border to the lowest code.
        by_code = sorted(communes_fc["features"], key=lambda f: f["properties"]["code"])
        polygons = [shape(f["geometry"]) for f in by_code]
        return cls(
            communes={f["properties"]["code"]: f["properties"] for f in by_code},
            arrondissements={f["properties"]["code"]: f["properties"] for f in arr_fc["features"]},
            commune_locator=PlaceLocator(polygons, [f["properties"]["code"] for f in by_code]),
            arrondissement_locator=PlaceLocator.from_features(arr_fc["features"], key="code"),
            web_geojson=json.dumps(read_geojson(paths[2]), separators=(",", ":")).encode(),
            commune_polygons=polygons,
        )

    def place(self, lon: float, lat: float) -> Placement | None:
        """The commune (and arrondissement, in Paris) holding the point, or None outside the MGP."""
        commune = self.commune_locator.locate(lon, lat)
        if not commune:
            return None
        arrondissement = None
        if commune == "75056":
            arrondissement = self.arrondissement_locator.locate(lon, lat) or None
        return Placement(commune, arrondissement)

    def representative_point(self, code: str) -> tuple[float, float]:
        lon, lat = self.communes[code]["rep_point"]
        return float(lon), float(lat)


_ATLASES: dict[Path, Atlas] = {}
_LOADING = threading.Lock()


def load_atlas(data_dir: str | Path) -> Atlas:
    """The atlas of a data folder, loaded once per process.

    Building the locator takes a moment, so apps sharing a data folder (test apps, gunicorn
    threads) share one atlas; the lock makes two threads asking at once get the same one.
    Restart the process after rebuilding the data.
    """
    data_dir = Path(data_dir).resolve()
    atlas = _ATLASES.get(data_dir)
    if atlas is None:
        with _LOADING:
            atlas = _ATLASES.get(data_dir)
            if atlas is None:
                atlas = _ATLASES[data_dir] = Atlas.load(data_dir)
    return atlas


def install(app) -> None:
    """Load the app's atlas in create_app, into `app.extensions["carte_atlas"]`.

    Before the data is built (`flask carte build-communes`, a test's first app) there is
    nothing to load: creating the app must not fail, and `get_atlas` loads it on first use.
    """
    try:
        app.extensions["carte_atlas"] = load_atlas(app.config["CARTE_DATA_DIR"])
    except MissingData:
        pass
    except Exception as exc:  # noqa: BLE001 - unreadable data must not stop `build-communes --force` from repairing it
        log.warning("atlas not loaded at start-up (%s); loaded on first use", exc)


def get_atlas(app) -> Atlas:
    """The app's atlas: the one create_app loaded, or (data built since) loaded now, under the lock."""
    atlas = app.extensions.get("carte_atlas")
    if atlas is None:
        atlas = app.extensions["carte_atlas"] = load_atlas(app.config["CARTE_DATA_DIR"])
    return atlas
