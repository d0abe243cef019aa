# `make run` sets everything up and serves the app; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := agenda

.PHONY: run serve test check bench lint venv clean translations

CATALOGUES := $(wildcard agenda/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when the project's dependencies change; `make run` needs no test tools.
$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[postgres]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-app

venv: $(VENV)/.installed-test

# The .po files are in the repository; the .mo files the app reads are built from them.
agenda/translations/%/LC_MESSAGES/messages.mo: agenda/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed-app
	$(BIN)/pybabel -q compile -i $< -o $@

translations: $(COMPILED)

run: $(VENV)/.installed-app translations
	$(BIN)/flask db upgrade --directory migrations
	$(BIN)/flask agenda demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the solver worker)"
	@$(BIN)/flask agenda worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	AGENDA_SESSION_COOKIE_SECURE=false AGENDA_REMEMBER_COOKIE_SECURE=false \
	AGENDA_BASE_URL=$${AGENDA_BASE_URL:-http://$(HOST):$(PORT)} \
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) 'agenda:create_app()'

# Production: WORKERS web processes and SOLVERS solve workers against AGENDA_DATABASE_URL
# (PostgreSQL), behind a reverse proxy that terminates HTTPS (see README, "Running it for real").
WORKERS ?= 4
SOLVERS ?= 1
serve: $(VENV)/.installed-app translations
	@test -n "$$AGENDA_DATABASE_URL" || { echo "Set AGENDA_DATABASE_URL (postgresql+psycopg://…) and AGENDA_BASE_URL first: see README."; exit 2; }
	@test -n "$$AGENDA_BASE_URL" || { echo "Set AGENDA_BASE_URL (the address people use, e.g. https://agenda.example.org)."; exit 2; }
	$(BIN)/flask db upgrade --directory migrations
	@echo "Serving on $(HOST):$(PORT) with $(WORKERS) web workers and $(SOLVERS) solve workers (Ctrl-C stops all)"
	@pids=""; for i in $$(seq $(SOLVERS)); do $(BIN)/flask agenda worker & pids="$$pids $$!"; done; \
	trap 'kill $$pids 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - 'agenda:create_app()'

test: venv translations
	$(BIN)/python -m pytest -q

# The quick lane for daily work: every test but those that start real servers (marked slow).
check: venv translations
	$(BIN)/python -m pytest -q -m "not slow"

lint: venv
	$(BIN)/ruff check agenda solver tests migrations

bench: venv translations
	$(BIN)/python -m solver bench
	$(BIN)/python -m solver bench --scale $(if $(XL),--xl,)
	$(BIN)/python -m agenda.bench  # exits 1 when a page is over 30 KB
	$(BIN)/python -m agenda.placesbench
	$(BIN)/python -m agenda.loadbench --database sqlite --seconds 20 --readers 50 --voters 32 --baseline
	@if pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then \
	  $(BIN)/python -m agenda.loadbench --database postgresql --seconds 20 --readers 50 --voters 32 --baseline; \
	else echo "loadbench: no PostgreSQL at 127.0.0.1:5432, skipped"; fi

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
