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
