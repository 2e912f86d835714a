# thingspace-fota: every task of the project. `make demo` and `make test` set themselves up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PRISM := node_modules/.bin/prism
REDOCLY := node_modules/.bin/redocly
SPECS := $(wildcard openapi/*.yaml)
SPECS := $(filter-out openapi/generator.yaml,$(SPECS))

.PHONY: help setup generate check-generated check-api api-baseline lint lint-spec test pytest docs mock demo bench verify-live clean

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

setup: $(VENV)/.installed node_modules/.installed  ## Create .venv (the package, its dev, bench and aiohttp extras), install the pinned Node tools.

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -e '.[dev,bench,aiohttp]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

generate: $(VENV)/.installed  ## Regenerate generated/ from the specs under openapi/.
	scripts/generate.sh generated

check-generated: $(VENV)/.installed  ## Fail with a diff when generated/ is not what the specs make.
	scripts/check-generated.sh

check-api: $(VENV)/.installed  ## Fail, naming each break, when the public API lost a name, method or parameter.
	$(BIN)/python scripts/check_api.py check

api-baseline: $(VENV)/.installed  ## Refresh api/thingspace_fota.json: only for a release whose notes announce the break.
	$(BIN)/python scripts/check_api.py baseline

lint-spec: setup  ## Lint the specs (Redocly, strict; openapi-spec-validator).
	$(REDOCLY) lint --config redocly.yaml $(SPECS) 2> >(grep -v -E '^\s*[║╔╚]' >&2)
	$(BIN)/openapi-spec-validator --errors all $(SPECS)

lint: lint-spec  ## Lint the specs, ruff on the project, mypy --strict on the overlay and the typed tests.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy overlay/thingspace_fota tests/typing_usage.py

# The docs tools (the `docs` dependency group) and a strict build: a warning or a reference that does not resolve
# (-n, nitpicky) fails it; -E re-reads every page, so that the check that every public name is documented runs.
$(VENV)/.docs-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --group docs
	touch $@

docs: $(VENV)/.docs-installed  ## Build the HTML documentation into site/ strictly (warnings and broken references fail).
	$(BIN)/sphinx-build -E -W --keep-going -n -q -b html docs site

pytest: setup $(VENV)/.docs-installed  ## Run the test suite only.
	$(BIN)/pytest

test: lint check-generated check-api docs pytest  ## Everything CI runs: lint, generated check, API gate, strict docs build, tests.

mock: setup  ## Prism mocks of the FOTA spec (PORT=4010) and the auth spec (AUTH_PORT=4011) in the foreground.
	$(BIN)/python scripts/mock.py

demo: setup  ## Demo of the three operations against a local Prism mock.
	$(BIN)/python scripts/demo.py

bench: setup  ## Benchmarks against a local server (not part of `make test`); see bench/README.md.
	$(BIN)/python bench/run.py

# The nightly job: tells the maintainers when Verizon's answers move away from openapi/. Needs the THINGSPACE_*
# variables of FotaClient.from_env() (credentials or tokens; THINGSPACE_FOTA_BASE_URL for staging), and
# THINGSPACE_VERIFY_ACCOUNT (and optionally THINGSPACE_VERIFY_DEVICES, space-separated ids). Exit 0 clean,
# 4 drift, 1 API error, 2 bad input. Read-only: devices are synchronized, never asked to report.
verify-live: $(VENV)/.installed  ## Nightly: check the live API's answers against the spec (THINGSPACE_* variables).
	@test -n "$$THINGSPACE_VERIFY_ACCOUNT" || { echo "set THINGSPACE_VERIFY_ACCOUNT (and THINGSPACE_* credentials)" >&2; exit 2; }
	$(BIN)/python -m thingspace_fota verify "$$THINGSPACE_VERIFY_ACCOUNT" $$THINGSPACE_VERIFY_DEVICES

clean:  ## Remove the venv, node_modules, caches and the built docs.
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache site
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
