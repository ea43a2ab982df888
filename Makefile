# Two commands on a fresh clone: `make demo` (or `make run`) and `make test`.
# Each creates .venv and installs the project on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test test-fast lint bench lock clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## the daemon on config/accounts.toml and data/bot.db
	$(BIN)/bot run

demo: $(STAMP)  ## offline tour: simulator + real poll path + growth + annual report
	$(BIN)/bot demo

test: $(STAMP)  ## lint, type-check and run every test (SQLite and PostgreSQL, browser included)
	./scripts/ensure-postgres
	./scripts/ensure-chromium
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-fast: $(STAMP)  ## the inner loop: lint, types, tests without subprocesses, browsers or slow ones
	./scripts/ensure-postgres
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not process and not slow"

bench: $(STAMP)
	$(BIN)/python bench/poll_throughput.py

lock: $(STAMP)  ## requirements.lock, the image's pinned dependencies, from pyproject.toml
	$(BIN)/pip install --quiet 'uv>=0.5'
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command "make lock" --quiet -o requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info
