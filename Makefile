# The two Quickstart commands: `make demo` (the whole job on embedded databases) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MELTANO := $(BIN)/meltano
N ?= 1000000
DOCS_PORT ?= 8080

.PHONY: demo test lint install up down status docs bench clean

# Project venv (Meltano, psycopg, embedded PostgreSQL, pytest), plus the project's own plugin
# packages so their unit tests run here (tap-csv; the reports with the cockpit and browser tests).
$(BIN)/.installed: pyproject.toml extract/tap-csv/pyproject.toml report/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]' -e extract/tap-csv -e 'report[cockpit,test]'
	touch $@

# Local settings: a copy of .env.example on first run (git-ignored, owner-readable only).
.env:
	install -m 600 .env.example .env

# Meltano plugins, each in its own venv under .meltano/: reinstalled when a plugin file or the
# dependencies of a plugin built here (tap-csv, target-postgres, the reports) change. --clean
# rebuilds each venv (quick with uv's cache), so a checkout gets the venvs a fresh clone gets:
# uv compiles the bytecode (meltano.yml's env) only of the packages it installs.
.meltano/.installed: $(BIN)/.installed $(shell find . -name '*.meltano.yml' -not -path './.meltano/*') meltano.yml \
		extract/tap-csv/pyproject.toml load/target-postgres/pyproject.toml report/pyproject.toml
	$(MELTANO) install --clean
	touch $@

install: $(BIN)/.installed .meltano/.installed

up: install .env
	$(BIN)/python -m infinit.localdb up

down: $(BIN)/.installed
	$(BIN)/python -m infinit.localdb down

status: $(BIN)/.installed
	$(BIN)/python -m infinit.localdb status

# The whole job: demo data, extract-load-transform, then a report for every month.
demo: up
	$(BIN)/python -m infinit.demo_data
	$(MELTANO) run elt
	$(MELTANO) run reports
	@echo
	@set -a && . ./.env && set +a && $(BIN)/infinit-reports summary
	@echo "Warehouse:   make psql   (schemas raw, staging, snapshots, marts, reports)"
	@. ./.env && echo "Cockpit:     .venv/bin/meltano invoke cockpit   then open http://127.0.0.1:$${COCKPIT_PORT:-8501}"
	@echo "dbt docs:    make docs                          then open http://127.0.0.1:$(DOCS_PORT)"

psql: $(BIN)/.installed
	$(BIN)/python -m infinit.localdb psql warehouse

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install lint
	$(BIN)/pytest

docs: up
	$(MELTANO) invoke dbt docs generate
	$(MELTANO) invoke dbt docs serve --host 127.0.0.1 --port $(DOCS_PORT)

# Benchmark: COPY vs pandas vs dlt vs this pipeline, on N generated transactions (docs/performance.md).
bench: install
	bench/run.sh $(N)

clean: down
	rm -rf data output .meltano $(VENV)
