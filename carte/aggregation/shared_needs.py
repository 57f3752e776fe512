"""Shared-needs index: which themes are reported across the whole metropole, not in one place.

Score (0..100), documented in docs/aggregation.md:
    score = 100 * coverage * evenness * volume
    coverage = territories where the theme is present / territories in the reference (12)
    evenness = normalised Shannon entropy of the theme's counts over territories (0..1)
    volume   = log(1 + c_t) / log(1 + max over themes of c_t), c = distinct contributors
               (report counts when contributors are unknown)
The badge (``metropolitan``) counts people, not reports: one resident who files ten reports
of the same pavement is one voice. With c_g the distinct contributors of the theme in territory
g (report counts when contributors are unknown), a theme gets the badge when
  * it has at least ``min_reports`` reports and ``min_contributors`` contributors,
  * coverage: contributors in at least ``min_territory_coverage`` of the territories,
  * evenness: 1 - 1/2 sum_g |c_g / c - pop_g / pop| >= ``min_evenness``, i.e. the contributors are
    spread like the population (1: exactly; 0.7: 30 % of them would have to move),
  * no single territory holds more than ``max_top_share`` of its contributors.
``why`` gives those three figures and one French sentence saying why the badge was given or not.
"""

from __future__ import annotations

import math

import numpy as np

from .french import format_number, plural, shared_need_sentence
from .inputs import CountTable, Places, ReportArrays
from .privacy import finish
from .serialise import fnum
from .stats import normalised_entropy
from .territories import FdrFamily, as_count_table, level_stats

MIN_REPORTS = 30
MIN_CONTRIBUTORS = 10
MIN_TERRITORY_COVERAGE = 1 / 3
MAX_TOP_SHARE = 0.5
MIN_EVENNESS = 0.7


def population_evenness(counts: np.ndarray, population: np.ndarray) -> float:
    """1 - total variation distance between the counts' distribution and the population's."""
    counts = np.asarray(counts, dtype=np.float64)
    population = np.asarray(population, dtype=np.float64)
    if counts.sum() <= 0 or population.sum() <= 0:
        return 0.0
    return float(1.0 - 0.5 * np.abs(counts / counts.sum() - population / population.sum()).sum())


def badge_reason(
    metropolitan: bool,
    *,
    count: int,
    contributors: int | None,
    present: int,
    n_territoires: int,
    evenness: float,
    top_share: float | None,
    top_nom: str | None,
    min_reports: int,
    min_contributors: int,
    needed_territories: int,
    min_evenness: float,
    max_top_share: float,
) -> str:
    """One French sentence: why the theme has the « Besoin métropolitain » badge, or what it lacks."""
    people = "contributeurs" if contributors is not None else "signalements"
    spread = f"répartis à {format_number(100 * evenness)} % comme la population"
    where = f"{people} dans {plural(present, 'territoire')} sur {format_number(n_territoires)}"
    if metropolitan:
        return (
            f"Besoin métropolitain : {format_number(contributors if contributors is not None else count)} "
            f"{where}, {spread}."
        )
    if count < min_reports:
        return f"Pas de badge : {format_number(count)} signalements, il en faut au moins {format_number(min_reports)}."
    if contributors is not None and contributors < min_contributors:
        return (
            f"Pas de badge : {format_number(contributors)} contributeurs, "
            f"il en faut au moins {format_number(min_contributors)}."
        )
    if present < needed_territories:
        return f"Pas de badge : des {where} seulement, il en faut au moins {format_number(needed_territories)}."
    if top_share is not None and top_share > max_top_share:
        return (
            f"Pas de badge : {format_number(100 * top_share)} % des {people} viennent d'un seul territoire ({top_nom})."
        )
    return (
        f"Pas de badge : {people} {spread}, trop loin de la population (seuil {format_number(100 * min_evenness)} %)."
    )


