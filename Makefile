# The two commands a fresh machine needs: `make test` and `make demo`.
# While iterating: `make test-fast` (skips the minutes-long end-to-end tests) and `make lint`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: test test-fast test-faults lint demo dev bench clean system-packages docs docs-serve

$(INSTALLED): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
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

demo: $(INSTALLED)
	$(BIN)/whale-assets demo

dev: $(INSTALLED)
	DAGSTER_HOME=$(CURDIR) $(BIN)/dagster dev

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
