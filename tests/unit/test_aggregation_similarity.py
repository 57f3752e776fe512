"""Similar places and passerelles: known answers on planted data, cosines by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carte.aggregation import CountTable, passerelles, similar_places, workshop_similar_places
from carte.aggregation.stats import empirical_bayes_rates

try:
    from aggregation_helpers import THEMES, twelve_territories
except ImportError:  # pragma: no cover
    from tests.unit.aggregation_helpers import THEMES, twelve_territories

PLACES = twelve_territories()  # 36 communes, 3 per territory, 10,000 inhabitants each
A = PLACES.code[3]  # commune 0 of territory 1 (dép. 92)
B = PLACES.code[13]  # commune 1 of territory 4 (dép. 92 too: same département, other territory)
C = PLACES.code[20]  # commune 2 of territory 6 (dép. 94)
LABELS = {"eclairage": "Éclairage", "bruit": "Bruit", "voirie": "Voirie", "proprete": "Propreté"}


def planted(extra: dict[tuple[str, str], int], seed: int = 7) -> CountTable:
    """Poisson(20) reports of each theme in each commune, plus ``extra[(code, theme)]``."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(20, size=(len(PLACES), len(THEMES)))
    codes = PLACES.code.tolist()
    for (code, theme), k in extra.items():
        counts[codes.index(code), THEMES.index(theme)] += k
    ci, ti = np.nonzero(counts >= 0)
    return CountTable(ci, ti, counts[ci, ti], THEMES)


def test_planted_theme_makes_two_communes_each_others_first_match():
    table = planted({(A, "bruit"): 40, (C, "bruit"): 40})
    for me, other in ((A, C), (C, A)):
        out = similar_places(table, PLACES, me, "commune", labels=LABELS, exact=True)
        first = out["places"][0]
        assert first["code"] == other, out["places"][:3]
        assert first["other_territory"] is True
        assert [t["theme"] for t in first["shared_themes"]][0] == "bruit"
        shared = first["shared_themes"][0]
        assert shared["label"] == "Bruit"
        assert shared["excess_risk"] > 2 and shared["other_excess_risk"] > 2
        assert out["method"] == "cosine_eb_excess_risk"
        assert out["places"] == sorted(out["places"], key=lambda p: -p["similarity"])
        assert len(out["places"]) == len(PLACES) - 1


def test_similarity_is_the_cosine_of_log_smoothed_excess_risks_by_hand():
    table = planted({(A, "bruit"): 40, (C, "bruit"): 40})
    counts = table.matrix(PLACES).astype(float)
    pop = PLACES.population
    vectors = []
    for t in range(len(THEMES)):
        eb = empirical_bayes_rates(counts[:, t], pop)
        vectors.append(np.log(eb / (counts[:, t].sum() / pop.sum())))
    v = np.array(vectors).T
    v = np.hstack([v, np.full((len(v), 1), math.log(1.25))])  # the documented anchor component
    codes = PLACES.code.tolist()
    a, c, other = v[codes.index(A)], v[codes.index(C)], v[codes.index(B)]

    def cos(x, y):
        return float(x @ y / math.sqrt((x @ x) * (y @ y)))

    out = similar_places(table, PLACES, A, "commune", exact=True)
    by_code = {p["code"]: p for p in out["places"]}
    assert by_code[C]["similarity"] == pytest.approx(cos(a, c), abs=1e-4)
    assert by_code[B]["similarity"] == pytest.approx(cos(a, other), abs=1e-4)


def test_same_territory_is_flagged():
    same = PLACES.code[4]  # another commune of A's territory
    table = planted({(A, "bruit"): 40, (same, "bruit"): 40})
    first = similar_places(table, PLACES, A, "commune", exact=True)["places"][0]
    assert first["code"] == same and first["other_territory"] is False


def test_unknown_code_and_bad_level():
    table = planted({})
    with pytest.raises(KeyError):
        similar_places(table, PLACES, "99999", "commune")
    with pytest.raises(ValueError):
        similar_places(table, PLACES, A, "departement")


