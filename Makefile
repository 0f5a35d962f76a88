# The README's contract: `make demo` runs the onboarding DAG against the local Zoom emulator,
# `make test` passes the tests. Both install what they need into .venv from constraints.txt.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: install demo test test-fast test-package test-compat lint dist constraints clean

install: $(INSTALLED)

$(INSTALLED): constraints.txt setup.cfg pyproject.toml emulator/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ./emulator -e '.[test]'
	touch $@

demo: install
	$(PY) demo/run_demo.py

# The whole suite but the opt-in markers (tests/conftest.py OPT_IN_MARKERS: package, e2e), which have targets of
# their own below. pytest-xdist runs two workers per core (each has its own Airflow home and emulator;
# tests/conftest.py starts the slow ones first): a third of a worker's time is spent waiting on its emulator and
# subprocesses, so on 2 cores 4 workers took 7 to 9 min and 2 took 11 min 11 s (2026-12-03, docs/development.md).
# TEST_WORKERS=0 runs them in one process, for a debugger.
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(2 * (os.cpu_count() or 1))")
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

test-fast: install
	$(PY) -m pytest -m "not slow"

# The built wheel as a user installs it: a fresh venv per Python 3.11 to 3.13 (pyenv's, where the machine has them)
# with the pinned Airflow, providers-http and the wheel, nothing else (tests/packaging/test_wheel.py).
test-package: install
	$(PY) -m pytest -m package tests/packaging

# The hook, operator and DAG tests on each supported Airflow minor version, each in its own venv
# (.venv-compat-X.Y) from its own pins: constraints-airflow-3.1.txt, constraints-airflow-3.2.txt, constraints.txt.
test-compat:
	@rc=0; for v in 3.1 3.2 3.3; do bash scripts/test_compat.sh $$v || rc=1; done; exit $$rc

# ruff's rule set is in ruff.toml, mypy's settings in setup.cfg [mypy] (the provider package).
lint: install
	$(VENV)/bin/ruff check airflow_provider_zoom emulator dags tests demo bench
	$(VENV)/bin/mypy

# The main pins; the docs and e2e tools keep their own files (constraints-docs.txt, constraints-e2e.txt).
constraints: install
	$(PY) -m pip freeze --exclude-editable | grep -v '^airflow-provider-zoom' \
		| awk -F'==' 'FILENAME != "-" {skip[tolower($$1)]; next} !(tolower($$1) in skip)' \
			constraints-docs.txt constraints-e2e.txt - \
		> constraints.new && mv constraints.new constraints.txt

# The provider's sdist and wheel in dist/ (the emulator is a distribution of its own: emulator/).
dist: install
	rm -rf dist build
	$(PY) -m build --outdir dist .

clean:
	rm -rf dist build .airflow .demo .pytest_cache .hypothesis

# The guides (docs/) and the API reference into site/; warnings are errors (mkdocs.yml, constraints-docs.txt).
DOCS_INSTALLED := $(VENV)/.installed-docs
.PHONY: docs
$(DOCS_INSTALLED): $(INSTALLED) constraints-docs.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -c constraints-docs.txt \
		-e ./emulator -e '.[test,docs]'
	touch $@

docs: $(DOCS_INSTALLED)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -d site/

# Benchmarks of issue 4, not part of `make test`: a table on stdout and bench/results.json (see bench/README.md).
# The end-to-end part needs PostgreSQL's client libraries for Airflow's metadata DB, the shared limiter's part
# providers-redis (and Redis on 127.0.0.1:6379, started like make e2e's).
.PHONY: bench
bench: install
	$(PY) -c "import psycopg2, asyncpg" 2>/dev/null || $(PY) -m pip install --quiet --disable-pip-version-check \
		psycopg2-binary==2.9.13 asyncpg==0.32.0
	$(PY) -c "import airflow.providers.redis" 2>/dev/null || $(PY) -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -c constraints-e2e.txt apache-airflow-providers-redis redis
	$(PY) -m bench.run

# End-to-end on a real Airflow (README "End-to-end on a real Airflow"), not part of `make test`: scheduler, DAG
# processor, API server, triggerer and two Celery workers on PostgreSQL + Redis (used when they answer, else
# installed from Debian and started by the harness), and Debian's Chromium for the connection form.
E2E_INSTALLED := $(VENV)/.installed-e2e

.PHONY: e2e
$(E2E_INSTALLED): $(INSTALLED) constraints-e2e.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -c constraints-e2e.txt \
		-e ./emulator -e '.[test,e2e]'
	touch $@

e2e: $(E2E_INSTALLED)
	test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	$(PY) -m pytest -m e2e tests/e2e
