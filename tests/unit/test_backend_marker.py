"""The backend rule of tests/conftest.py: SpatiaLite for every test of the app, PostGIS as well when marked.

Checked twice: on a small suite of its own (what each kind of test is parametrised with), and on
the real collection (every PostGIS test is marked, and a test that branches on the backend is too).
"""

from __future__ import annotations

import inspect

SUITE = """
import pytest

@pytest.fixture
def app(backend):
    return backend

def test_plain(app):
    pass

@pytest.mark.backends
def test_marked(app):
    pass

@pytest.mark.backends
@pytest.mark.parametrize("backend", ["postgis"], indirect=True)
def test_narrowed(app):
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_params(app, n):
    pass

def test_without_the_app():
    pass
"""

MARKED_MODULE = """
import pytest

pytestmark = pytest.mark.backends

def test_in_a_marked_module(backend):
    pass
"""


def test_only_marked_tests_run_on_postgis(pytester):
    pytester.makeconftest(
        "from tests.conftest import backend, pytest_generate_tests  # noqa: F401\n"
        "def pytest_configure(config):\n"
        "    config.addinivalue_line('markers', 'backends: both')\n"
    )
    pytester.makepyfile(test_suite=SUITE, test_marked_module=MARKED_MODULE)
    items, _ = pytester.inline_genitems()
    assert sorted(item.nodeid.split("::")[1] for item in items) == [
        "test_in_a_marked_module[postgis]",
        "test_in_a_marked_module[spatialite]",
        "test_marked[postgis]",
        "test_marked[spatialite]",
        "test_narrowed[postgis]",
        "test_params[spatialite-1]",
        "test_params[spatialite-2]",
        "test_plain[spatialite]",
        "test_without_the_app",
    ]


def collected_with_a_backend(request):
    return [
        item
        for item in request.session.items
        if getattr(item, "callspec", None) is not None and "backend" in item.callspec.params
    ]


def test_every_postgis_test_of_the_suite_is_marked(request):
    unmarked = [
        item.nodeid
        for item in collected_with_a_backend(request)
        if item.callspec.params["backend"] == "postgis"
        and item.get_closest_marker("backends") is None
        and not any("backend" in str(m.args[0]) for m in item.iter_markers("parametrize"))
    ]
    assert unmarked == []


def test_a_test_that_reads_the_backend_runs_on_both(request):
    """A test that takes `backend` as an argument branches on it: it must be marked, or choose its backends."""
    loose = set()
    for item in collected_with_a_backend(request):
        reads_it = "backend" in inspect.signature(item.function).parameters
        chooses = any("backend" in str(m.args[0]) for m in item.iter_markers("parametrize"))
        if reads_it and not chooses and item.get_closest_marker("backends") is None:
            loose.add(item.originalname)
    assert loose == set()
