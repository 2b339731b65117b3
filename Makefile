# duban — 督办. `make run` starts the whole stack; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.DEFAULT_GOAL := help
.PHONY: help setup console screenshots run monitor test test-fast fuzz bench chaos lint migrate demo-directory clean

help: ## Show the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml services/*/pyproject.toml
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced ## Create .venv and install everything from the lockfile

console: setup ## Build the web console (npm ci + vite build; skipped when its sources are unchanged)
	$(VENV)/bin/duban console build

screenshots: setup ## Run the browser tests, then copy the dashboard, plan review, revision preview and school screenshots into docs/img/
	DUBAN_TEST_BACKENDS=sqlite $(VENV)/bin/pytest tests/browser -q; \
	for f in city-dashboard:console-dashboard school-phone:console-school-phone city-plan-review:console-plan-review city-revision-preview:console-revision-preview; do \
	  [ -f var/screenshots/$${f%%:*}.png ] && cp var/screenshots/$${f%%:*}.png docs/img/$${f##*:}.png; done; true

run: setup ## Start broker (embedded unless KAFKA_BOOTSTRAP_SERVERS), migrations, all services and the gateway on :8000
	$(VENV)/bin/duban up

monitor: setup ## Prometheus on :9090 scraping `make run` (installs Debian's prometheus package when missing)
	$(VENV)/bin/duban monitor

test: setup ## Run all tests (SQLite, and again on PostgreSQL when reachable)
	$(VENV)/bin/pytest

test-fast: setup ## Unit tests only (no broker-heavy fault tests)
	$(VENV)/bin/pytest -m "not slow"

fuzz: setup ## Schemathesis against every service's OpenAPI schema, 100 examples per operation and role
	DUBAN_FUZZ_EXAMPLES=100 DUBAN_TEST_BACKENDS=sqlite $(VENV)/bin/pytest tests/test_api_fuzz.py -q --timeout 3600

bench: setup ## Benchmarks: prints ratios against raw limits measured in the same run
	$(VENV)/bin/python bench/run.py

chaos: setup ## SIGKILL task-svc twice during a ~89,000-task breakdown; check exactly-once (DUBAN_CHAOS_DB=postgres for PostgreSQL)
	$(VENV)/bin/python bench/chaos.py

lint: setup ## ruff
	$(VENV)/bin/ruff check .

migrate: setup ## Upgrade every service database to head
	$(VENV)/bin/duban migrate

demo-directory: setup ## Load the demo directory into task-svc's database
	$(VENV)/bin/duban directory demo

clean: ## Remove .venv, tools and local data under var/
	rm -rf $(VENV) $(TOOLS) var
