"""`carte generate` data: realistic structure, and on it the metropolitan badge discriminates."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from carte import synthetic
from carte.aggregation import CountTable, shared_needs
from carte.demo import THEMES
from carte.geo.atlas import Atlas

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def generated(data_dir):
    atlas = Atlas.load(data_dir)
    return atlas, synthetic.generate(atlas, 20_000, seed=42, now=NOW)


def test_badge_separates_population_themes_from_local_ones(generated):
    atlas, data = generated
    places = atlas.aggregation_places
    slugs = tuple(t[0] for t in THEMES)
    table = CountTable(
        places.index_of(data.commune),
        data.theme.astype(str),
        np.ones(len(data.lon)),
        slugs,
        contributor=np.asarray(data.contributor),
    )
    rows = {r["theme"]: r for r in shared_needs(table, places, exact=True)["themes"]}
    badged = {slug for slug, r in rows.items() if r["metropolitan"]}
    assert badged == set(synthetic.METROPOLITAN_THEMES), {s: r["why"] for s, r in rows.items()}
    for slug in synthetic.LOCAL:
        assert rows[slug]["why"]["evenness"] < 0.7  # the badge's threshold
        assert rows[slug]["why"]["text"].startswith("Pas de badge")
    for slug in synthetic.METROPOLITAN_THEMES:
        assert rows[slug]["why"]["evenness"] > 0.85


def test_structure_of_generated_reports(generated):
    _atlas, data = generated
    n = len(data.lon)
    assert n == 20_000 and all(c is not None for c in data.commune)  # `carte generate --n N` makes N reports
    # contributors who post several times, and most who post once or twice
    per_person = np.array(list(Counter(data.contributor).values()))
    assert per_person.max() >= 20 and np.median(per_person) <= 2
    # weekly rhythm: Mondays busier than Sundays
    weekdays = Counter(d.weekday() for d in data.created_at)
    assert weekdays[0] > 1.25 * weekdays[6]
    assert all(NOW.replace(year=2025) <= d <= NOW for d in data.created_at)
    # near-duplicates: the same title within 60 m of another report of the same theme
    lon, lat = np.asarray(data.lon), np.asarray(data.lat)
    key = [f"{t}|{ti}" for t, ti in zip(data.theme, data.title)]
    order = np.lexsort((lon, np.asarray(key)))
    k = np.asarray(key)[order]
    dx = np.diff(lon[order]) * 73_000
    dy = np.diff(lat[order]) * 111_000
    close = (k[1:] == k[:-1]) & (np.hypot(dx, dy) < 60)
    assert close.sum() > 0.05 * n
    # a hotspot: many identical complaints around the Saint-Ouen / Paris 18e border
    hot = np.asarray(data.title) == "Dépôts sauvages sous le périphérique"
    assert hot.sum() >= 60 and {"75056", "93070"} <= set(np.asarray(data.commune)[hot].tolist())
