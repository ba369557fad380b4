# The two commands in the README: `make demo` runs the product, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DB ?= sqlite:///$(CURDIR)/var/demo.db

.PHONY: install demo test unit bench chromium serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	@mkdir -p var
	ALONGSIDE_DATABASE_URL=$${ALONGSIDE_DATABASE_URL:-$(DEMO_DB)} $(VENV)/bin/alongside demo

# Browser tests drive Debian's Chromium. As root we install it; otherwise we say how.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium package for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: run 'sudo apt-get install chromium', then 'make test' again."; exit 1; \
	  fi; }

test: install chromium
	$(PY) -m pytest

unit: install
	$(PY) -m pytest tests/unit

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache test-results
