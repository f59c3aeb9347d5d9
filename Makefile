# The README's two commands are `make run` and `make test`; CI runs `make test` (.ci/run).
#
#   make run     venv + install, `docsvc init --demo` (safe to re-run), serve on 127.0.0.1:8000
#   make test    Debian packages, venv + install (and eark-validator's own .venv-eark),
#                ruff format --check, ruff check, mypy,
#                lint-imports, deptry, dependency audit, pytest; stops at the first failing step and
#                names it (the audit says "not run" where no vulnerability database can be read)
#   make lint    the same quality gate without the Debian packages and pytest
#   make audit-deps  the dependency audit alone, failing when no database can be read
#                (DOCSVC_OSV_DIR: a local OSV export; otherwise api.osv.dev)
#   make fmt     ruff format + ruff check --fix
#   make bench   every bench/*.py that defines main() (BENCH=bench/x.py ARGS='...' for one)
#   make catalogue  compile the message catalogues (docsvc/locale/*.po to .mo; run by install)
#   make catalogue-check  the catalogues match a fresh extraction and Spanish is complete
#   make catalogue-update  extract the messages and merge them into each locale's .po
#   make clean   the virtualenv, caches and build output (never the data in var/)
#
# Variables: PY (the Python that makes .venv, 3.11 or newer), HOST, PORT, PYTEST_ARGS.

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Newer than pyproject.toml when the venv holds the current dependencies.
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Two workers: CI has two cores. Each worker starts its own PostgreSQL and SeaweedFS, and
# takes whole test files, so a module's tests run in order on one institution.
PYTEST_ARGS ?= -n 2 --dist loadfile
BENCH ?=
ARGS ?=

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# The gate's steps must run in order even under `make -j`.
.NOTPARALLEL:
.PHONY: help install deps run test lint gate audit-deps fmt bench clean

# $(call step,NAME,COMMAND): announce NAME, run COMMAND, and on failure say which step
# failed before stopping. Arguments must not contain commas.
step = printf '\n==> %s\n' "$(1)"; $(2) || { printf '\nFAILED at step: %s\n' "$(1)" >&2; exit 1; }

help:
	@sed -n '/^#   make run/,/^#   make clean/s/^#   //p' Makefile

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "FAILED: $(PY) is older than Python 3.11; run 'make PY=python3.11 ...'" >&2; exit 1; }
	$(PY) -m venv $(VENV)

# Reinstalled only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	@$(call step,install the project into $(VENV),$(BIN)/python -m pip install --disable-pip-version-check --quiet -e '.[dev]')
	@touch $(STAMP)

install: $(STAMP) catalogue

# The E-ARK validator (eark-validator from PyPI) that the package tests run: in a virtualenv
# of its own, since it pins an older lxml than the project's.
EARK := .venv-eark
EARK_STAMP := $(EARK)/.installed
$(EARK_STAMP):
	@$(call step,the E-ARK validator into $(EARK),$(PY) -m venv $(EARK) && $(EARK)/bin/python -m pip install --disable-pip-version-check --quiet 'eark-validator==1.1.3')
	@touch $(EARK_STAMP)

# The message catalogues (docsvc/locale, babel.cfg). The service also compiles a missing or
# stale .mo in memory from its .po, so a checkout runs without this step.
.PHONY: catalogue catalogue-check catalogue-update
catalogue: $(STAMP)
	@$(call step,compile the message catalogues,$(BIN)/python -m docsvc.locale compile)

catalogue-check: $(STAMP)
	@$(call step,message catalogues,$(BIN)/python -m docsvc.locale check)

catalogue-update: $(STAMP)
	$(BIN)/python -m docsvc.locale update

deps:
	@$(call step,Debian packages for the tests,bash scripts/install-test-deps.sh)

# The development PKI made by init names the public address, so init must know the port
# too: unless DOCSVC_PUBLIC_URL is set, both use the served one.
run: $(STAMP)
	DOCSVC_PUBLIC_URL="$${DOCSVC_PUBLIC_URL:-http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)}" $(BIN)/docsvc init --demo
	exec $(BIN)/docsvc serve --host $(HOST) --port $(PORT)

gate:
	@$(call step,ruff format --check,$(BIN)/ruff format --check .)
	@$(call step,ruff check,$(BIN)/ruff check .)
	@$(call step,mypy,$(BIN)/mypy)
	@$(call step,lint-imports,$(BIN)/lint-imports --no-cache)
	@$(call step,deptry (every import declared),$(BIN)/deptry .)
	@$(call step,message catalogues,$(BIN)/python -m docsvc.locale check)
	@$(call step,dependency audit,$(BIN)/python scripts/dependency_audit.py --allow-unavailable)

lint: $(STAMP) gate

audit-deps: $(STAMP)
	@$(call step,dependency audit,$(BIN)/python scripts/dependency_audit.py)

test: deps $(STAMP) $(EARK_STAMP) gate
	@$(call step,pytest,$(BIN)/pytest $(PYTEST_ARGS))
	@printf '\nmake test: every step passed\n'

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@if [ -n "$(BENCH)" ]; then scripts=( $(BENCH) ); \
	else mapfile -t scripts < <(grep -l '^def main(' bench/*.py); fi; \
	printf 'benchmarks: %s\n' "$${scripts[*]}"; \
	for script in "$${scripts[@]}"; do \
		$(call step,$$script,$(BIN)/python "$$script" $(ARGS)); \
	done

clean:
	rm -rf $(VENV) $(EARK) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache \
		.hypothesis .import_linter_cache test-artifacts
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
	@echo "kept var/ (the embedded database, store and PKI): remove it by hand if you mean to"
