# OpenDMC — the two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test e2e bench-smoke lint format install install-dev system-deps migrate seed messages clean help

help:
	@echo "make run    — install, migrate, load the demo and serve on http://$(HOST):$(PORT)/"
	@echo "make test   — install and run every test (SQLite; DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make e2e    — browser tests (Playwright + Debian's chromium) and the guides' screenshots"
	@echo "make lint   — ruff check and format check"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	@bash scripts/system-deps.sh
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

migrate: install
	@mkdir -p $${OPENDMC_VAR_DIR:-var}
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) signing_init
	$(MANAGE) seed_demo

run: seed
	@echo "Serving OpenDMC on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(MANAGE) runserver $(HOST):$(PORT)

test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Browser tests (tests/e2e, marker e2e; not in `make test`): Playwright drives Debian's chromium,
# installed by scripts/e2e-deps.sh. Screenshots: var/e2e-artifacts/ and the guides' docs/images/.
e2e: install-dev
	@bash scripts/e2e-deps.sh
	$(VENV)/bin/pytest tests/e2e -m e2e $(PYTEST_ARGS)

# Every bench/bench_*.py that accepts --smoke, at a tiny size: does it still work (not how fast).
# Needs PostgreSQL and Redis (the count-day bench starts gunicorn and a Celery worker).
bench-smoke: install-dev
	$(PY) bench/smoke.py

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install-dev
	$(MANAGE) makemessages -l th --ignore ".venv/*" --ignore "tests/*" --no-location
	$(MANAGE) compilemessages -l th --ignore ".venv"

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
