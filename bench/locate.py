"""Benchmark: point -> commune lookup on 1,000,000 uniform random points in the MGP bounding box.

Run from the repository root:  .venv/bin/python bench/locate.py [--points N] [--repeat R]
Communes come from data/communes.geojson when present, otherwise they are built from the data
mirror named by CARTE_SOURCES (default ../shared/data). Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from shapely.geometry import shape  # noqa: E402

from carte.geo import PlaceLocator, build_communes, load_sources, read_geojson  # noqa: E402
from carte.geo.locate import DEFAULT_CELL_M  # noqa: E402


def load_communes(from_sources: bool) -> tuple[dict, str]:
    built = ROOT / "data" / "communes.geojson"
    if built.is_file() and not from_sources:
        return read_geojson(built), str(built.relative_to(ROOT))
    mirror = os.environ.get("CARTE_SOURCES") or str(ROOT.parent / "shared" / "data")
    started = time.perf_counter()
    communes, _ = build_communes(load_sources(mirror))
    return communes, f"built from {mirror} in {time.perf_counter() - started:.2f} s"


def best_of(repeat: int, func) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cell-m", type=float, default=DEFAULT_CELL_M)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--from-sources", action="store_true", help="ignore data/communes.geojson")
    args = parser.parse_args()

    communes, origin = load_communes(args.from_sources)
    geoms = np.array([shape(f["geometry"]) for f in communes["features"]], dtype=object)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, shapely {shapely.__version__}, "
        f"{os.cpu_count()} CPU(s), {platform.processor() or platform.machine()}"
    )
    print(f"communes: {len(geoms)} ({origin}), {shapely.get_num_coordinates(geoms).sum()} vertices")

    build_s, locator = best_of(3, lambda: PlaceLocator.from_features(communes, cell_m=args.cell_m))
    stats = locator.stats
    print(
        f"grid build: {build_s:.3f} s (best of 3), {stats.nx}x{stats.ny} cells of {stats.cell_m:.0f} m, "
        f"{stats.boundary_cells} border cells ({stats.boundary_cells / (stats.nx * stats.ny):.1%})"
    )

    rng = np.random.default_rng(args.seed)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    lons = rng.uniform(minx, maxx, args.points)
    lats = rng.uniform(miny, maxy, args.points)

    grid_s, codes = best_of(args.repeat, lambda: locator.locate_many(lons, lats))
    inside = float(np.mean(codes != None))  # noqa: E711 (elementwise)
    print(
        f"PlaceLocator.locate_many: {args.points / grid_s:,.0f} points/s "
        f"({grid_s * 1000:.1f} ms for {args.points:,}, best of {args.repeat}); inside the MGP: {inside:.1%}"
    )

    single = 20_000
    single_s, _ = best_of(1, lambda: [locator.locate(x, y) for x, y in zip(lons[:single], lats[:single])])
    print(f"PlaceLocator.locate (one point per call): {single / single_s:,.0f} points/s")

    tree = shapely.STRtree(geoms)

    def strtree_codes() -> np.ndarray:
        pi, gi = tree.query(shapely.points(lons, lats), predicate="intersects")
        first = np.full(len(lons), len(geoms))
        np.minimum.at(first, pi, gi)
        return first

    tree_s, first = best_of(1, strtree_codes)
    print(f"plain STRtree query (points + query + first match): {args.points / tree_s:,.0f} points/s ({tree_s:.2f} s)")
    same = np.array_equal(locator.locate_indices(lons, lats), np.where(first == len(geoms), -1, first))
    print(f"identical answers: {same}; speed-up: {tree_s / grid_s:.0f}x")
    if not same:
        raise SystemExit("locate_many disagrees with the STRtree reference")


if __name__ == "__main__":
    main()
