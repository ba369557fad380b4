# The two commands in the README: `make demo` runs the product, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DB ?= sqlite:///$(CURDIR)/var/demo.db

.PHONY: install demo test unit bench fuzz chromium oidc serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	@mkdir -p var
	ALONGSIDE_DATABASE_URL=$${ALONGSIDE_DATABASE_URL:-$(DEMO_DB)} $(VENV)/bin/alongside demo

# Browser tests drive Debian's Chromium and render PDFs with poppler's pdftoppm. As root we
# install them; otherwise we say how.
chromium:
	@{ command -v chromium && command -v pdftoppm; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium and poppler-utils packages for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; \
	  else \
	    echo "The browser tests need Chromium and pdftoppm: run 'sudo apt-get install chromium poppler-utils', then 'make test' again."; exit 1; \
	  fi; }

# The single sign-on tests run a real OpenID provider (panva's oidc-provider on Node.js), installed
# from the npm registry exactly as tests/oidc/package-lock.json pins it.
OIDC_STAMP := tests/oidc/node_modules/.package-lock.json

$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "The single sign-on tests need Node.js 20 or later and npm."; exit 1; }
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $(OIDC_STAMP)

oidc: $(OIDC_STAMP)

# One worker per core, each taking whole test files (their module fixtures, servers and browsers
# stay in one process); ALONGSIDE_TEST_WORKERS=0 runs in this process alone.
test: install chromium oidc
	$(PY) -m pytest -n $${ALONGSIDE_TEST_WORKERS:-auto} --dist loadfile

unit: install
	$(PY) -m pytest tests/unit

# The API contract test with many more examples than `make test` runs (ALONGSIDE_FUZZ_EXAMPLES).
fuzz: install
	ALONGSIDE_FUZZ_EXAMPLES=$${ALONGSIDE_FUZZ_EXAMPLES:-60} $(PY) -m pytest -q tests/integration/test_api_contract.py

bench: install
	$(PY) bench/run.py
	$(PY) bench/caseload_page.py
	$(PY) bench/results.py
	$(PY) bench/trials_reverse_view.py
	$(PY) bench/trial_match.py
	$(PY) bench/alert_latency.py

clean:
	rm -rf $(VENV) var .pytest_cache test-results tests/oidc/node_modules
