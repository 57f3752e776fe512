"""GET /api/v1/reports?zoom=: clusters with true counts, on both backends (issue 10, part 2).

Expected figures are computed here, in plain Python over the rows the test inserted (their
communes from the atlas, their cells from the Web Mercator formula), never by the code under test.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from carte.extensions import db
from carte.geo.atlas import get_atlas
from carte.models import Report
from carte.models.workshops import Workshop
from tests.helpers import TOUR_EIFFEL, insert_points, uniform_points_in_mgp

THRESHOLD = 60
THEMES = ["mobilite", "espaces-publics-proprete", "logement"]
TAGS = ["vélo", "bruit", "arbre"]
WHOLE_MGP = (2.10, 48.70, 2.65, 49.03)
PARIS_CENTRE = (2.25, 48.82, 2.42, 48.90)
NEAR_EIFFEL = (2.2905, 48.8564, 2.2985, 48.8604)

pytestmark = [pytest.mark.backends, pytest.mark.config(CARTE_MAP_POINT_THRESHOLD=THRESHOLD)]


@pytest.fixture
def dataset(app):
    """900 reports spread over the MGP and 150 packed around the Eiffel tower, with known attributes."""
    lons, lats = uniform_points_in_mgp(app, 900, seed=10)
    rng = np.random.default_rng(11)
    lons = np.concatenate([lons, TOUR_EIFFEL[0] + rng.uniform(-0.0015, 0.0015, 150)])
    lats = np.concatenate([lats, TOUR_EIFFEL[1] + rng.uniform(-0.0008, 0.0008, 150)])
    n = len(lons)
    themes = [THEMES[i % 3] for i in range(n)]
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    created = [start + timedelta(days=int(d)) for d in rng.integers(0, 300, n)]
    tags = [(TAGS[i % 4],) if i % 4 < 3 else () for i in range(n)]
    titles = ["En atelier" if i % 7 == 0 else "Signalement de test" for i in range(n)]
    insert_points(app, lons, lats, themes, titles=titles, created=created, tags=tags)
    with app.app_context():
        atlas = get_atlas(app)
        communes = atlas.commune_locator.locate_many(lons, lats)
        workshop = Workshop(code="MAPTST", title="Atelier carte", date=start.date(), place="Mairie", question="?")
        db.session.add(workshop)
        db.session.flush()
        for report in db.session.scalars(select(Report).where(Report.title == "En atelier")):
            report.workshop_id = workshop.id
        db.session.commit()
        territoires = [atlas.communes[c]["territoire_code"] for c in communes]
    return {
        "lon": lons,
        "lat": lats,
        "theme": themes,
        "created": created,
        "tag": tags,
        "commune": list(communes),
        "territoire": territoires,
        "workshop": [t == "En atelier" for t in titles],
    }


def expected(data, bbox, **flt) -> np.ndarray:
    """Indices of the inserted rows that match a view and filter, by a plain loop."""
    keep = []
    for i in range(len(data["lon"])):
        if not (bbox[0] <= data["lon"][i] <= bbox[2] and bbox[1] <= data["lat"][i] <= bbox[3]):
            continue
        if "theme" in flt and data["theme"][i] != flt["theme"]:
            continue
        if "commune" in flt and data["commune"][i] != flt["commune"]:
            continue
        if "territoire" in flt and data["territoire"][i] != flt["territoire"]:
            continue
        if "since" in flt and data["created"][i].date().isoformat() < flt["since"]:
            continue
        if "until" in flt and data["created"][i].date().isoformat() > flt["until"]:
            continue
        if "tag" in flt and flt["tag"] not in data["tag"][i]:
            continue
        if "workshop" in flt and not data["workshop"][i]:
            continue
        keep.append(i)
    return np.array(keep, dtype=int)


def view(client, bbox, zoom, **params):
    response = client.get("/api/v1/reports", query_string={"bbox": ",".join(map(str, bbox)), "zoom": zoom, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def cell_of(lon: float, lat: float, zoom: int) -> int:
    """The 64 px grid cell of a point at a zoom, from the textbook Web Mercator formula."""
    n = 256 * 2**zoom // 64
    x = (lon + 180) / 360
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2
    return int(x * n) * n + int(y * n)


def check_clusters(body, bbox):
    features = body["features"]
    assert body["clustered"] is True
    assert all(f["properties"]["cluster"] is True for f in features)
    assert sum(f["properties"]["count"] for f in features) == body["total"]
    assert len({f["id"] for f in features}) == len(features)
    for f in features:
        p = f["properties"]
        lon, lat = f["geometry"]["coordinates"]
        min_lon, min_lat, max_lon, max_lat = p["bbox"]
        assert bbox[0] <= min_lon <= lon <= max_lon <= bbox[2]
        assert bbox[1] <= min_lat <= lat <= max_lat <= bbox[3]
        assert sum(p["themes"].values()) == p["count"]


@pytest.mark.parametrize("zoom, bbox", [(10, WHOLE_MGP), (12, WHOLE_MGP), (13, PARIS_CENTRE), (17, NEAR_EIFFEL)])
def test_clusters_add_up_to_the_true_total(client, dataset, zoom, bbox):
    body = view(client, bbox, zoom)
    want = expected(dataset, bbox)
    assert body["total"] == len(want) > THRESHOLD
    check_clusters(body, bbox)
    # Each cell holds exactly the reports whose point falls in it, with their theme mix.
    cells = Counter(cell_of(dataset["lon"][i], dataset["lat"][i], zoom) for i in want)
    assert {f["id"]: f["properties"]["count"] for f in body["features"]} == {
        f"c:{zoom}:{cell}": n for cell, n in cells.items()
    }
    mix = Counter((cell_of(dataset["lon"][i], dataset["lat"][i], zoom), dataset["theme"][i]) for i in want)
    for f in body["features"]:
        cell = int(f["id"].split(":")[2])
        assert f["properties"]["themes"] == {t: mix[(cell, t)] for t in THEMES if mix[(cell, t)]}


def test_mean_position_of_a_cluster(client, dataset):
    body = view(client, WHOLE_MGP, 10)
    want = expected(dataset, WHOLE_MGP)
    biggest = max(body["features"], key=lambda f: f["properties"]["count"])
    cell = int(biggest["id"].split(":")[2])
    members = [i for i in want if cell_of(dataset["lon"][i], dataset["lat"][i], 10) == cell]
    lon, lat = biggest["geometry"]["coordinates"]
    assert lon == pytest.approx(np.mean(dataset["lon"][members]), abs=1e-4)
    assert lat == pytest.approx(np.mean(dataset["lat"][members]), abs=1e-4)


@pytest.mark.parametrize(
    "flt",
    [
        {"theme": "logement"},
        {"commune": "93066"},
        {"territoire": "200057867"},
        {"since": "2026-03-01", "until": "2026-06-30"},
        {"tag": "bruit"},
        {"workshop": "MAPTST"},
    ],
    ids=lambda f: "-".join(f),
)
def test_every_filter_applies_to_clusters(client, dataset, flt):
    for zoom, bbox in ((10, WHOLE_MGP), (14, PARIS_CENTRE)):
        body = view(client, bbox, zoom, **flt)
        want = expected(dataset, bbox, **flt)
        assert body["total"] == len(want)
        if body["clustered"]:
            check_clusters(body, bbox)
        else:
            assert len(body["features"]) == len(want)
        if "theme" in flt and body["clustered"]:
            assert all(set(f["properties"]["themes"]) == {"logement"} for f in body["features"])


def test_filters_used_are_selective(dataset):
    """The filter cases above mean something only if each keeps some reports and drops others."""
    n = len(dataset["lon"])
    for flt in (
        {"theme": "logement"},
        {"commune": "93066"},
        {"territoire": "200057867"},
        {"tag": "bruit"},
        {"workshop": "MAPTST"},
        {"since": "2026-03-01", "until": "2026-06-30"},
    ):
        assert 0 < len(expected(dataset, WHOLE_MGP, **flt)) < n, flt


def test_below_the_threshold_every_report_comes_back(client, dataset):
    bbox = (2.30, 48.85, 2.36, 48.87)
    want = expected(dataset, bbox)
    assert 0 < len(want) <= THRESHOLD
    body = view(client, bbox, 15)
    assert body["clustered"] is False and body["next_cursor"] is None
    assert body["total"] == len(body["features"]) == len(want)
    assert all(not f["properties"].get("cluster") for f in body["features"])
    got = sorted(
        (round(f["geometry"]["coordinates"][0], 9), round(f["geometry"]["coordinates"][1], 9)) for f in body["features"]
    )
    assert got == sorted((round(dataset["lon"][i], 9), round(dataset["lat"][i], 9)) for i in want)
    # Place names come from the atlas and match the stored commune.
    assert {f["properties"]["commune"]["code"] for f in body["features"]} == {dataset["commune"][i] for i in want}


def test_above_the_threshold_clusters_below_points(client, dataset):
    """The same view switches with the filter: theme + workshop leaves few reports."""
    wide = view(client, WHOLE_MGP, 11)
    few = view(client, WHOLE_MGP, 11, workshop="MAPTST", theme="mobilite")
    assert wide["clustered"] is True
    assert few["total"] == len(expected(dataset, WHOLE_MGP, workshop="MAPTST", theme="mobilite")) <= THRESHOLD
    assert few["clustered"] is False and len(few["features"]) == few["total"]


def test_hidden_reports_are_neither_counted_nor_clustered(client, app, dataset):
    before = view(client, NEAR_EIFFEL, 17)["total"]
    with app.app_context():
        hidden = db.session.scalars(
            select(Report)
            .where(
                Report.lon.between(NEAR_EIFFEL[0], NEAR_EIFFEL[2]), Report.lat.between(NEAR_EIFFEL[1], NEAR_EIFFEL[3])
            )
            .limit(10)
        ).all()
        for report in hidden:
            report.status = "hidden"
        db.session.commit()
    after = view(client, NEAR_EIFFEL, 17)
    assert after["total"] == before - 10
    check_clusters(after, NEAR_EIFFEL)


@pytest.mark.parametrize("zoom", ["abc", "-1", "23", "1.5"])
def test_invalid_zoom_is_a_json_422(client, zoom):
    response = client.get("/api/v1/reports", query_string={"bbox": ",".join(map(str, WHOLE_MGP)), "zoom": zoom})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_zoom"
    assert response.get_json()["error"]["field"] == "zoom"


def test_paged_answer_carries_the_total(client, dataset):
    body = client.get(
        "/api/v1/reports", query_string={"bbox": ",".join(map(str, PARIS_CENTRE)), "limit": 20}
    ).get_json()
    assert body["total"] == len(expected(dataset, PARIS_CENTRE)) > 20
    assert len(body["features"]) == 20 and body["next_cursor"] is not None


def test_etag_and_not_modified(client, reports, dataset):
    query = {"bbox": ",".join(map(str, WHOLE_MGP)), "zoom": 11}
    first = client.get("/api/v1/reports", query_string=query)
    etag = first.headers["ETag"]
    again = client.get("/api/v1/reports", query_string=query, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/api/v1/reports", query_string={**query, "zoom": 12}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    reports.create()  # a new report changes the data version
    changed = client.get("/api/v1/reports", query_string=query, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["total"] == first.get_json()["total"] + 1


@pytest.mark.parametrize("query", [{"limit": 50}, {"zoom": 16, "bbox": ",".join(map(str, NEAR_EIFFEL))}])
def test_listing_reads_no_commune_or_arrondissement_row(app, client, reports, query):
    """Place names come from the atlas: listing reports never touches the polygon tables (issue 10, part 1)."""
    from sqlalchemy import event

    for _ in range(3):
        reports.create()
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, *args: statements.append(statement.lower())  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        body = client.get("/api/v1/reports", query_string=query).get_json()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert body["total"] == 3 and len(body["features"]) == 3
    assert body["features"][0]["properties"]["arrondissement"]["nom"]  # Paris 7e, from the atlas
    reads = [s for s in statements if "from reports" in s or "join" in s]
    assert reads, "the listing must have read the reports"
    assert not [s for s in statements if "communes" in s or "arrondissements" in s]
