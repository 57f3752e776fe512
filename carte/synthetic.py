"""Realistic synthetic reports, for benchmarks and demonstrations (`flask carte generate`).

The structure is modelled on the DansMaRue file of Paris (2023-2024, see /work/shared/data):
* some themes follow the population (« metropolitan » needs: mobility, cleanliness, housing,
  nature), others are concentrated in a few communes with a thin background everywhere (local
  needs), so that the shared-needs badge has something to separate;
* a few hotspots repeat the same complaint within a few hundred metres (one straddles the
  Saint-Ouen / Paris 18e border);
* about 12 % of reports are near-duplicates of another one (same title, a few tens of metres
  away, a few days later), as in DansMaRue where 12.2 % of reports share sub-type and address;
* weekly rhythm (Monday 1.15, Sunday 0.77 of the mean day) and seasons (March, June, July high;
  October, December low), read from the same file;
* contributors live somewhere: 40 % of reports come from people who post once, the rest from
  regulars of the commune (a pool proportional to its population), the j-th posting in
  proportion to 1/j, so that a few people post many times.
Everything is vectorised with numpy (one Python loop over the 130 communes for the points), so
that generation stays far faster than insertion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from carte.demo import DEMO_TITLES, THEMES
from carte.geo.atlas import Atlas

# Themes spread like the population, and their share of reports.
POPULATION_THEMES = {"mobilite": 0.22, "espaces-publics-proprete": 0.24, "logement": 0.11, "environnement-nature": 0.09}
# Local themes: share of reports, number of communes holding most of them, share held there.
LOCAL_THEMES = {
    "emploi-insertion": (0.07, 4, 0.85),
    "securite-tranquillite": (0.05, 3, 0.85),
    "sante-services": (0.06, 5, 0.8),
    "education-jeunesse": (0.05, 4, 0.8),
    "numerique-droits": (0.04, 3, 0.85),
    "vie-associative-culture": (0.07, 6, 0.8),
}
METROPOLITAN_THEMES = tuple(POPULATION_THEMES)
LOCAL = tuple(LOCAL_THEMES)
# (theme, lon, lat, share of N, title): sigma 200 m around each centre.
HOTSPOTS = [
    ("espaces-publics-proprete", 2.3400, 48.9015, 0.004, "Dépôts sauvages sous le périphérique"),
    ("environnement-nature", 2.2480, 48.8400, 0.003, "Arbres abattus le long du quai"),
    ("mobilite", 2.4400, 48.8480, 0.003, "Carrefour dangereux pour les vélos"),
    ("sante-services", 2.4700, 48.7900, 0.002, "Centre de santé saturé"),
]
DUPLICATE_SHARE = 0.12
WEEKDAY = np.array([1.15, 1.08, 1.12, 1.07, 0.97, 0.84, 0.77])  # Monday first (DansMaRue)
MONTH = np.array([1.04, 0.84, 1.30, 1.09, 0.98, 1.24, 1.30, 1.19, 0.80, 0.71, 0.89, 0.63])
ONE_OFF_SHARE = 0.4  # reports by people who post once
REGULARS_PER = 500  # inhabitants per regular contributor
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


def _points_in(
    atlas: Atlas, rng: np.random.Generator, code_index: np.ndarray, codes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside each requested commune, by rejection in its bounding box."""
    lon = np.empty(len(code_index))
    lat = np.empty(len(code_index))
    polygons = dict(zip(sorted(atlas.communes), atlas.commune_polygons))
    order = np.argsort(code_index, kind="stable")
    bounds = np.searchsorted(code_index[order], np.arange(len(codes) + 1))
    for i, code in enumerate(codes):
        wanted = order[bounds[i] : bounds[i + 1]]
        if not len(wanted):
            continue
        minx, miny, maxx, maxy = polygons[code].bounds
        filled = 0
        while filled < len(wanted):
            k = max(64, 2 * (len(wanted) - filled))
            x = rng.uniform(minx, maxx, k)
            y = rng.uniform(miny, maxy, k)
            inside = atlas.commune_locator.locate_many(x, y) == code
            take = min(int(inside.sum()), len(wanted) - filled)
            lon[wanted[filled : filled + take]] = x[inside][:take]
            lat[wanted[filled : filled + take]] = y[inside][:take]
            filled += take
    return lon, lat


