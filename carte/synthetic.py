"""Realistic synthetic reports, for benchmarks and demonstrations (`flask carte generate`).

Density follows population; two themes are planted as metropolitan needs (raised
everywhere), one is concentrated in a single commune, a few local hotspots repeat
the same complaint within a few hundred metres (one straddles the Saint-Ouen /
Paris 18e border), and dates spread over the last year.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from carte.demo import DEMO_TITLES, THEMES
from carte.places import Atlas

METROPOLITAN_THEMES = ("mobilite", "logement")
CONCENTRATED = ("securite-tranquillite", "93048")  # theme, commune
# (theme, lon, lat, share of N, title): sigma 200 m around each centre.
HOTSPOTS = [
    ("espaces-publics-proprete", 2.3400, 48.9015, 0.004, "Dépôts sauvages sous le périphérique"),
    ("environnement-nature", 2.2480, 48.8400, 0.003, "Arbres abattus le long du quai"),
    ("mobilite", 2.4400, 48.8480, 0.003, "Carrefour dangereux pour les vélos"),
    ("sante-services", 2.4700, 48.7900, 0.002, "Centre de santé saturé"),
]
TAGS = ["quotidien", "urgent", "enfants", "personnes âgées", "nuit", "week-end", "accessibilité"]


@dataclass
class SyntheticReports:
    lon: np.ndarray
    lat: np.ndarray
    commune: np.ndarray  # INSEE codes
    arrondissement: np.ndarray  # Paris arrondissement codes, None elsewhere
    theme: np.ndarray  # slugs
    created_at: list[datetime]
    contributor: list[str]
    title: list[str]
    tags: list[tuple[str, ...]]


def _points_in(atlas: Atlas, rng: np.random.Generator, code_index: np.ndarray, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside each requested commune, by rejection in its bounding box."""
    lon = np.empty(len(code_index))
    lat = np.empty(len(code_index))
    polygons = dict(zip(sorted(atlas.communes), atlas.commune_polygons))
    for i, code in enumerate(codes):
        wanted = np.flatnonzero(code_index == i)
        minx, miny, maxx, maxy = polygons[code].bounds
        filled = 0
        while filled < len(wanted):
            k = max(64, 2 * (len(wanted) - filled))
            x = rng.uniform(minx, maxx, k)
            y = rng.uniform(miny, maxy, k)
            inside = atlas.commune_locator.locate_many(x, y) == code
            take = min(int(inside.sum()), len(wanted) - filled)
            lon[wanted[filled:filled + take]] = x[inside][:take]
            lat[wanted[filled:filled + take]] = y[inside][:take]
            filled += take
    return lon, lat


def generate(atlas: Atlas, n: int, seed: int, now: datetime | None = None) -> SyntheticReports:
    rng = np.random.default_rng(seed)
    now = now or datetime.now(timezone.utc)
    slugs = [t[0] for t in THEMES]
    codes = sorted(atlas.communes)
    population = np.array([atlas.communes[c]["population"] for c in codes], dtype=float)

    n_hot = [int(share * n) for *_, share, _ in HOTSPOTS]
    n_base = n - sum(n_hot)
    commune_idx = rng.choice(len(codes), size=n_base, p=population / population.sum())
    lon, lat = _points_in(atlas, rng, commune_idx, codes)
    weights = np.ones(len(slugs))
    weights[[slugs.index(t) for t in METROPOLITAN_THEMES]] = 3.0
    theme = np.asarray(slugs, dtype=object)[rng.choice(len(slugs), size=n_base, p=weights / weights.sum())]
    concentrated_theme, concentrated_commune = CONCENTRATED
    theme[theme == concentrated_theme] = "vie-associative-culture"
    in_commune = np.flatnonzero(commune_idx == codes.index(concentrated_commune))
    theme[in_commune[: len(in_commune) // 3]] = concentrated_theme
    titles = [DEMO_TITLES[t][rng.integers(len(DEMO_TITLES[t]))] for t in theme]

    for (hot_theme, hx, hy, _share, hot_title), k in zip(HOTSPOTS, n_hot):
        x = hx + rng.normal(0, 200 / 73_000, k)
        y = hy + rng.normal(0, 200 / 111_000, k)
        keep = atlas.commune_locator.locate_many(x, y) != None  # noqa: E711 (numpy elementwise)
        lon = np.concatenate([lon, x[keep]])
        lat = np.concatenate([lat, y[keep]])
        theme = np.concatenate([theme, np.full(int(keep.sum()), hot_theme, dtype=object)])
        titles += [hot_title] * int(keep.sum())

    total = len(lon)
    communes = atlas.commune_locator.locate_many(lon, lat)
    arrondissements = np.where(
        communes == "75056", atlas.arrondissement_locator.locate_many(lon, lat), None
    )
    seconds = rng.uniform(0, 365 * 24 * 3600, total)
    created = [now - timedelta(seconds=float(s)) for s in seconds]
    # A few residents report a lot, most report once or twice.
    pool = max(1, total // 3)
    contributor = np.char.add(f"synth-{seed}-", rng.zipf(1.6, total).clip(max=pool).astype(str))
    contributor = np.where(rng.random(total) < 0.5, np.char.add(f"synth-{seed}-u", np.arange(total).astype(str)), contributor)
    n_tags = rng.integers(0, 3, total)
    tags = [tuple(sorted({str(t) for t in rng.choice(TAGS, size=k)})) if k else () for k in n_tags]
    return SyntheticReports(lon, lat, communes, arrondissements, theme, created, contributor.tolist(), titles, tags)
