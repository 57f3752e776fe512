"""The aggregates endpoints, on real commune boundaries and on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select, update

from carte.extensions import db
from carte.models import Report
from tests.conftest import empty_postgis, make_app
from tests.helpers import SAINT_OUEN_PARIS_18_BORDER, insert_points, numbers_below, uniform_points_in_mgp

pytestmark = pytest.mark.backends

ENDPOINTS = [
    "/api/v1/aggregates/territories?level=commune",
    "/api/v1/aggregates/territories?level=territoire",
    "/api/v1/aggregates/territories?level=departement",
    "/api/v1/aggregates/territories?level=metropole",
    "/api/v1/aggregates/shared-needs",
    "/api/v1/aggregates/hotspots",
    "/api/v1/aggregates/issue-groups",
    "/api/v1/aggregates/heatmap?zoom=11",
    "/api/v1/aggregates/heatmap?zoom=14",
    "/api/v1/aggregates/similar-places?code=93048",
    "/api/v1/aggregates/similar-places?code=200057875&level=territoire",
    "/api/v1/aggregates/passerelles",
    "/api/v1/aggregates/passerelles?level=territoire",
]
THEMES = ["mobilite", "logement", "environnement-nature", "sante-services", "espaces-publics-proprete"]


def background(app, n=1500, seed=11):
    lons, lats = uniform_points_in_mgp(app, n, seed)
    rng = np.random.default_rng(seed)
    insert_points(app, lons, lats, rng.choice(THEMES, n).tolist())


def test_planted_hotspot_across_saint_ouen_and_paris_18e_is_cross_border(app, client):
    background(app)
    rng = np.random.default_rng(5)
    lon0, lat0 = SAINT_OUEN_PARIS_18_BORDER
    k = 40
    lons = lon0 + rng.normal(0, 150 / 73_000, k)
    lats = lat0 + rng.normal(0, 150 / 111_000, k)
    insert_points(app, lons, lats, "espaces-publics-proprete")

    body = client.get("/api/v1/aggregates/hotspots?theme=espaces-publics-proprete").get_json()
    zones = body["features"]
    assert zones, body
    zone = max(zones, key=lambda f: f["properties"]["count"])
    assert {"75056", "93070"} <= {c["code"] for c in zone["properties"]["communes"]}
    assert {"Paris", "Saint-Ouen-sur-Seine"} <= {c["nom"] for c in zone["properties"]["communes"]}
    assert zone["properties"]["resolution"] in (7, 8, 9)
    # the planted cluster is found at more than one resolution, and says so
    assert zone["properties"]["robust"] is True
    assert {f["properties"]["resolution"] for f in zones if f["properties"]["robust"]} >= {8}
    only_9 = client.get("/api/v1/aggregates/hotspots?theme=espaces-publics-proprete&resolution=9").get_json()
    assert only_9["features"] and {f["properties"]["resolution"] for f in only_9["features"]} == {9}
    assert zone["properties"]["cross_border"] is True
    assert {"75056", "200057867"} <= set(zone["properties"]["territoires"])
    assert zone["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_uniform_reports_give_no_hotspot(app, client):
    background(app, n=1200, seed=3)
    body = client.get("/api/v1/aggregates/hotspots").get_json()
    assert body["themes_tested"] >= 4
    assert body["features"] == []


def test_near_identical_reports_across_a_border_form_one_group(app, client):
    lon0, lat0 = SAINT_OUEN_PARIS_18_BORDER
    # Five reports 40 m apart on a north-south line that crosses the border.
    lats = lat0 + (np.arange(5) - 2) * 40 / 111_000
    lons = np.full(5, lon0)
    titles = [
        "Nid de poule dangereux rue Belliard",
        "Nids de poule dangereux rue Belliard",
        "Nid-de-poule dangereux, rue Belliard",
        "Dangereux nid de poule rue Belliard",
        "Nid de poule très dangereux rue Belliard",
    ]
    insert_points(app, lons, lats, "mobilite", titles=titles)
    # The same texts 2 km away from each other: no group.
    far_lats = 48.80 + np.arange(5) * 2000 / 111_000
    insert_points(app, np.full(5, 2.40), far_lats, "mobilite", titles=titles)

    groups = client.get("/api/v1/aggregates/issue-groups").get_json()["groups"]
    assert len(groups) == 1
    assert groups[0]["size"] == 5
    assert groups[0]["communes"] == [
        {"code": "75056", "nom": "Paris"},
        {"code": "93070", "nom": "Saint-Ouen-sur-Seine"},
    ]


def test_small_numbers_are_hidden_on_every_public_endpoint(app, client):
    # Two reports in one commune, one in another, a few elsewhere: all below 3 somewhere.
    insert_points(app, [2.4410, 2.4415, 2.2945, 2.3597], [48.8620, 48.8622, 48.8584, 48.9356], "logement")
    for path in ENDPOINTS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert numbers_below(response.get_json(), 3) == [], path


def hide_demo_content(app):
    with app.app_context():
        db.session.execute(update(Report).values(status="hidden"))
        db.session.commit()


def test_rates_per_10k_match_a_hand_computation(app, client):
    hide_demo_content(app)
    # 30 reports in Montreuil (93048), 12 in Vincennes (94080), 6 in Saint-Denis (93066).
    points = {"93048": (2.4410, 48.8620, 30), "94080": (2.4390, 48.8475, 12), "93066": (2.3597, 48.9356, 6)}
    for lon, lat, k in points.values():
        insert_points(app, np.full(k, lon), np.full(k, lat), "logement")
    rows = client.get("/api/v1/aggregates/territories?level=commune&theme=logement").get_json()
    by_code = {p["code"]: p for p in rows["places"]}
    with app.app_context():
        from carte.geo.atlas import get_atlas

        communes = get_atlas(app).communes
    for code, (_lon, _lat, k) in points.items():
        assert by_code[code]["count"] == k
        assert by_code[code]["rate_per_10k"] == pytest.approx(k / communes[code]["population"] * 10_000, rel=1e-3)


def test_cache_follows_new_and_moderated_reports(app, client, reports):
    insert_points(app, np.full(5, 2.4410), np.full(5, 48.8620), "logement")
    url = "/api/v1/aggregates/territories?level=metropole&theme=logement"
    before = client.get(url).get_json()["places"][0]["count"]
    created = reports.create(theme="logement")
    after = client.get(url).get_json()["places"][0]["count"]
    assert after == before + 1
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == created["id"]))
        report.status = "hidden"
        db.session.commit()
    assert client.get(url).get_json()["places"][0]["count"] == before


@pytest.mark.parametrize(
    "query,field",
    [
        ("theme=inconnu", "theme"),
        ("commune=00000", "commune"),
        ("since=2024-02-30", "since"),
        ("since=2024-05-02&until=2024-05-01", "since"),
        ("level=ville", "level"),
    ],
)
def test_unsatisfiable_filters_are_422(client, query, field):
    response = client.get(f"/api/v1/aggregates/territories?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


@pytest.mark.parametrize("path", ENDPOINTS)
def test_empty_selection_is_an_empty_result(client, path):
    sep = "&" if "?" in path else "?"
    response = client.get(f"{path}{sep}since=2999-01-01")
    assert response.status_code == 200
    body = response.get_json()
    items = (
        body.get("places")
        or body.get("themes")
        or body.get("features")
        or body.get("groups")
        or body.get("points")
        or []
    )
    assert all(not (isinstance(i, dict) and isinstance(i.get("count"), int) and i["count"] > 0) for i in items)


def test_territory_statistics_are_the_same_on_spatialite_and_postgis(
    spatialite_template, postgis_ready, data_dir, tmp_path
):
    import shutil

    path = tmp_path / "carte.sqlite"
    shutil.copyfile(spatialite_template, path)
    apps = [make_app(f"sqlite:///{path}", data_dir), make_app(postgis_ready, data_dir)]
    results = []
    try:
        for app in apps:
            lons, lats = uniform_points_in_mgp(app, 800, 21)
            themes = np.random.default_rng(21).choice(THEMES, 800).tolist()
            contributors = [f"p{i % 97}" for i in range(800)]
            hide_demo_content(app)
            insert_points(app, lons, lats, themes, contributors=contributors)
            client = app.test_client()
            results.append(
                [
                    client.get(f"/api/v1/aggregates/territories?level={level}").get_json()
                    for level in ("commune", "territoire", "departement", "metropole")
                ]
            )
        assert results[0] == results[1]
        assert results[0][3]["places"][0]["count"] == 800
    finally:
        for app in apps:
            with app.app_context():
                if db.engine.dialect.name == "postgresql":
                    empty_postgis(db.session)
                db.engine.dispose()


def test_posted_reports_are_counted_once_there_are_enough(reports, client):
    url = "/api/v1/aggregates/territories?level=metropole"
    reports.create()
    assert client.get(url).get_json()["places"][0]["count_label"] == "< 3"
    reports.create()
    reports.create()
    assert client.get(url).get_json()["places"][0]["count"] == 3


VILLENEUVE, CLICHY = "92078", "93014"  # Boucle Nord de Seine and Grand Paris - Grand Est


def population_like_background(app, per_10k=3, seed=4):
    """Reports in every commune in proportion to its population, five themes at random."""
    from carte.geo.atlas import get_atlas

    rng = np.random.default_rng(seed)
    with app.app_context():
        atlas = get_atlas(app)
        lons, lats = [], []
        for code, commune in atlas.communes.items():
            k = max(1, round(commune["population"] / 10_000 * per_10k))
            lon, lat = atlas.representative_point(code)
            lons += [lon] * k
            lats += [lat] * k
    insert_points(
        app, lons, lats, rng.choice(THEMES, len(lons)).tolist(), contributors=[f"b{i}" for i in range(len(lons))]
    )


def plant(app, code, theme, k):
    from carte.geo.atlas import get_atlas

    with app.app_context():
        lon, lat = get_atlas(app).representative_point(code)
    insert_points(app, np.full(k, lon), np.full(k, lat), theme, contributors=[f"{code}-{i}" for i in range(k)])


def test_planted_need_links_two_communes_of_two_territories(app, client):
    hide_demo_content(app)
    population_like_background(app)
    plant(app, VILLENEUVE, "emploi-insertion", 25)
    plant(app, CLICHY, "emploi-insertion", 25)

    for me, other in ((VILLENEUVE, CLICHY), (CLICHY, VILLENEUVE)):
        body = client.get(f"/api/v1/aggregates/similar-places?code={me}").get_json()
        assert body["code"] == me and body["level"] == "commune" and body["method"] == "cosine_eb_excess_risk"
        first = body["places"][0]
        assert first["code"] == other, body["places"][:3]
        assert first["other_territory"] is True
        assert first["territoire"]["code"] != body["territoire"]["code"]
        assert first["shared_themes"][0]["theme"] == "emploi-insertion"
        assert first["shared_themes"][0]["label"] == "Emploi et insertion"

    pairs = client.get("/api/v1/aggregates/passerelles").get_json()["pairs"]
    pair = next(p for p in pairs if {p["a"]["code"], p["b"]["code"]} == {VILLENEUVE, CLICHY})
    assert "emploi-insertion" in [t["theme"] for t in pair["shared_themes"]]
    names = {pair["a"]["nom"], pair["b"]["nom"]}
    assert names == {"Villeneuve-la-Garenne", "Clichy-sous-Bois"}
    assert pair["sentence"].startswith(f"{pair['a']['nom']} et {pair['b']['nom']}, dans deux territoires différents")
    assert "emploi et insertion" in pair["sentence"]
    assert len(pair["line"]) == 2 and all(len(pt) == 2 for pt in pair["line"])
    assert all(p["a"]["territoire"]["code"] != p["b"]["territoire"]["code"] for p in pairs)

    english = client.get("/api/v1/aggregates/passerelles?lang=en").get_json()["pairs"]
    pair_en = next(p for p in english if {p["a"]["code"], p["b"]["code"]} == {VILLENEUVE, CLICHY})
    assert "in two different territories" in pair_en["sentence"]

    # the territories table tells the same story with the population question
    rows = client.get("/api/v1/aggregates/territories?level=commune&theme=emploi-insertion&exact=1")
    assert rows.status_code == 401  # exact figures are for facilitators
    rows = client.get("/api/v1/aggregates/territories?level=commune&theme=emploi-insertion").get_json()["rows"]
    by_code = {r["code"]: r for r in rows}
    for code in (VILLENEUVE, CLICHY):
        assert by_code[code]["excess_significant"] is True
        assert by_code[code]["excess_risk"] > 3


def test_similar_places_errors(client):
    response = client.get("/api/v1/aggregates/similar-places?code=99999")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_place"
    response = client.get("/api/v1/aggregates/similar-places?code=93048&level=departement")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "level"
    response = client.get("/api/v1/aggregates/similar-places?code=93048&level=territoire")
    assert response.status_code == 404  # a commune code is not a territory
    response = client.get("/api/v1/aggregates/similar-places")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "code"


def test_territories_answer_carries_smoothed_rates_excess_risk_and_breaks(app, client):
    hide_demo_content(app)
    population_like_background(app)
    body = client.get("/api/v1/aggregates/territories?level=departement").get_json()
    for place in body["places"]:
        assert place["rate_eb_per_10k"] is not None and place["rate_per_10k"] is not None
    for row in body["rows"]:
        for key in ("rate_eb_per_10k", "excess_risk", "excess_expected", "excess_p", "excess_q"):
            assert row[key] is not None, key
        assert isinstance(row["excess_significant"], bool)
    breaks = body["breaks"]
    assert breaks["unit"] == "signalements pour 10 000 habitants"
    assert breaks["method"] in ("fisher_jenks", "quantiles")
    for key in ("rate_eb_per_10k", "rate_per_10k"):
        edges = breaks[key]
        assert edges == sorted(set(edges)) and 1 <= len(edges) <= 6
        values = [p[key] for p in body["places"]]
        assert edges[0] <= min(values) and edges[-1] >= max(values)
    assert body["count_unit"] == "reports"


def test_contributors_as_the_count_on_the_api(app, client):
    hide_demo_content(app)
    with app.app_context():
        from carte.geo.atlas import get_atlas

        lon, lat = get_atlas(app).representative_point("93048")
    # ten reports by one person, five by five people
    insert_points(app, np.full(10, lon), np.full(10, lat), "logement", contributors=["seule"] * 10)
    insert_points(app, np.full(5, lon), np.full(5, lat), "mobilite", contributors=[f"p{i}" for i in range(5)])
    reports = client.get("/api/v1/aggregates/territories?level=metropole").get_json()
    people = client.get("/api/v1/aggregates/territories?level=metropole&count=contributors").get_json()
    assert people["count_unit"] == "contributors"
    assert reports["places"][0]["count"] == 15
    assert people["places"][0]["count"] == 6
    assert client.get("/api/v1/aggregates/territories?count=people").status_code == 422


def test_workshop_room_finds_places_raising_the_same_needs_elsewhere(app, client):
    from tests.helpers import csrf_token_from, login_as

    hide_demo_content(app)
    population_like_background(app)
    plant(app, VILLENEUVE, "emploi-insertion", 25)
    plant(app, CLICHY, "emploi-insertion", 25)
    facilitator = app.test_client()
    login_as(facilitator, app, "facilitator")
    page = facilitator.get("/animation/ateliers")
    created = facilitator.post(
        "/animation/ateliers",
        data={
            "title": "Atelier emploi",
            "date": "2026-11-27",
            "place": "Maison de quartier",
            "question": "Qu'est-ce qui manque ?",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    code = created.headers["Location"].rsplit("/", 1)[1]
    for i in range(6):
        response = client.post(
            f"/api/v1/ateliers/{code}/signalements",
            json={
                "theme": "emploi-insertion",
                "title": f"Offres trop loin {i}",
                "description": "Deux heures de transport.",
                "lat": 48.8584,
                "lon": 2.2945,
            },
        )
        assert response.status_code == 201, response.get_json()
    body = client.get(f"/api/v1/aggregates/similar-places?workshop={code}").get_json()
    assert body["workshop"] == code and body["workshop_reports"] == 6
    assert {p["code"] for p in body["places"][:2]} == {VILLENEUVE, CLICHY}
    assert body["places"][0]["shared_themes"][0]["theme"] == "emploi-insertion"
    assert body["places"][0]["other_territory"] is True
