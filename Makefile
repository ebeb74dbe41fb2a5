# The two commands a fresh machine needs: `make test` and `make demo`.
# While iterating: `make test-fast` (skips the minutes-long end-to-end tests) and `make lint`.
# After `make demo`: `make dev-demo` opens the demo in the UI (`PORT=...` for another port than 3000).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The package alone (what the demo and the UI need) and, on top, the dev extra (TensorFlow, the
# deployment clients, the test and docs tools) that `make test` needs.
BASE_INSTALLED := $(VENV)/.installed-base
INSTALLED := $(VENV)/.installed
# The UI's port (`make dev PORT=3001`) and the folder `make demo` fills (`make dev-demo` opens it).
PORT ?= 3000
DEMO_DIR ?= demo-data

.PHONY: test test-fast test-faults lint demo dev dev-demo bench clean system-packages docs docs-serve

$(BASE_INSTALLED): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(BASE_INSTALLED)

$(INSTALLED): $(BASE_INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

# Chromium and PostgreSQL from Debian's packages when missing (root + apt-get), else those tests skip.
system-packages:
	@bash .ci/system-packages

test: $(INSTALLED) system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(INSTALLED) system-packages
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-faults: $(INSTALLED)
	$(BIN)/python -m pytest -m faults $(PYTEST_ARGS)

# The same checks as .pre-commit-config.yaml: lint rules, formatting, types ([tool.mypy] in pyproject.toml).
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Builds the offline world in $(DEMO_DIR), runs two days and writes $(DEMO_DIR)/demo.env.
demo: $(BASE_INSTALLED)
	$(BIN)/whale-assets demo --dir $(DEMO_DIR)

# The UI and daemon on the repository's instance (DAGSTER_HOME = here, the project's dagster.yaml).
dev: $(BASE_INSTALLED)
	DAGSTER_HOME=$(CURDIR) VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev --use-active-venv -p $(PORT)

# The UI and daemon on the demo's instance and data (the settings `make demo` wrote to demo.env).
dev-demo: $(DEMO_DIR)/demo.env
	. ./$(DEMO_DIR)/demo.env && VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev --use-active-venv -p $(PORT)

$(DEMO_DIR)/demo.env:
	@echo "$@ is missing: run make demo first" >&2; exit 1

# The documentation site (docs/, mkdocs.yml): built strictly, so a broken link or missing page fails.
DOCS_PORT ?= 8000
docs: $(INSTALLED)
	DISABLE_MKDOCS_2_WARNING=true NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(INSTALLED)
	DISABLE_MKDOCS_2_WARNING=true NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(DOCS_PORT)

bench: $(INSTALLED)
	$(BIN)/python bench/audio_retrieval.py
	$(BIN)/python bench/sift_speed.py

clean:
	rm -rf $(VENV) .pytest_cache site
