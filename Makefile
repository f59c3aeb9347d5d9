# The two commands of the README: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint fmt bench deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Reinstall only when the project's metadata changed.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/docsvc init --demo
	$(BIN)/docsvc serve --host $(HOST) --port $(PORT)

deps:
	bash scripts/install-test-deps.sh

lint: $(STAMP)
	@echo "== ruff format --check" && $(BIN)/ruff format --check . || { echo "FAILED: ruff format (run 'make fmt')"; exit 1; }
	@echo "== ruff check" && $(BIN)/ruff check . || { echo "FAILED: ruff check"; exit 1; }
	@echo "== mypy --strict" && $(BIN)/mypy || { echo "FAILED: mypy"; exit 1; }
	@echo "== import-linter" && $(BIN)/lint-imports || { echo "FAILED: import-linter"; exit 1; }

test: deps lint
	@echo "== pytest" && $(BIN)/pytest || { echo "FAILED: pytest"; exit 1; }

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/storage_roundtrip.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
