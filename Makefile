# Everything a fresh machine needs: `make test` and `make demo` install on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian packages the project needs (document converters, fonts, the browser for digest tests,
# the Redis server the queue tests start).
DEBIAN_PACKAGES ?= antiword fonts-wqy-zenhei chromium libreoffice-writer-nogui redis-server

.PHONY: install system-deps test test-fast lint demo bench clean

# Installs only what is missing; a no-op on a machine that has everything.
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) system-deps

# What CI runs: the checks, then the whole suite.
test: lint
	$(BIN)/python -m pytest

# The suite less the browser, end-to-end and slow tests (markers in pyproject.toml), on two workers.
test-fast: install
	$(BIN)/python -m pytest -m "not browser and not e2e and not slow" -n 2 --dist load

# Lint, format, layers (import-linter contracts in pyproject.toml), types.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Speed and memory figures (not tests): read+check per format, crawl politeness, archive ingest,
# 10,000 hostile files through check (tracebacks, hangs, memory).
bench: install
	$(BIN)/python -m bench.check_bench
	$(BIN)/python -m bench.crawl_bench
	$(BIN)/python -m bench.storage_bench
	$(BIN)/python -m bench.fuzz

demo: install
	$(BIN)/python -m demo.run


clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
