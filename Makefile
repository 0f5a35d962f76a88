# The README's contract: `make demo` runs the onboarding DAG against the local Zoom emulator,
# `make test` passes the tests. Both install what they need into .venv from constraints.txt.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: install demo test test-fast lint constraints clean

install: $(INSTALLED)

$(INSTALLED): constraints.txt setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[emulator,test]'
	touch $@

demo: install
	$(PY) demo/run_demo.py

test: install
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not slow"

lint: install
	$(VENV)/bin/ruff check airflow_provider_zoom dags tests demo

constraints: install
	$(PY) -m pip freeze --exclude-editable | grep -v '^airflow-provider-zoom' > constraints.new && mv constraints.new constraints.txt

clean:
	rm -rf .airflow .demo .pytest_cache .hypothesis

# Benchmarks of issue 4, not part of `make test`: a table on stdout and bench/results.json (see bench/README.md).
# The end-to-end part needs PostgreSQL's client libraries for Airflow's metadata DB.
.PHONY: bench
bench: install
	$(PY) -c "import psycopg2, asyncpg" 2>/dev/null || $(PY) -m pip install --quiet --disable-pip-version-check \
		psycopg2-binary==2.9.13 asyncpg==0.32.0
	$(PY) -m bench.run
