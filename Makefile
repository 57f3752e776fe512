# Carte: `make run` to serve the app (gunicorn, as in production), `make test` to run the whole suite;
# `make dev` serves with Flask's development server (reloader and debugger) instead, `make lint` checks the code.
# `run` installs requirements.txt only; `test` and `lint` add requirements-dev.txt.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Use the offline mirror beside the checkout when there is one, the official URLs otherwise.
CARTE_SOURCES ?= $(if $(wildcard ../shared/data/README.md),$(abspath ../shared/data),)
export CARTE_SOURCES
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_PACKAGES := libsqlite3-mod-spatialite redis-server chromium libpango-1.0-0 libpangoft2-1.0-0
VENDOR_STAMP := carte/static/vendor/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run dev test lint setup system-packages data db bench clean-demo translations extract-messages

# gthread workers with the settings of gunicorn.conf.py (an equivalent command line until it exists).
GUNICORN_OPTIONS ?= $(if $(wildcard gunicorn.conf.py),-c gunicorn.conf.py,--worker-class gthread --workers 2 --threads 4)

run: setup data db
	$(VENV)/bin/gunicorn $(GUNICORN_OPTIONS) --bind $(HOST):$(PORT) wsgi:app

dev: setup data db
	$(FLASK) run --debug --host $(HOST) --port $(PORT)

# One pytest worker per core (pytest-xdist), each module whole on one worker; TEST_WORKERS=0 runs in one process.
# PYTEST_ARGS adds options (make test PYTEST_ARGS="-x tests/unit").
TEST_WORKERS ?= auto
PYTEST_ARGS ?=

# The front-end unit tests (Node's own runner, no framework) first, then pytest; both run, either failing fails.
# Python keeps its compiled modules (and pytest its rewritten test modules) even where the environment says
# not to: collecting the suite took 9.5 s a process without them and 4.2 s with them.
test: setup $(DEV_STAMP)
	@status=0; \
	node --test tests/js/*.test.mjs || status=$$?; \
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS) || status=$$?; \
	exit $$status

# ruff (lint, then the formatting check) and ESLint; every check runs, any failing fails.
lint: system-packages $(DEV_STAMP) $(VENDOR_STAMP)
	@status=0; \
	$(VENV)/bin/ruff check . || status=$$?; \
	$(VENV)/bin/ruff format --check . || status=$$?; \
	npx --no-install eslint . || status=$$?; \
	exit $$status

setup: system-packages $(VENV)/.installed $(VENDOR_STAMP) translations

# Compiled catalogues (*.mo, git-ignored) from the .po files; re-run after editing a .po.
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -d carte/translations

# Refresh the template and the catalogues after adding or changing UI strings.
extract-messages: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k CarteError:2 -k plural_forms:1,2 --no-location --sort-output -o carte/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -i carte/translations/messages.pot -d carte/translations -l en
	$(PY) scripts/french_plurals.py

# System packages, installed only when missing (with sudo when not root).
system-packages:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# Test and lint tools, on top of what runs the app.
$(DEV_STAMP): requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

$(VENDOR_STAMP): package.json package-lock.json scripts/copy-vendor.mjs
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/copy-vendor.mjs
	touch $@

data: data/communes.geojson

# Rebuilt when missing, or when the code that builds it changed.
data/communes.geojson: carte/geo/communes.py carte/geo/sources.py | $(VENV)/.installed
	$(FLASK) carte build-communes

db: $(VENV)/.installed
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) carte load-places
	$(FLASK) carte seed

bench: setup data
	$(PY) bench/locate.py

clean-demo: $(VENV)/.installed
	$(FLASK) carte remove-demo
