# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make run    the app on the embedded default (SQLite, in-process worker, offline model, sandbox senders)
#   make test   the whole suite (on SQLite; again on PostgreSQL + Redis when MKT_TEST_DATABASE_URL/MKT_TEST_REDIS_URL are set)

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test test-sqlite test-postgres bench lint clean mutate lock

# The dependencies come from the lock (exact versions, every file's hash checked); the project itself is then
# installed editable without resolving anything. `make lock` rewrites both locks after a change to pyproject.toml
# (tests/unit/test_lock.py fails until then); the Dockerfile installs requirements.lock (no dev tools).
LOCK := requirements-dev.lock
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --universal --python-version 3.11

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes --requirement $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

lock:
	@test -x $(BIN)/uv || $(MAKE) --no-print-directory install
	$(UV_COMPILE) --output-file requirements.lock
	$(UV_COMPILE) --extra dev --output-file requirements-dev.lock

run: install
	$(BIN)/mkt db upgrade
	$(BIN)/mkt serve --host $(HOST) --port $(PORT)

test: install
	@$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$MKT_TEST_DATABASE_URL$$MKT_TEST_REDIS_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "(PostgreSQL + Redis run skipped: set MKT_TEST_DATABASE_URL and MKT_TEST_REDIS_URL to include it)"; fi

test-sqlite: install
	@echo "== suite on SQLite, in-process queue =="
	env -u MKT_TEST_DATABASE_URL -u MKT_TEST_REDIS_URL $(BIN)/pytest -m "not redis" $(PYTEST_ARGS)

test-postgres: install
	@echo "== suite on PostgreSQL + Redis (the browser test ran on the SQLite pass) =="
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

# Mutation run over domain/ and the rule-bearing tools ([tool.mutmut] in pyproject.toml; slow, not in CI).
# One module at a time: make mutate MUTATE=domain.send_rules ; survivors: docs/testing.md
MUTATE ?=
MUTATE_JOBS ?= 1
mutate: install
	nice -n 19 $(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(if $(MUTATE),"$(MUTATE).*")
	$(BIN)/mutmut results

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
