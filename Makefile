# The two Quickstart commands: `make demo` (the whole job on embedded databases) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MELTANO := $(BIN)/meltano
N ?= 1000000

.PHONY: demo test lint install up down status docs bench clean

# Project venv (Meltano, psycopg, embedded PostgreSQL, pytest): rebuilt when pyproject changes.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Local settings: a copy of .env.example on first run (git-ignored; edit the passwords).
.env:
	cp .env.example .env

# Meltano plugins, each in its own venv under .meltano/: reinstalled when a plugin file changes.
.meltano/.installed: $(BIN)/.installed $(shell find . -name '*.meltano.yml' -not -path './.meltano/*') meltano.yml
	$(MELTANO) install
	touch $@

install: $(BIN)/.installed .meltano/.installed

up: install .env
	$(BIN)/python -m infinit.localdb up

down: $(BIN)/.installed
	$(BIN)/python -m infinit.localdb down

status: $(BIN)/.installed
	$(BIN)/python -m infinit.localdb status

demo: up
	$(BIN)/python -m infinit.demo_data
	$(MELTANO) run tap-postgres target-postgres
	@echo
	@echo "Done. Warehouse: make psql (schemas raw, staging, marts, reports)."

psql: $(BIN)/.installed
	$(BIN)/python -m infinit.localdb psql warehouse

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install lint
	$(BIN)/pytest

docs: up
	$(MELTANO) invoke dbt docs generate
	$(MELTANO) invoke dbt docs serve --port 8080

clean: down
	rm -rf data output .meltano $(VENV)
