# Relais: two commands.  `make run` serves the app with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run serve install install-dev translations messages db demo test test-sqlite test-postgres lint format migration bench clean

run: install translations db demo serve ## set everything up and serve on http://127.0.0.1:5000

serve: ## the app, plus `flask jobs tick` every minute beside it (Ctrl-C stops both)
	@echo "Relais : http://$(HOST):$(PORT)  (comptes de démo : $(BIN)/flask demo accounts)"
	BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) scripts/serve.sh

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Relais needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

translations: install ## compile the catalogues (French, German)
	$(BIN)/pybabel compile --use-fuzzy -d app/translations --statistics 2>&1 | tail -n 1

messages: install ## re-extract marked strings into the catalogue (run after changing texts)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --project Relais -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

db: install
	$(BIN)/flask db upgrade

demo: install
	$(BIN)/flask demo seed

test: install-dev ## install what is missing, then the suite on SQLite and on PostgreSQL + Redis
	scripts/test.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app tests bench
	$(BIN)/lint-imports  # the layers of docs/architecture.md (pyproject.toml, [tool.importlinter])

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format app tests bench

migration: install ## make migration m="what changed"
	$(BIN)/flask db migrate -m "$(m)"

bench: install-dev
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
