# The two commands: `make run` (the whole stack on this machine) and `make test` (every tier).
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# pyproject.toml declares the dependencies ([project].dependencies: runtime; the `dev` group:
# tests, lint, types); `make lock` resolves them into these two locks, every line hashed.
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed-$(shell cat $(RUNTIME_LOCK) $(DEV_LOCK) pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install run wipe kafka postgres test unit lint typecheck fmt bench lock clean

$(STAMP): $(RUNTIME_LOCK) $(DEV_LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "installing pinned dependencies ($(DEV_LOCK)) into $(VENV) …"
	@$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r $(DEV_LOCK)
	@$(BIN)/python -c 'import site,os; open(os.path.join(site.getsitepackages()[0],"psm-platform.pth"),"w").write(os.getcwd()+"\n")'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: install kafka  ## Apache Kafka + topics + migrations + the services, supervised (restarted when they exit); Ctrl-C stops all
	@$(BIN)/python -m tools.stack run

wipe:  ## delete what `make run` keeps between runs: the Kafka log and the SQLite databases in var/ (or $PSM_VAR_DIR)
	rm -rf "$${PSM_VAR_DIR:-var}"

kafka: install  ## java >= 17 and mvn present, Apache Kafka's jars resolved from Maven Central (cached)
	@$(BIN)/python -m tools.kafka_jars fetch

postgres:  ## PostgreSQL for the tests: the running one, or Debian's package installed and started (root)
	@tools/sh/ensure-postgres.sh

# 3 workers on 2 cores (4 measured slower: 14 min 21 s against 13 min 03 s). The slowest
# tests are listed at the end, after the security tier's table.
PYTEST_WORKERS ?= 3
test: root-installs install lint promtool postgres chromium axe kafka asyncapi-schema  ## every tier: unit, integration (SQLite + PostgreSQL), contract, fault, e2e, security
	@$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --durations=15 $(PYTEST_ARGS)

# The fast tier (< 30 s on 2 cores): no broker, no PostgreSQL, no other process. Left out: the
# broker, e2e, fault and subprocess markers; the database marker (tests/tiers.py: the tests
# that run once per backend, the integration tier) and the fuzzing tier (tests/contract).
# All of them run in `make test`. Bytecode caching stays on even where PYTHONDONTWRITEBYTECODE
# is set: without it pytest compiles and rewrites every module again (~4 s per process).
UNIT_WORKERS ?= 2
unit: install  ## the fast tier: domain rules, shared code, contracts, configuration (no broker, no database server, no subprocess)
	@env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(UNIT_WORKERS) --dist worksteal \
	  -m "not broker and not e2e and not fault and not subprocess and not database" \
	  --ignore=tests/contract $(PYTEST_ARGS)

.PHONY: promtool chromium axe root-installs asyncapi-schema
promtool:  ## Prometheus and promtool (Debian package `prometheus`): alert rules checked, dashboards evaluated live
	@tools/sh/ensure-prometheus.sh

chromium:  ## Chromium (Debian package `chromium`) for the console's browser tests, driven by Playwright (no browser download)
	@tools/sh/ensure-chromium.sh

AXE := tests/console/axe
axe: $(AXE)/node_modules/.package-lock.json  ## axe-core (npm, pinned in $(AXE)/package-lock.json) for the console's accessibility tests
$(AXE)/node_modules/.package-lock.json: $(AXE)/package-lock.json
	@npm ci --prefix $(AXE) --no-audit --no-fund --loglevel=error

root-installs:  ## what `make test` is about to install as root with apt-get (said first; nothing when all is present)
	@tools/sh/root-installs.sh

asyncapi-schema: install  ## the official AsyncAPI JSON Schema (npm @asyncapi/specs, cached) the contract tests validate against
	@$(BIN)/python -m tools.contracts fetch-schema

lint: install  ## ruff (ruff.toml), import-linter layers (.importlinter), mypy strict (mypy.ini)
	@$(BIN)/ruff check shared services tools tests bench
	@$(BIN)/ruff format --check shared services tools tests bench
	@$(BIN)/lint-imports --no-cache
	@$(BIN)/mypy

fmt: install
	@$(BIN)/ruff check --fix shared services tools tests bench && $(BIN)/ruff format shared services tools tests bench

bench: install kafka
	@$(BIN)/python -m bench.run

# `make lock` resolves with uv (pinned here) for CPython 3.11 on Linux. It is reproducible: the
# versions already in the locks are kept (uv prefers them), and no release published after
# LOCK_EXCLUDE_NEWER is considered, so the same pyproject.toml and locks give the same locks.
# The runtime lock is resolved first and constrains the dev lock: both pin a shared package
# at the same version. To take newer releases, move LOCK_EXCLUDE_NEWER forward and pass
# e.g. LOCK_ARGS="--upgrade-package fastapi" (or --upgrade).
UV_VERSION := 0.13.9
LOCK_EXCLUDE_NEWER := 2026-12-03T00:00:00Z
LOCK_VENV := $(or $(TMPDIR),/tmp)/psm-lock
LOCK_ARGS ?=
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile pyproject.toml --quiet --no-config \
	--python-version 3.11 --python-platform linux --generate-hashes \
	--exclude-newer $(LOCK_EXCLUDE_NEWER) --custom-compile-command "make lock" $(LOCK_ARGS)

lock:  ## resolve pyproject.toml into requirements/runtime.lock and requirements/dev.lock (hashed)
	@rm -rf $(LOCK_VENV) && $(PY) -m venv $(LOCK_VENV)
	@$(LOCK_VENV)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	@mkdir -p requirements
	@$(UV_COMPILE) --output-file $(RUNTIME_LOCK)
	@$(UV_COMPILE) --group dev --constraint $(RUNTIME_LOCK) --output-file $(DEV_LOCK)
	@rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
