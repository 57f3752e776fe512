"""Issue groups: near AND similar, across commune borders."""

from __future__ import annotations

import numpy as np

from carte.aggregation import issue_groups

try:
    from aggregation_helpers import border_places, commune_of_points, reports_from_points, strict_json
except ImportError:  # pragma: no cover
    from tests.unit.aggregation_helpers import border_places, commune_of_points, reports_from_points, strict_json

SAME = [
    "Nid de poule dangereux avenue de Saint-Ouen",
    "Énorme nid-de-poule avenue de Saint-Ouen",
    "Nids de poules dangereux, avenue de St-Ouen",
    "nid de poule avenue de saint ouen, danger vélos",
    "Gros nid de poule sur l'avenue de Saint-Ouen",
]
DIFFERENT = [
    "Lampadaire éteint depuis une semaine",
    "Dépôt sauvage d'encombrants",
    "Graffitis sur le mur de l'école",
    "Banc public cassé",
    "Feu tricolore en panne",
]
# background reports far from the border, so that the TF-IDF vocabulary is realistic
BACKGROUND = [
    "Poubelles qui débordent",
    "Trottoir encombré par des trottinettes",
    "Fuite d'eau sur la chaussée",
    "Arbre tombé",
    "Piste cyclable effacée",
    "Bruit de chantier la nuit",
]
STEP_40M = 40 / 111_195  # degrees of latitude for 40 m


def _reports(texts, step_deg):
    places, codes, polygons = border_places()
    # a north-south line crossing the border at lat 48.900: 2 points south (Paris), 3 north
    lat = 48.900 + (np.arange(len(texts)) - 1.5) * step_deg
    lon = np.full(len(texts), 2.3450)
    rng = np.random.default_rng(0)
    b_lat = rng.uniform(48.91, 48.925, len(BACKGROUND))
    b_lon = rng.uniform(2.36, 2.39, len(BACKGROUND))
    lat, lon = np.r_[lat, b_lat], np.r_[lon, b_lon]
    titles = list(texts) + BACKGROUND
    communes = commune_of_points(lat, lon, codes, polygons)
    return places, reports_from_points(lat, lon, np.full(len(lat), 2), communes, titles=titles)


def test_similar_reports_40m_apart_across_the_border_form_one_group():
    places, reports = _reports(SAME, STEP_40M)
    assert sorted(set(reports.commune[:5].tolist())) == ["75056", "93070"]
    result = strict_json(issue_groups(reports, places, exact=True))
    assert len(result["groups"]) == 1
    group = result["groups"][0]
    assert group["ids"] == ["r0", "r1", "r2", "r3", "r4"]
    assert group["size"] == 5 and group["theme"] == "voirie"
    assert group["communes"] == [{"code": "75056", "nom": "Paris"}, {"code": "93070", "nom": "Saint-Ouen-sur-Seine"}]
    assert group["cross_border"] is True
    assert group["title"] in SAME
    lon, lat = group["centroid"]
    assert abs(lat - (48.900 + 0.5 * STEP_40M)) < 1e-6 and abs(lon - 2.345) < 1e-6  # offsets -1.5..2.5 steps
    assert 70 < group["extent_m"] < 90  # the outer points are 2 x 40 m from the middle one


def test_same_texts_2km_apart_do_not_group():
    _, reports = _reports(SAME, 2000 / 111_195)
    assert issue_groups(reports, exact=True)["groups"] == []


def test_dissimilar_texts_40m_apart_do_not_group():
    _, reports = _reports(DIFFERENT, STEP_40M)
    assert issue_groups(reports, exact=True)["groups"] == []


def test_different_themes_do_not_group():
    places, reports = _reports(SAME, STEP_40M)
    theme = reports.theme.copy()
    theme[[1, 3]] = 0  # alternate themes: every 40 m neighbour now has another theme
    mixed = reports_from_points(reports.lat, reports.lon, theme, reports.commune, titles=reports.title)
    groups = issue_groups(mixed, places, exact=True)["groups"]
    # r0, r2, r4 are 80 m apart (same theme, within 150 m): one group; r1, r3 (80 m apart) another
    assert sorted(g["ids"] == ["r0", "r2", "r4"] or g["ids"] == ["r1", "r3"] for g in groups) == [True, True]


def test_public_output_withholds_groups_below_three():
    places, reports = _reports(SAME[:2], STEP_40M)
    assert issue_groups(reports, places, exact=True)["groups"][0]["size"] == 2
    public = issue_groups(reports, places)
    assert public["groups"] == [] and public["withheld_groups"] == 1


def test_empty_and_single():
    empty = reports_from_points(np.zeros(0), np.zeros(0), np.zeros(0, dtype=int), [], titles=[])
    assert strict_json(issue_groups(empty))["groups"] == []
    one = reports_from_points(np.array([48.9]), np.array([2.3]), np.array([0]), ["75056"], titles=["x"])
    assert issue_groups(one)["groups"] == []


def test_representative_title_is_the_most_typical_member():
    texts = ["Nid de poule, avenue de Saint-Ouen, très dangereux pour les vélos la nuit"] + [SAME[0]] * 4
    places, reports = _reports(texts, STEP_40M)
    group = issue_groups(reports, places, exact=True)["groups"][0]
    assert group["size"] == 5
    assert group["representative_id"] != "r0" and group["title"] == SAME[0]
