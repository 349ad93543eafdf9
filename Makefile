# py-bridge front door. Every target sets itself up (scripts/setup.sh) on a fresh machine.
PY := .venv/bin/python
PORT ?= 8000

.PHONY: help setup demo test unit e2e engines lint lint-js typecheck bench bench-quick build clean

# Every target with a `## ` comment (names may hold digits: e2e); a `$(PORT)` in a comment is shown as its value.
help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/\$$(PORT)/$(PORT)/g' \
	  | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## install chromium, firefox-esr, webkit2gtk-driver, xvfb, gir1.2-webkit2-4.1 (apt), .venv, npm packages, build static/
	@bash scripts/setup.sh

demo: setup ## serve the demo at http://127.0.0.1:$(PORT)
	.venv/bin/py-bridge demo --port $(PORT) --bundle static

test: setup ## lint, type-check (Python and JavaScript), unit and browser tests (Chromium, Firefox, WebKit)
	.venv/bin/ruff check py_bridge tests bench
	.venv/bin/mypy
	@$(JS_CHECKS)
	$(PY) -m pytest -q

unit: setup ## unit tests only (CPython)
	$(PY) -m pytest -q tests/unit

e2e: setup ## browser e2e tests only (Chromium)
	$(PY) -m pytest -q tests/e2e

engines: setup ## the core scenarios in Firefox and WebKit only (docs/engines.md)
	$(PY) -m pytest -q tests/engines

lint: setup ## ruff lint + format check
	.venv/bin/ruff check py_bridge tests bench
	.venv/bin/ruff format --check py_bridge tests bench

typecheck: setup ## mypy strict on the package
	.venv/bin/mypy

# The JavaScript that ships (web/page, web/worker, web/shared: bundled into embed.js and worker.mjs), builds (snapshot.mjs) or fakes Intercom (the sandbox widget):
# ESLint (eslint.config.mjs: no global shadowed, none leaked) and tsc in strict mode, one project per context
# (window, worker, Node). Both come pinned from package-lock.json (npm ci in setup); nothing is downloaded here.
JS_FILES := web/page web/worker web/shared web/snapshot.mjs py_bridge/tools/sandbox/widget.js eslint.config.mjs
JS_CHECKS = echo "node_modules/.bin/eslint $(JS_FILES)" && node_modules/.bin/eslint --max-warnings 0 $(JS_FILES) && \
	for project in page worker node; do \
	  echo "node_modules/.bin/tsc -p tsconfig.$$project.json" && node_modules/.bin/tsc -p tsconfig.$$project.json || exit 1; \
	done

lint-js: setup ## ESLint + strict tsc (checkJs) over the JavaScript
	@$(JS_CHECKS)

# The bench's own dependencies: PyPI brotli + matplotlib (pyproject extra `bench`), npm lighthouse (bench/package-lock.json).
BENCH_DEPS = $(PY) -c 'import brotli, matplotlib' 2>/dev/null || $(PY) -m pip install -q -e '.[bench]'; \
	if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then \
	  npm ci --prefix bench --no-audit --no-fund --loglevel=error; fi

bench: setup ## py-bridge vs Intercom's snippet, 5 runs, ~18 min, Chromium + Firefox/WebKit (bench/results/latest.*)
	@$(BENCH_DEPS)
	$(PY) bench/run.py

bench-quick: setup ## the same with 2 runs per figure, for development
	@$(BENCH_DEPS)
	$(PY) bench/run.py --runs 2

build: setup ## build the deployable bundle into static/
	.venv/bin/py-bridge build static

clean: ## remove build output
	rm -rf static build