def _dates(rng: np.random.Generator, k: int, now: datetime) -> np.ndarray:
    """Seconds before ``now`` over the last year, weighted by weekday and month, daytime hours."""
    days = np.arange(365)
    day_dates = np.datetime64(now.date()) - days.astype("timedelta64[D]")
    weekday = (day_dates.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
    month = day_dates.astype("datetime64[M]").astype(int) % 12
    w = WEEKDAY[weekday] * MONTH[month]
    day = rng.choice(days, size=k, p=w / w.sum())
    hour = np.clip(rng.normal(13, 4, k), 0, 23.99)  # most reports in the day
    since_midnight = now.hour * 3600 + now.minute * 60 + now.second
    # ``day`` days before today's midnight, at ``hour``; today's reports are not in the future
    return np.maximum(day * 86_400 + since_midnight - hour * 3600, 0.0)


def _theme_communes(rng: np.random.Generator, codes: list[str], population: np.ndarray) -> dict[str, np.ndarray]:
    """The few communes (outside Paris, weighted by population) where each local theme is raised."""
    eligible = np.array([c != "75056" for c in codes])
    p = np.where(eligible, np.sqrt(population), 0.0)
    return {
        slug: rng.choice(len(codes), size=k, replace=False, p=p / p.sum())
        for slug, (_share, k, _held) in LOCAL_THEMES.items()
    }


def generate(atlas: Atlas, n: int, seed: int, now: datetime | None = None) -> SyntheticReports:
    rng = np.random.default_rng(seed)
    now = now or datetime.now(UTC)
    slugs = [t[0] for t in THEMES]
    codes = sorted(atlas.communes)
    population = np.array([atlas.communes[c]["population"] for c in codes], dtype=float)
    pop_p = population / population.sum()

    n_hot = [int(share * n) for *_, share, _ in HOTSPOTS]
    n_dup = int(DUPLICATE_SHARE * n)
    n_base = max(0, n - sum(n_hot) - n_dup)

    # Themes, then communes: population-like themes by population, local ones mostly in their communes.
    theme_share = {**POPULATION_THEMES, **{s: v[0] for s, v in LOCAL_THEMES.items()}}
    weights = np.array([theme_share.get(s, 0.01) for s in slugs])
    theme_idx = rng.choice(len(slugs), size=n_base, p=weights / weights.sum())
    commune_idx = rng.choice(len(codes), size=n_base, p=pop_p)
    for slug, chosen in _theme_communes(rng, codes, population).items():
        _share, _k, held = LOCAL_THEMES[slug]
        rows = np.flatnonzero((theme_idx == slugs.index(slug)) & (rng.random(n_base) < held))
        local_p = population[chosen] / population[chosen].sum()
        commune_idx[rows] = chosen[rng.choice(len(chosen), size=len(rows), p=local_p)]
    lon, lat = _points_in(atlas, rng, commune_idx, codes)
    theme = np.asarray(slugs, dtype=object)[theme_idx]
    title_pick = rng.random(n_base)
    titles = np.empty(n_base, dtype=object)
    for t, slug in enumerate(slugs):
        rows = theme_idx == t
        options = np.asarray(DEMO_TITLES[slug], dtype=object)
        titles[rows] = options[(title_pick[rows] * len(options)).astype(int)]
    seconds = _dates(rng, n_base, now)

    # Hotspots: the same complaint around a point.
    parts_lon, parts_lat, parts_theme, parts_title, parts_seconds = [lon], [lat], [theme], [titles], [seconds]
    for (hot_theme, hx, hy, _share, hot_title), k in zip(HOTSPOTS, n_hot):
        x = hx + rng.normal(0, 200 / 73_000, k)
        y = hy + rng.normal(0, 200 / 111_000, k)
        # A draw that leaves the Métropole falls back on the centre: `carte generate --n N` makes N reports.
        inside = atlas.commune_locator.locate_many(x, y) != None  # noqa: E711 (numpy elementwise)
        parts_lon.append(np.where(inside, x, hx))
        parts_lat.append(np.where(inside, y, hy))
        parts_theme.append(np.full(k, hot_theme, dtype=object))
        parts_title.append(np.full(k, hot_title, dtype=object))
        parts_seconds.append(_dates(rng, k, now))

    # Near-duplicates: a copy of a random report, 10-60 m away, 0-10 days later, same title.
    if n_base and n_dup:
        src = rng.integers(0, n_base, n_dup)
        dist = rng.uniform(10, 60, n_dup)
        angle = rng.uniform(0, 2 * np.pi, n_dup)
        x = lon[src] + dist * np.cos(angle) / 73_000
        y = lat[src] + dist * np.sin(angle) / 111_000
        inside = atlas.commune_locator.locate_many(x, y) != None  # noqa: E711
        parts_lon.append(np.where(inside, x, lon[src]))  # outside: on the original itself
        parts_lat.append(np.where(inside, y, lat[src]))
        parts_theme.append(theme[src])
        parts_title.append(titles[src])
        parts_seconds.append(np.maximum(seconds[src] - rng.uniform(0, 10 * 86_400, n_dup), 0))

    lon, lat = np.concatenate(parts_lon), np.concatenate(parts_lat)
    theme, titles = np.concatenate(parts_theme), np.concatenate(parts_title)
    seconds = np.concatenate(parts_seconds)
    total = len(lon)
    communes = atlas.commune_locator.locate_many(lon, lat)
    arrondissements = np.where(communes == "75056", atlas.arrondissement_locator.locate_many(lon, lat), None)
    base = np.datetime64(now.replace(tzinfo=None), "us")
    created_np = base - (seconds * 1e6).astype("timedelta64[us]")
    created = [d.replace(tzinfo=UTC) for d in created_np.astype(datetime)]

    # Contributors live in the commune they report in. 40 % of reports come from people who post
    # once; the others from the commune's regulars (one per REGULARS_PER inhabitants), the j-th
    # regular posting in proportion to 1/j (a log-uniform rank), so a few post very often.
    commune_pos = {c: i for i, c in enumerate(codes)}
    where = np.fromiter((commune_pos[c] for c in communes), dtype=np.int64, count=total)
    pool = np.maximum(1, (population[where] / REGULARS_PER).astype(np.int64))
    rank = np.minimum(np.floor(np.exp(rng.random(total) * np.log(pool + 1.0))).astype(np.int64), pool)
    regular = np.char.add(
        np.char.add(f"synth-{seed}-", np.asarray(communes, dtype=str)), np.char.add("-", rank.astype(str))
    )
    once = np.char.add(f"synth-{seed}-u", np.arange(total).astype(str))
    contributor = np.where(rng.random(total) < ONE_OFF_SHARE, once, regular)
    n_tags = rng.integers(0, 3, total)
    tag_choice = rng.integers(0, len(TAGS), (total, 2))
    tags = [
        tuple(sorted({TAGS[a], TAGS[b]}))[:k] if k else () for k, (a, b) in zip(n_tags.tolist(), tag_choice.tolist())
    ]
    return SyntheticReports(
        lon,
        lat,
        communes,
        arrondissements,
        theme,
        created,
        contributor.tolist(),
        titles.tolist(),
        tags,
    )
