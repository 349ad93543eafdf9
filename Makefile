# py-bridge front door. Every target sets itself up (scripts/setup.sh) on a fresh machine.
PY := .venv/bin/python
PORT ?= 8000

.PHONY: help setup demo test unit e2e lint typecheck bench bench-quick build clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## install chromium (apt), .venv, npm packages, build static/
	@bash scripts/setup.sh

demo: setup ## serve the demo at http://127.0.0.1:$(PORT)
	.venv/bin/py-bridge demo --port $(PORT) --bundle static

test: setup ## lint, type-check, unit and browser e2e tests
	.venv/bin/ruff check py_bridge tests bench
	.venv/bin/mypy
	$(PY) -m pytest -q

unit: setup ## unit tests only (CPython)
	$(PY) -m pytest -q tests/unit

e2e: setup ## browser e2e tests only
	$(PY) -m pytest -q tests/e2e

lint: setup ## ruff lint + format check
	.venv/bin/ruff check py_bridge tests bench
	.venv/bin/ruff format --check py_bridge tests bench

typecheck: setup ## mypy strict on the package
	.venv/bin/mypy

# The bench's own dependencies: PyPI brotli + matplotlib (pyproject extra `bench`), npm lighthouse (bench/package-lock.json).
BENCH_DEPS = $(PY) -c 'import brotli, matplotlib' 2>/dev/null || $(PY) -m pip install -q -e '.[bench]'; \
	if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then \
	  npm ci --prefix bench --no-audit --no-fund --loglevel=error; fi

bench: setup ## py-bridge vs Intercom's snippet, 5 runs, ~12 min (bench/results/latest.{json,md,png})
	@$(BENCH_DEPS)
	$(PY) bench/run.py

bench-quick: setup ## the same with 2 runs per figure, for development
	@$(BENCH_DEPS)
	$(PY) bench/run.py --runs 2

build: setup ## build the deployable bundle into static/
	.venv/bin/py-bridge build static

clean: ## remove build output
	rm -rf static build