def shared_needs(
    data: CountTable | ReportArrays,
    places: Places,
    *,
    alpha: float = 0.05,
    fdr_family: FdrFamily = "table",
    min_reports: int = MIN_REPORTS,
    min_contributors: int = MIN_CONTRIBUTORS,
    min_territory_coverage: float = MIN_TERRITORY_COVERAGE,
    max_top_share: float = MAX_TOP_SHARE,
    min_evenness: float = MIN_EVENNESS,
    exact: bool = False,
    min_count: int = 3,
) -> dict:
    """One row per theme, ranked by score (highest first); see the module docstring for the rules."""
    table = as_count_table(data)
    by_level = {
        level: level_stats(table, places, level, alpha=alpha, fdr_family=fdr_family, with_contributors=False)
        for level in ("commune", "territoire", "departement")
    }
    communes, territoires, departements = by_level["commune"], by_level["territoire"], by_level["departement"]
    n_territoires = len(territoires.codes)
    n_t = communes.theme_totals
    contributors = communes.theme_contributors
    volume_basis = (contributors if contributors is not None else n_t).astype(np.float64)
    max_volume = float(volume_basis.max()) if volume_basis.size else 0.0
    total_population = float(places.population.sum())
    needed_territories = math.ceil(min_territory_coverage * n_territoires - 1e-9)
    # The badge counts people: distinct contributors per territory when storage knows them.
    people, _ = table.contributor_matrix(places, "territoire")
    badge_counts = territoires.counts if people is None else np.asarray(people, dtype=np.int64)

    rows = []
    for t, slug in enumerate(table.themes):
        count = int(n_t[t])
        present = communes.counts[:, t] > 0
        terr_counts = territoires.counts[:, t]
        terr_present = int((terr_counts > 0).sum())
        top = int(np.argmax(terr_counts)) if count else None
        top_share = float(terr_counts[top] / count) if count else None
        evenness = normalised_entropy(terr_counts, n_territoires)
        coverage = terr_present / n_territoires if n_territoires else 0.0
        volume = math.log1p(volume_basis[t]) / math.log1p(max_volume) if max_volume > 0 else 0.0
        n_contrib = None if contributors is None else int(contributors[t])
        rate = count / total_population * 10_000 if total_population > 0 else None
        voices = badge_counts[:, t]
        voices_present = int((voices > 0).sum())
        voices_top = int(np.argmax(voices)) if voices.sum() else None
        voices_top_share = float(voices[voices_top] / voices.sum()) if voices_top is not None else None
        pop_evenness = population_evenness(voices, territoires.population)
        metropolitan = bool(
            count >= min_reports
            and (n_contrib is None or n_contrib >= min_contributors)
            and voices_present >= needed_territories
            and voices_top_share is not None
            and voices_top_share <= max_top_share
            and pop_evenness >= min_evenness
        )
        why = {
            "coverage": fnum(voices_present / n_territoires if n_territoires else 0.0, 4),
            "evenness": fnum(pop_evenness, 4),
            "contributors": n_contrib,
            "text": badge_reason(
                metropolitan,
                count=count,
                contributors=n_contrib,
                present=voices_present,
                n_territoires=n_territoires,
                evenness=pop_evenness,
                top_share=voices_top_share,
                top_nom=None if voices_top is None else str(territoires.noms[voices_top]),
                min_reports=min_reports,
                min_contributors=min_contributors,
                needed_territories=needed_territories,
                min_evenness=min_evenness,
                max_top_share=max_top_share,
            ),
        }
        rows.append(
            {
                "theme": slug,
                "count": count,
                "contributors": n_contrib,
                "rate_per_10k": None if rate is None else fnum(rate, 4),
                "communes_present": int(present.sum()),
                "territoires_present": terr_present,
                "departements_present": int((departements.counts[:, t] > 0).sum()),
                "population_present": int(round(float(communes.population[present].sum()))),
                "communes_significant": int(communes.significant[:, t].sum()),
                "territoires_significant": int(territoires.significant[:, t].sum()),
                "departements_significant": int(departements.significant[:, t].sum()),
                "population_significant": int(round(float(communes.population[communes.significant[:, t]].sum()))),
                "entropy": fnum(evenness, 4),
                "top_territory": None if top is None else str(territoires.codes[top]),
                "top_territory_nom": None if top is None else str(territoires.noms[top]),
                "top_territory_share": None if top_share is None else fnum(top_share, 4),
                "score": fnum(100 * coverage * evenness * volume, 2),
                "metropolitan": metropolitan,
                "why": why,
                "sentence": shared_need_sentence(
                    int(present.sum()), terr_present, n_territoires, None if rate is None else rate
                ),
            }
        )
    rows.sort(key=lambda r: (-(r["score"] or 0), -r["count"], r["theme"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    result = {
        "kind": "shared_needs",
        "total": int(n_t.sum()),
        "territoires": n_territoires,
        "thresholds": {
            "alpha": alpha,
            "min_reports": min_reports,
            "min_contributors": min_contributors,
            "min_territoires": needed_territories,
            "max_top_share": max_top_share,
            "min_evenness": min_evenness,
            "badge_unit": "contributors" if people is not None else "reports",
        },
        "themes": rows,
        "exact": True,
    }
    return finish(result, exact, min_count)
