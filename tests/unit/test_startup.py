"""Production refuses to start on a missing, public or short SECRET_KEY, whatever the entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from carte import create_app
from carte.startup import UnsafeConfiguration
from config import DEV_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "4f1c0e9a7b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c"


@pytest.mark.parametrize("key", [None, "", "   ", DEV_SECRET_KEY, "short-but-not-public", "x" * 31])
def test_production_config_refuses_unsafe_secret_keys(key):
    with pytest.raises(UnsafeConfiguration, match="SECRET_KEY") as err:
        create_app("config.ProductionConfig", {"SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "secrets.token_hex" in str(err.value)


def test_production_config_starts_with_a_real_key():
    app = create_app("config.ProductionConfig", {"SECRET_KEY": GOOD_KEY, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == GOOD_KEY


def test_development_config_keeps_its_public_key():
    app = create_app("config.Config", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY


def _run(command: list[str], tmp_path: Path, secret_key: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env |= {"CARTE_CONFIG": "config.ProductionConfig", "DATABASE_URL": f"sqlite:///{tmp_path / 'carte.sqlite'}"}
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


ENTRY_POINTS = {
    "flask": [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
    "gunicorn": [sys.executable, "-m", "gunicorn", "--check-config", "wsgi:app"],
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("key", [None, DEV_SECRET_KEY])
def test_entry_points_exit_non_zero_with_a_message_naming_secret_key(entry, key, tmp_path):
    result = _run(ENTRY_POINTS[entry], tmp_path, key)
    assert result.returncode != 0
    assert "SECRET_KEY est absente, publique ou trop courte" in result.stderr + result.stdout


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_entry_points_start_with_a_real_key(entry, tmp_path):
    result = _run(ENTRY_POINTS[entry], tmp_path, GOOD_KEY)
    assert result.returncode == 0, result.stderr[-2000:]
