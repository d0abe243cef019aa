# `make run` sets everything up and serves the app; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := agenda

.PHONY: run test bench lint venv serve clean translations

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
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) 'agenda:create_app()'

test: venv translations
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check agenda solver tests migrations

bench: venv
	$(BIN)/python -m solver bench
	$(BIN)/python -m agenda.bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
