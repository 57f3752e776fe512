"""The per-app services (carte/services.py): built by create_app, one per app, never two per worker."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from carte.aggregation_service import Aggregates
from carte.geo.atlas import ARRONDISSEMENTS_FILE, COMMUNES_FILE, WEB_FILE, Atlas, get_atlas
from carte.web.aggregates import service
from tests.conftest import make_app


def _at_once(n: int, work):
    """Run `work` in n threads released together; their results, in thread order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def run(i):
        barrier.wait()
        try:
            results[i] = work()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    return results


@pytest.fixture
def counted_loads(monkeypatch):
    """How many times an atlas is read from disk during the test."""
    calls = []
    real = Atlas.load.__func__

    def load(cls, data_dir):
        calls.append(Path(data_dir))
        return real(cls, data_dir)

    monkeypatch.setattr(Atlas, "load", classmethod(load))
    return calls


@pytest.fixture
def late_data(tmp_path, data_dir):
    """An app created before its data folder has the data (the tests' first app, `build-communes`)."""
    folder = tmp_path / "late"
    folder.mkdir()
    app = make_app("sqlite://", folder)

    def build():
        for name in (COMMUNES_FILE, ARRONDISSEMENTS_FILE, WEB_FILE):
            shutil.copyfile(data_dir / name, folder / name)

    return app, build


def test_create_app_builds_the_atlas_and_the_aggregates_when_the_data_is_there(data_dir):
    app = make_app("sqlite://", data_dir)
    atlas = app.extensions["carte_atlas"]
    assert isinstance(atlas, Atlas) and len(atlas.communes) > 100
    aggregates = app.extensions["carte_aggregates"]
    assert isinstance(aggregates, Aggregates)
    assert aggregates._ready  # places, index and cell lookup built at creation, not on a request
    assert aggregates.atlas is atlas
    assert get_atlas(app) is atlas
    assert "carte_map_mercator" in app.extensions and "carte_reference_rows" in app.extensions


def test_apps_sharing_a_data_folder_share_one_atlas(data_dir):
    first, second = make_app("sqlite://", data_dir), make_app("sqlite://", data_dir)
    assert first.extensions["carte_atlas"] is second.extensions["carte_atlas"]
    assert first.extensions["carte_aggregates"] is not second.extensions["carte_aggregates"]


@pytest.mark.parametrize("backend", ["spatialite"])
def test_a_request_creates_no_service(app, client, monkeypatch):
    """With the data there, a request only uses what create_app built: loading or building again fails here."""
    before = dict(app.extensions)

    def refuse(*_a, **_k):
        raise AssertionError("built during a request")

    monkeypatch.setattr(Atlas, "load", classmethod(refuse))
    monkeypatch.setattr(Aggregates, "setup", refuse)
    assert client.get("/api/v1/aggregates/territories").status_code == 200
    assert client.get("/api/v1/reports?zoom=12&bbox=2.2,48.8,2.5,48.95").status_code == 200
    for name in ("carte_atlas", "carte_aggregates", "carte_map_mercator", "carte_reference_rows"):
        assert app.extensions[name] is before[name]


def test_two_threads_asking_for_the_service_get_the_same_one(data_dir):
    app = make_app("sqlite://", data_dir)

    def ask():
        with app.test_request_context("/"):
            return service()

    first, second = _at_once(2, ask)
    assert first is second is app.extensions["carte_aggregates"]


def test_create_app_does_not_fail_before_the_data_exists(late_data):
    app, _build = late_data
    assert "carte_atlas" not in app.extensions
    assert not app.extensions["carte_aggregates"]._ready


def test_missing_data_is_loaded_once_when_two_threads_first_ask(late_data, counted_loads):
    app, build = late_data
    build()
    atlases = _at_once(4, lambda: get_atlas(app))
    assert all(a is atlases[0] for a in atlases)
    assert [p.name for p in counted_loads].count("late") == 1


def test_the_lazy_aggregates_are_built_once_under_their_lock(late_data, counted_loads):
    app, build = late_data
    build()
    aggregates = app.extensions["carte_aggregates"]
    placed = _at_once(4, lambda: (aggregates.places, aggregates.index, aggregates.atlas))
    assert all(p[0] is placed[0][0] and p[1] is placed[0][1] for p in placed)
    assert placed[0][2] is get_atlas(app)
    assert [p.name for p in counted_loads].count("late") == 1


def test_the_cell_lookup_is_built_once_for_every_app_on_the_atlas(data_dir):
    """Built on first use (its module loads scipy, which start-up must not), once, whoever asks."""
    first, second = make_app("sqlite://", data_dir), make_app("sqlite://", data_dir)
    lookups = _at_once(4, lambda: first.extensions["carte_aggregates"].cell_places)
    assert all(lookup is lookups[0] for lookup in lookups)
    assert second.extensions["carte_aggregates"].cell_places is lookups[0]


def test_unreadable_data_does_not_stop_the_app_from_starting(tmp_path, data_dir, caplog):
    """`flask carte build-communes --force` must be able to start and repair it; the first use then fails."""
    folder = tmp_path / "broken"
    folder.mkdir()
    for name in (ARRONDISSEMENTS_FILE, WEB_FILE):
        shutil.copyfile(data_dir / name, folder / name)
    (folder / COMMUNES_FILE).write_text("{not json", encoding="utf-8")
    app = make_app("sqlite://", folder)
    assert "carte_atlas" not in app.extensions
    assert any("atlas not loaded at start-up" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError):
        get_atlas(app)
