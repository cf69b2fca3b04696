# coord developer targets. `make install` then `make check` is all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: install check lint typecheck test test-fast verify docker-smoke bench run clean

install: $(BIN)/coord ## create .venv and install coord with its dev tools

$(BIN)/coord: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

# The suite runs in parallel (pytest-xdist, see pyproject.toml and docs/testing.md). Bytecode
# caches stay on even where PYTHONDONTWRITEBYTECODE is set: every server and CLI subprocess,
# and every test worker's assertion rewriting, would otherwise compile everything again.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest

test: install ## the whole suite, integration, race and browser tests included
	$(PYTEST)

check: lint typecheck test ## ruff + mypy + pytest: run before pushing

test-fast: install ## the in-process tests: no server process, no PostgreSQL, no console scripts
	$(PYTEST) -m "not integration and not postgres"

verify: check docker-smoke ## full local CI equivalent

docker-smoke: ## build the image, probe /readyz, stop
	@docker info >/dev/null 2>&1 || { echo "docker-smoke: no Docker engine reachable; cannot run the image smoke test here" >&2; exit 1; }
	docker build -t coordination .
	@cid=$$(docker run -d -e COORD_AUTH_TOKEN=smoke -p 18080:8080 coordination); \
	ok=1; for i in $$(seq 1 60); do curl -fsS http://127.0.0.1:18080/readyz >/dev/null 2>&1 && { ok=0; break; }; sleep 0.5; done; \
	docker rm -f $$cid >/dev/null; \
	if [ $$ok -eq 0 ]; then echo "docker-smoke: /readyz OK"; else echo "docker-smoke: /readyz never answered" >&2; exit 1; fi

bench: install ## the benchmarks (print tables and a JSON line each)
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/symbols.py
	$(PY) benchmarks/service.py
	$(PY) benchmarks/sessions.py

run: install ## the service in the foreground on ./data (token from COORD_AUTH_TOKEN)
	$(BIN)/coord-api

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis data
