# Khuyến công portal. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Local development runs with DEBUG on; production sets DEBUG=0 and real secrets itself.
export DEBUG ?= 1

.DEFAULT_GOAL := help
.PHONY: help install run test lint format check migrate demo messages chromium worker benchmark benchmark-exports clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed messages ## Create the virtual environment, install Python and npm packages

messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; }
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

migrate: install ## Apply database migrations
	$(BIN)/python manage.py migrate --noinput

demo: migrate ## Load the demo data (idempotent)
	$(BIN)/python manage.py seed_demo

run: demo ## Set everything up, load demo data and serve the portal (and the reminder worker) on http://127.0.0.1:8000
	@echo "Cổng Khuyến công: http://$(HOST):$(PORT)/  (Ctrl+C để dừng)"
	$(BIN)/celery -A khuyencong worker -B -l warning --concurrency 1 & WORKER=$$!; \
	trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install ## Celery worker with beat (reminders); embedded broker unless CELERY_BROKER_URL is set
	$(BIN)/celery -A khuyencong worker -B -l info --concurrency 1

chromium: ## Install Debian's Chromium for the browser tests when missing
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: install chromium ## Install what the tests need and run the whole suite
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Reformat the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install ## Django system checks and missing-migration check
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# make benchmark: PostgreSQL when reachable (BENCH_DB=sqlite for SQLite files under var/, or a URL);
# SCALE=small|full|both. One database per scale, filled once and reused.
BENCH_DB ?= auto
SCALE ?= small
BENCH_ARGS ?=
benchmark: install ## Serve a synthetic province with gunicorn and measure each page: req/s, p50/p95, CPU ms, queries (SCALE=small|full|both, BENCH_DB=sqlite)
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } \
		|| echo "wrk could not be installed: the Python load generator is used."
	DEBUG=0 $(BIN)/python manage.py benchmark --scale $(SCALE) --db $(BENCH_DB) $(BENCH_ARGS)

benchmark-exports: install ## Time the big .xlsx exports and a facility import (500, 2,000 rows) with peak memory at two sizes (on make benchmark's full-scale data)
	DATABASE_URL=$$(DEBUG=0 $(BIN)/python manage.py benchmark --scale full --db $(BENCH_DB) --print-database-url) \
		$(BIN)/python manage.py benchmark_exports --rows 5000 --rows 50000

clean: ## Remove the virtual environment, node_modules and local data
	rm -rf $(VENV) node_modules var staticfiles test-artifacts
