"""Shared fixtures: a fresh database per test, on SpatiaLite and (when configured) PostGIS.

As in GeoAlchemy2's own suite, the backend is a parameter of every test that uses `app`.
The rule: a test runs on PostGIS too only when it is marked `backends` (a module's
`pytestmark` or one test's decorator), because what it checks depends on the backend:
SQL, storage, ingest, filters, exports, migrations, map clusters, aggregates read from the
database, idempotency races, erasure, reports or workshops written and read back through the
API. Everything else (CSRF, headers, QR codes, the login form, error pages, translations,
rate limits, the OpenAPI document, page rendering) runs on SpatiaLite only. When in doubt,
mark it. A test that parametrises `backend` itself keeps its own choice.
PostGIS runs when CARTE_TEST_DATABASE_URL is set, is skipped locally when it is
not, and is required in CI (CI=true), where a missing PostGIS fails the run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, make_url, select, text

from carte import create_app
from carte.extensions import db
from carte.models import Theme
from carte.storage.setup import ensure_data, prepare_database
from tests.compile_cache import SharedBytecodeCache, share_url_builders

# Property tests explore new examples locally; in CI they replay the same ones (no flaky run), with no
# deadline (the machines are shared and noisy) and no example database left in the tree.
settings.register_profile("carte", deadline=None, database=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("carte")

share_url_builders()
TEMPLATES = SharedBytecodeCache()

ROOT = Path(__file__).resolve().parents[1]
SOURCES = os.environ.get("CARTE_SOURCES") or str(ROOT.parent / "shared" / "data")
POSTGIS_URL = os.environ.get("CARTE_TEST_DATABASE_URL")
BACKENDS = ["spatialite", "postgis"]
# Reference tables kept between PostGIS tests; every other table is emptied after each test.
REFERENCE_TABLES = {"communes", "arrondissements", "data_versions", "alembic_version", "spatial_ref_sys"}


def make_app(url: str, data_dir: Path, **overrides):
    application = create_app(
        "config.TestConfig",
        {"SQLALCHEMY_DATABASE_URI": url, "CARTE_DATA_DIR": str(data_dir), "CARTE_SOURCES": SOURCES, **overrides},
    )
    application.jinja_env.bytecode_cache = TEMPLATES
    return application


class PostgisReset:
    """How a PostGIS database goes back to its state after `prepare_database` (flaskr: fresh data per test),
    in four round trips: every table but the reference ones emptied, children first, each id sequence
    restarted, and the seeded themes put back as they were read right after seeding.

    DELETE and a restart of each sequence give the same empty tables and ids from 1 as TRUNCATE ... RESTART
    IDENTITY, in a few milliseconds instead of 50 to 300 (TRUNCATE makes new files for every table, even
    empty ones). The sequences and the seeded rows are read once per database, not after every test."""

    def __init__(self, session):
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        sequences = session.scalars(
            text(
                "SELECT pg_get_serial_sequence(quote_ident(table_name), column_name) FROM information_schema.columns"
                " WHERE table_schema = 'public' AND table_name = ANY(:tables)"
                " AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL"
            ),
            {"tables": tables},
        ).all()
        statements = [f"DELETE FROM {table}" for table in reversed(tables)]
        statements += [f"ALTER SEQUENCE {sequence} RESTART" for sequence in sequences]
        self.empty = text("; ".join(statements))
        self.themes = [dict(row) for row in session.execute(select(Theme.__table__)).mappings()]

    def __call__(self, session) -> None:
        session.execute(self.empty)
        session.execute(Theme.__table__.insert(), self.themes)
        session.execute(text("SELECT setval(pg_get_serial_sequence('themes', 'id'), (SELECT max(id) FROM themes))"))
        session.commit()


_postgis_resets: dict[str, PostgisReset] = {}  # by database URL, filled by `postgis_ready`


def empty_postgis(session) -> None:
    """The database of `postgis_ready` as it was before the test (see PostgisReset)."""
    _postgis_resets[session.get_bind().url.render_as_string(hide_password=False)](session)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the .po catalogues into .mo files (git-ignored), as `make setup` does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "carte" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        partial = mo.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as target:
            write_mo(target, catalog)
        partial.replace(mo)  # atomic: parallel test runs never read half a file


@pytest.fixture(scope="session", autouse=True)
def light_password_hashes():
    """Staff passwords hashed with scrypt at N=1024 in tests, not the production N=32768 (80 ms a hash,
    and hundreds of tests create a user and log in), as Django's test settings use a fast hasher.
    Checking reads the parameters from the stored hash; the dummy hash an unknown email is checked
    against gets the same parameters, so that both paths still cost alike."""
    from werkzeug.security import generate_password_hash

    import carte.accounts
    import carte.models.accounts as accounts

    def light(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
        return generate_password_hash(password, "scrypt:1024:8:1" if method == "scrypt" else method, salt_length)

    dummy = carte.accounts._DUMMY_HASH
    accounts.generate_password_hash = light
    carte.accounts._DUMMY_HASH = dummy.replace("scrypt:32768:8:1$", "scrypt:1024:8:1$", 1)
    yield
    accounts.generate_password_hash = generate_password_hash
    carte.accounts._DUMMY_HASH = dummy


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """The commune data, built once per test session from the local mirror."""
    path = tmp_path_factory.mktemp("data")
    app = make_app("sqlite://", path)
    ensure_data(app)
    return path


@pytest.fixture(scope="session")
def spatialite_template(tmp_path_factory, data_dir) -> Path:
    """A migrated, loaded and seeded SpatiaLite file that each test copies."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    app = make_app(f"sqlite:///{path}", data_dir)
    prepare_database(app)
    with app.app_context():
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.engine.dispose()
    return path


def worker_database_url(url: str, worker: str | None) -> str:
    """Under pytest-xdist each worker gets its own database beside the configured one (carte_test_gw0...),
    created on the same server if it is missing; without xdist, the configured database itself."""
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgis_ready(data_dir):
    if not POSTGIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CARTE_TEST_DATABASE_URL must be set in CI: PostGIS tests are required there.")
        pytest.skip("CARTE_TEST_DATABASE_URL is not set: PostGIS tests skipped locally.")
    url = worker_database_url(POSTGIS_URL, os.environ.get("PYTEST_XDIST_WORKER"))
    app = make_app(url, data_dir)
    with app.app_context():
        db.session.execute(
            text("DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION IF NOT EXISTS postgis")
        )
        db.session.commit()
    prepare_database(app)
    with app.app_context():
        _postgis_resets[db.engine.url.render_as_string(hide_password=False)] = PostgisReset(db.session)
        db.session.remove()
        db.engine.dispose()
    return url


def _parametrises(metafunc, name: str) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if name in ([n.strip() for n in names.split(",")] if isinstance(names, str) else names):
            return True
    return False


def pytest_generate_tests(metafunc):
    """SpatiaLite for every test of the app; PostGIS as well for the tests marked `backends`."""
    if "backend" in metafunc.fixturenames and not _parametrises(metafunc, "backend"):
        marked = metafunc.definition.get_closest_marker("backends") is not None
        metafunc.parametrize("backend", BACKENDS if marked else BACKENDS[:1], indirect=True)


@pytest.fixture
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(request, backend, tmp_path, data_dir):
    overrides = getattr(request, "param", None) or {}
    marker = request.node.get_closest_marker("config")
    if marker:
        overrides = {**overrides, **marker.kwargs}
    if backend == "spatialite":
        template = request.getfixturevalue("spatialite_template")
        path = tmp_path / "carte.sqlite"
        shutil.copyfile(template, path)
        application = make_app(f"sqlite:///{path}", data_dir, **overrides)
    else:
        url = request.getfixturevalue("postgis_ready")
        application = make_app(url, data_dir, **overrides)
    responses = closing_test_clients(application)
    yield application
    for response in responses:
        response.close()
    with application.app_context():
        db.session.rollback()
        if backend == "postgis":
            empty_postgis(db.session)
        db.session.remove()
        db.engine.dispose()


def closing_test_clients(application) -> list:
    """The app's test clients remember their responses, for the `app` fixture to close them at the
    end of the test: a file sent by send_file (a photo, a static file) stays open until then."""
    from flask.testing import FlaskClient

    responses = []

    class ClosingClient(FlaskClient):
        def open(self, *args, **kwargs):
            response = super().open(*args, **kwargs)
            responses.append(response)
            return response

    application.test_client_class = ClosingClient
    return responses


@pytest.fixture
def uploads(app, tmp_path) -> Path:
    """A fresh photo folder for the test's app."""
    folder = tmp_path / "uploads"
    app.config["CARTE_UPLOAD_DIR"] = str(folder)
    return folder


@pytest.fixture
def client(app):
    return app.test_client()


def pytest_configure(config):
    config.addinivalue_line("markers", "config(**values): extra Flask config for the app fixture")
    config.addinivalue_line(
        "markers", "backends: depends on the database backend, so runs on PostGIS as well as SpatiaLite"
    )


@pytest.fixture
def reports(client):
    from tests.helpers import ReportsApi

    return ReportsApi(client)
