# Casepath. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_VERSION := 0.13.8
UV := .tools/bin/uv
PY := .venv/bin/python
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: help install assets chromium run init demo test test-sqlite test-postgres acceptance lint fmt bench fuzz clean validators audit load

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install -q "uv==$(UV_VERSION)"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-groups
	@touch $@

install: .venv/.synced assets ## install Python packages (uv, from the lock file) and build the front-end assets

assets: web/static/vendor/.built ## build GOV.UK, bpmn-js and other front-end assets from npm (package-lock.json)

web/static/vendor/.built: $(wildcard package.json package-lock.json web/build-assets.mjs web/assets/editor/*.js)
	@if [ -f package.json ]; then npm ci --no-audit --no-fund --loglevel=error && node web/build-assets.mjs; fi
	@mkdir -p web/static/vendor && touch $@

chromium: ## install Debian's Chromium for the browser tests (needs root or sudo)
	@scripts/ensure-chromium

init: install ## create or upgrade the database (SQLite under var/ unless DATABASE_URL is set)
	.venv/bin/casepath init

demo: init ## load demo staff and cases
	.venv/bin/casepath demo

run: demo ## run Casepath on http://127.0.0.1:5000 with demo data (sign in as a demo person)
	.venv/bin/casepath serve --host 127.0.0.1 --port 5000

test: install chromium ## run every test on SQLite, then on PostgreSQL, then the acceptance scenarios
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory acceptance

PYTEST := .venv/bin/pytest -q -n 2 --dist loadfile

validators: ## set up the throwaway environments of the DfE CIN validator once, before tests run in parallel
	@if [ -x ../shared/tools/validate-cin-census ]; then ../shared/tools/validate-cin-census /dev/null >/dev/null 2>&1; true; fi

test-sqlite: .venv/.synced validators ## the suite on SQLite
	CASEPATH_TEST_DATABASE=sqlite $(PYTEST)

test-postgres: .venv/.synced ## the suite on PostgreSQL (127.0.0.1:5432)
	@scripts/ensure-postgres
	CASEPATH_TEST_DATABASE=postgresql CASEPATH_PG_ADMIN_URL=$(PG_URL) $(PYTEST) -m "not slow"

acceptance: .venv/.synced ## the acceptance scenarios of ../shared and the project's own (tests/acceptance) against fresh servers
	@if [ -d ../shared/acceptance ]; then PATH="$(CURDIR)/.venv/bin:$$PATH" $(PY) ../shared/acceptance/run.py --serve \
		../shared/acceptance/scenarios tests/acceptance/scenarios; \
	else echo "../shared/acceptance not found: acceptance scenarios not run"; exit 1; fi

lint: .venv/.synced ## ruff, mypy (strict) and the import-linter layer contracts
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports

fmt: .venv/.synced ## format the code
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench: .venv/.synced ## benchmarks (ratios against baselines measured in the same run); results in bench/README.md
	$(PY) -m bench

FUZZ_EXAMPLES ?= 200

fuzz: .venv/.synced ## schemathesis over the whole OpenAPI and hypothesis over every staff page, FUZZ_EXAMPLES (200) examples per operation and mode
	CASEPATH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) .venv/bin/pytest -q tests/api/test_schemathesis.py tests/web/test_web_fuzz.py

audit: .venv/.synced ## known vulnerabilities in the locked Python packages (pip-audit) and the npm packages
	@scripts/audit

load: .venv/.synced ## load test at 10x a large authority's peak: gunicorn, 2 timer workers, PostgreSQL, locust
	@scripts/ensure-postgres
	$(PY) -m bench load

clean: ## remove the virtualenv, built assets and local data
	rm -rf .venv .tools node_modules web/static/vendor var
