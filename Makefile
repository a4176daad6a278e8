# Area Clienti console — everyday commands. `make help` lists them.

PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed-stamp
PYTEST_N   ?= 2

.DEFAULT_GOAL := help
.PHONY: help run test lint pg-start pg-stop wheel-check clean browser-deps

help: ## show this list
	@echo "Area Clienti console: targets"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The virtualenv is (re)installed only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing the project and its test tools into $(VENV)"
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

run: $(STAMP) ## open the console (.venv/bin/areaclienti-tui)
	@$(BIN)/areaclienti-tui

.PHONY: scenarios
scenarios: $(STAMP) ## run the scenario files of scenarios/ (also part of make test)
	@$(BIN)/areaclienti-tui scenario scenarios/

lint: $(STAMP) ## check the import contracts (no textual in rules/services/store; steps import neither each other nor the app)
	@out="$$($(BIN)/lint-imports --no-cache 2>&1)" || { echo "$$out"; exit 1; }; echo "import contracts kept"

pg-start: ## start the PostgreSQL test server (scripts/pg-test-server) and print its URL
	@scripts/pg-test-server

pg-stop: ## stop the PostgreSQL test server
	@scripts/pg-test-server stop

test: $(STAMP) browser-deps ## import contracts, PostgreSQL test server, whole suite with pytest -n 2 and, beside it, the wheel check
	@scripts/run-tests $(BIN) $(PYTEST_N)

# Debian's chromium for tests/test_browser.py; silent when /usr/bin/chromium is there.
browser-deps: ## install the browser for the browser test (Debian chromium) if missing
	@scripts/browser-deps

# Builds the wheel, installs it in a throwaway venv under /tmp and runs it from
# another folder: proves the data files travel inside the wheel (about 40 s).
wheel-check: $(STAMP) ## build the wheel, install it in a throwaway venv in /tmp, run it from another folder
	@scripts/wheel-check $(BIN)/python

clean: ## stop the test server, delete .venv, the test database, caches and build output
	@-scripts/pg-test-server clean 2>/dev/null
	@rm -rf $(VENV) build dist *.egg-info .pytest_cache
	@find . -name __pycache__ -type d -prune -exec rm -rf {} +