def test_public_answer_leaves_out_small_places_and_hides_small_shared_figures():
    table = planted({(A, "bruit"): 40, (C, "bruit"): 40})
    counts = table.matrix(PLACES)
    tiny = PLACES.code[30]
    counts[30] = [0, 2, 0, 0]  # a commune with two reports in all
    ci, ti = np.nonzero(counts >= 0)
    table = CountTable(ci, ti, counts[ci, ti], THEMES)
    public = similar_places(table, PLACES, A, "commune", min_count=3)
    exact = similar_places(table, PLACES, A, "commune", exact=True)
    assert tiny in {p["code"] for p in exact["places"]}
    assert tiny not in {p["code"] for p in public["places"]}
    assert public["withheld_places"] == 1 and public["exact"] is False


def test_passerelles_contain_the_planted_pair_with_its_sentence():
    table = planted({(A, "bruit"): 40, (C, "bruit"): 40})
    centroids = {code: (2.0 + i / 100, 48.8) for i, code in enumerate(PLACES.code.tolist())}
    out = passerelles(table, PLACES, "commune", labels=LABELS, centroids=centroids, exact=True)
    pair = next(p for p in out["pairs"] if {p["a"]["code"], p["b"]["code"]} == {A, C})
    assert [t["theme"] for t in pair["shared_themes"]] == ["bruit"]
    na, nc = PLACES.nom[3], PLACES.nom[20]
    first, second = (na, nc) if pair["a"]["code"] == A else (nc, na)
    assert pair["sentence"] == (
        f"{first} et {second}, dans deux territoires différents, signalent toutes deux plus que prévu : bruit."
    )
    assert pair["line"] == [list(centroids[pair["a"]["code"]]), list(centroids[pair["b"]["code"]])]
    assert out["pairs"] == sorted(out["pairs"], key=lambda p: -p["similarity"])
    for p in out["pairs"]:
        assert p["a"]["territoire"]["code"] != p["b"]["territoire"]["code"]
    assert len(out["pairs"]) <= 50


def test_passerelles_skip_pairs_within_one_territory():
    same = PLACES.code[4]
    table = planted({(A, "bruit"): 40, (same, "bruit"): 40})
    out = passerelles(table, PLACES, "commune", exact=True)
    assert not any({p["a"]["code"], p["b"]["code"]} == {A, same} for p in out["pairs"])


def test_passerelles_at_territory_level_need_two_departements():
    # territories 1 and 4 are both in 92; territories 1 and 2 are in 92 and 93
    t1 = [PLACES.code[i] for i in range(3, 6)]
    t4 = [PLACES.code[i] for i in range(12, 15)]
    t2 = [PLACES.code[i] for i in range(6, 9)]
    extra = {(c, "voirie"): 30 for c in t1 + t4 + t2}
    out = passerelles(planted(extra), PLACES, "territoire", exact=True)
    pairs = {frozenset((p["a"]["code"], p["b"]["code"])) for p in out["pairs"]}
    assert frozenset(("200000001", "200000002")) in pairs
    assert frozenset(("200000001", "200000004")) not in pairs
    pair = next(p for p in out["pairs"] if {p["a"]["code"], p["b"]["code"]} == {"200000001", "200000002"})
    assert "dans deux départements différents" in pair["sentence"]


def test_workshop_room_finds_the_places_raising_the_same_theme():
    table = planted({(A, "bruit"): 40, (C, "bruit"): 40})
    room = CountTable(
        [0, 0, 0], [THEMES.index("bruit"), THEMES.index("voirie"), THEMES.index("bruit")], [9, 1, 3], THEMES
    )
    out = workshop_similar_places(room, table, PLACES, "commune", labels=LABELS, exact=True, limit=5)
    assert {out["places"][0]["code"], out["places"][1]["code"]} == {A, C}
    assert out["places"][0]["shared_themes"][0]["theme"] == "bruit"
    assert out["workshop_reports"] == 13
