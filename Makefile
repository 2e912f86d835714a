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
# The locker, from PyPI; the same pin is in the dev group of pyproject.toml (tests/test_packaging.py checks it).
UV_VERSION := 0.13.9
UV := $(BIN)/uv
# uv reads no pip configuration (a machine's global pip constraints or indexes change nothing): uv.lock alone
# decides. It never downloads a Python; it copies from its cache (which is on another filesystem here).
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

.PHONY: help setup lock dist-check generate check-generated check-api api-baseline lint lint-spec test pytest docs mock demo bench verify-live clean

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

setup: $(VENV)/.installed node_modules/.installed  ## Create .venv exactly as uv.lock says (the package editable, every group), install the pinned Node tools.

# uv itself comes from PyPI at its pin, into the venv it then manages; pip runs without the machine's config files.
$(UV):
	$(PYTHON) -m venv $(VENV)
	PIP_CONFIG_FILE=/dev/null $(BIN)/python -m pip install --quiet --disable-pip-version-check --only-binary=:all: 'uv==$(UV_VERSION)'

# --locked: fail if uv.lock does not match pyproject.toml (run `make lock`), never re-resolve silently.
$(VENV)/.installed: pyproject.toml uv.lock overlay/thingspace_fota/_version.py | $(UV)
	$(UV) sync --locked --all-extras --all-groups --python $(BIN)/python \
	  || { echo "make setup: if uv.lock is out of date with pyproject.toml, run 'make lock' and commit uv.lock" >&2; exit 1; }
	touch $@

lock: | $(UV)  ## After a dependency change in pyproject.toml: refresh uv.lock (minimal changes), then sync .venv.
	$(UV) lock
	$(MAKE) setup

node_modules/.installed: package.json package-lock.json
	node .ci/check-node.js
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
docs: $(VENV)/.installed  ## Build the HTML documentation into site/ strictly (warnings and broken references fail).
	$(BIN)/sphinx-build -E -W --keep-going -n -q -b html docs site

pytest: setup  ## Run the test suite only.
	$(BIN)/pytest

test: lint check-generated check-api docs pytest  ## The README's test command: lint, generated check, API gate, strict docs build, tests (CI runs it after dist-check).

dist-check: setup  ## Build sdist and wheel, check them, install the wheel alone in a fresh venv, run its CLI on Prism.
	rm -rf dist
	$(UV) build --out-dir dist
	$(BIN)/twine check --strict dist/*
	$(BIN)/check-wheel-contents dist/*.whl
	$(BIN)/python scripts/dist_check.py dist/*.whl

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
	rm -rf $(VENV) node_modules dist site .pytest_cache .mypy_cache .ruff_cache
