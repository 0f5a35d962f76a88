"""e2e tests: a real Airflow deployment (see ``harness.py``), selected only by ``-m e2e`` (``make e2e``).

``make test`` (plain ``pytest``) deselects them (``tests/conftest.py``, ``OPT_IN_MARKERS``), so it needs neither
PostgreSQL nor Redis and starts nothing. ``ZOOM_E2E=1`` also selects them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
_state: dict = {"stack": None}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory):
    from tests.e2e.figures import record
    from tests.e2e.harness import Stack

    previous = signal.getsignal(signal.SIGTERM)

    def interrupted(signum, frame):  # CI stopping us: unwind through the finalizers below
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    deployment = Stack(tmp_path_factory.mktemp("e2e"))
    _state["stack"] = deployment
    try:
        deployment.start()
        for name, seconds in deployment.timings.items():
            record(name, round(seconds, 1))
        yield deployment
    finally:
        started = time.monotonic()
        deployment.stop()
        signal.signal(signal.SIGTERM, previous)
        record("shutdown_s", round(time.monotonic() - started, 1))
        leftovers = deployment.marked_processes()
        record("processes_left_after_stop", len(leftovers))
    assert not leftovers, f"processes of this run still alive after stop(): {leftovers}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    deployment = _state["stack"]
    if report.failed and deployment is not None and E2E_DIR in Path(item.path).parents:
        report.sections.append(("e2e: tail of each component's log", deployment.log_tails(60)))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    from tests.e2e.figures import FIGURES

    if not FIGURES:
        return
    terminalreporter.section("e2e figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")
    out = os.environ.get("ZOOM_E2E_FIGURES")
    if out:
        Path(out).write_text(json.dumps(FIGURES, indent=2) + "\n")
    sys.stdout.flush()
