# Comrade Pay. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: help install run migrate demo test test-sqlite test-postgres bench reliability cluster scheduler worker beat lint format clean

help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The local targets run in development mode (a dev secret key, the sandbox, plain http); production
# is the default of the settings, so it is asked for here explicitly. An exported value wins.
migrate demo run scheduler worker beat: export DJANGO_DEBUG ?= true

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml requirements.lock
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the pinned dependencies

migrate: install ## apply database migrations
	$(PY) manage.py migrate --noinput

demo: migrate ## load the demo users, groups and money (idempotent, through the ledger)
	$(PY) manage.py seed_demo

run: demo ## set up and serve on http://127.0.0.1:$(PORT) with the scheduler beside it
	@scripts/run.sh $(PORT)

test: install ## the whole suite on SQLite, on PostgreSQL when a server can be had, and in Chromium when installed
	@scripts/test.sh

test-sqlite: install ## the suite on SQLite only
	$(PY) -m pytest

test-postgres: install ## the suite on PostgreSQL only (starts the local cluster)
	DATABASE_URL=$$(scripts/ensure-postgres.sh) $(PY) -m pytest --create-db

bench: install ## benchmarks on their own databases; results in bench/results/ (docs/performance.md)
	@scripts/bench.sh

reliability: install ## money invariants under load, SIGKILL, idempotency storms, access matrix, schemathesis
	@scripts/reliability.sh

cluster: install ## rehearse docs/deployment.md: 2 web nodes, 2 Celery workers, 1 beat, Redis; kill a node and a worker
	@scripts/cluster.sh

scheduler: install ## the embedded scheduler loop on its own (make run already starts it)
	$(PY) manage.py run_scheduler

worker: install ## a Celery worker (needs REDIS_URL or CELERY_BROKER_URL)
	$(VENV)/bin/celery -A config worker -l info

beat: install ## Celery beat: schedules every registered job (needs REDIS_URL or CELERY_BROKER_URL)
	$(VENV)/bin/celery -A config beat -l info

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## remove the virtualenv and the local SQLite database
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm
