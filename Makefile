# 联企通 — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test quick check lint format bench bench-policies load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

## run: install, migrate, load demo data on first run, serve on http://127.0.0.1:5000 with the scheduler
run: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) crm seed
	$(FLASK) crm demo --if-empty
# The reminders scheduler runs inside the dev server (exactly once: a lock file); production runs
# `flask crm scheduler` as its own process instead.
	CRM_SCHEDULER=inprocess $(FLASK) run --host 127.0.0.1 --port 5000

## test: the full gate: format, lint, import contracts and types, then the whole suite on SQLite and on
## PostgreSQL (browser tests and PostgreSQL are required in CI)
test: check
	bash scripts/test.sh

## quick: the developer's inner loop: the SQLite suite without the browser and without PostgreSQL
quick: $(VENV)/.dev
	$(BIN)/python -m pytest -q -p no:cacheprovider -p no:playwright -m "not e2e and not production" $(ARGS)

## check: ruff format and lint, the import-linter contracts (crm's layers), mypy over crm/
check: $(VENV)/.dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	PYTHONPATH=. $(BIN)/lint-imports
	$(BIN)/mypy

## bench: a synthetic city (20,000 firms) on SQLite and PostgreSQL, pages/report/import/export/jobs -> bench/results.md
bench: $(VENV)/.dev
	$(BIN)/python -m bench.run

## bench-policies: the city plus 300 policies: matching on its pages, whole-city counts, report, card, job -> bench/policies_results.md
bench-policies: $(VENV)/.dev
	$(BIN)/python -m bench.policies

## load: 32 users for 60 s through gunicorn on 127.0.0.1 (SQLite, then PostgreSQL if installed) -> bench/load_results.md
load: $(VENV)/.dev
	$(BIN)/python -m bench.load

lint: check

## format: rewrite the code in the house format (ruff format, then ruff's safe fixes)
format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache
