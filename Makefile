# OpenDMC — the two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test e2e replica replica-stop pgbouncer pgbouncer-stop bench-smoke bench-check lint format install install-dev system-deps migrate seed messages clean help lock runtime-check fuzz mutate

help:
	@echo "make run    — install, migrate, load the demo and serve on http://$(HOST):$(PORT)/"
	@echo "make test   — install and run every test (SQLite; DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make e2e    — browser tests (Playwright + Debian's chromium) and the guides' screenshots"
	@echo "make fuzz   — the property and fuzz tests with new random examples (prints its seed)"
	@echo "make bench-smoke — every benchmark at a tiny size: does it still work (PostgreSQL, Redis)"
	@echo "make bench-check — every benchmark with --check at its middle size, targets asserted (minutes)"
	@echo "make replica — a streaming replica of the local PostgreSQL on port 5433 (make replica-stop)"
	@echo "make pgbouncer — PgBouncer (transaction mode) on 6432 in front of it (make pgbouncer-stop)"
	@echo "make lint   — ruff check and format check, and the apps' layering (import-linter)"
	@echo "make mutate — mutation testing of the money and legality rules, score per module (docs/mutation.md)"
	@echo "make lock   — pin every dependency with its hashes (requirements*.in → requirements*.txt)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	@bash scripts/system-deps.sh
	$(PIP) install --quiet --require-hashes -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PIP) install --quiet --require-hashes -r requirements-dev.txt
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

# The property and fuzz tests (Hypothesis) with new examples, six times as many as `make test`'s
# fixed ones, drawn from a seed printed first: `make fuzz HYPOTHESIS_SEED=<seed>` replays a run.
fuzz: install-dev
	@seed=$${HYPOTHESIS_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
	echo "Hypothesis seed $$seed (replay: make fuzz HYPOTHESIS_SEED=$$seed)"; \
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest -m hypothesis --hypothesis-seed=$$seed $(PYTEST_ARGS) \
	|| { echo "make fuzz FAILED with Hypothesis seed $$seed: replay with make fuzz HYPOTHESIS_SEED=$$seed"; exit 1; }

# Mutation testing of the rules that decide money and legality (docs/mutation.md, scripts/mutate.py):
# mutmut changes the listed functions one at a time and runs the tests that call each; prints the
# score per module and fails under 95 % killed (the listed equivalents left out), on a survivor
# docs/mutation.md does not explain, or on a listed equivalent that a test fails on.
# MUTATE_ARGS="census/rates.py" tries one module; DATABASE_URL=postgres://... runs it on PostgreSQL,
# the row-lock and race tests (marker postgres) taking part.
mutate: install-dev
	$(PY) scripts/mutate.py $(MUTATE_ARGS)

# Browser tests (tests/e2e, marker e2e; not in `make test`): Playwright drives Debian's chromium,
# installed by scripts/e2e-deps.sh. Screenshots: var/e2e-artifacts/ and the guides' docs/images/.
e2e: install-dev
	@bash scripts/e2e-deps.sh
	$(VENV)/bin/pytest tests/e2e -m e2e $(PYTEST_ARGS)

# A hot standby of the local PostgreSQL cluster (Debian's pg_createcluster + pg_basebackup -R) on
# 127.0.0.1:5433, for DATABASE_REPLICA_URL (config/db_router.py); needs root or sudo. The primary is
# only reloaded, never restarted. `make replica-stop` stops it; its data stays for the next start.
replica:
	bash scripts/replica.sh start

replica-stop:
	bash scripts/replica.sh stop

# PgBouncer in transaction mode on 127.0.0.1:6432 in front of 5432 (Debian's pgbouncer, installed
# when missing: a CI and development tool). Use it with DATABASE_URL=postgres://postgres@127.0.0.1:6432/…
# and DATABASE_POOLER=pgbouncer (config/settings/base.py).
pgbouncer:
	bash scripts/pgbouncer.sh start

pgbouncer-stop:
	bash scripts/pgbouncer.sh stop

# Every bench/bench_*.py that accepts --smoke, at a tiny size: does it still work (not how fast).
# Needs PostgreSQL and Redis (the count-day bench starts gunicorn and a Celery worker).
bench-smoke: install-dev
	$(PY) bench/smoke.py

# Every bench/bench_*.py that accepts --check, at its middle size with its targets asserted: fails
# when one misses a target. Minutes, not seconds: not in .ci/run. DATABASE_URL=postgres://... as above.
bench-check: install-dev
	$(PY) bench/smoke.py --check

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install-dev
	$(MANAGE) makemessages -l th --ignore ".venv/*" --ignore "tests/*" --no-location
	$(MANAGE) compilemessages -l th --ignore ".venv"

# Compile requirements.in and requirements-dev.in into the lock files, every transitive dependency
# pinned with its hashes (uv, in a throwaway venv). Versions already in the lock files are kept;
# `make lock UPGRADE=--upgrade` moves everything to the newest allowed.
UV_VERSION := 0.13.9
lock:
	@tmp=$$(mktemp -d) && $(PYTHON) -m venv $$tmp && $$tmp/bin/pip install --quiet uv==$(UV_VERSION) \
	&& for f in requirements requirements-dev; do \
	  $$tmp/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 $(UPGRADE) \
	    --custom-compile-command "make lock" $$f.in -o $$f.txt || exit 1; done; rm -rf $$tmp

# A fresh venv from requirements.txt alone runs production: /healthz/ and a Celery worker per queue.
runtime-check:
	bash scripts/runtime-check.sh

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
