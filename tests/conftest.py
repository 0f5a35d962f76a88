"""Test-wide setup: a throwaway Airflow home (SQLite) and the DAG folder of this repo.

Set before Airflow is imported anywhere, so that no test touches ~/airflow or a developer's DB.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="zoom-provider-tests-"))

os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}"
os.environ.pop("AIRFLOW_CONN_ZOOM_DEFAULT", None)

# Tests that run only when asked for, each with its make target (README "Tests"): a marker ``-m`` names without
# ``not``, or the environment variable set to 1. ``make test`` (plain ``pytest``) deselects them.
OPT_IN_MARKERS = {
    "e2e": "ZOOM_E2E",  # a real Airflow deployment on PostgreSQL/Redis: make e2e
    "package": "ZOOM_PACKAGE",  # the built wheel in fresh venvs, Python 3.11 to 3.13: make test-package
}


def _opted_in(config: pytest.Config, marker: str) -> bool:
    if os.environ.get(OPT_IN_MARKERS[marker]) == "1":
        return True
    markexpr = config.getoption("markexpr", default="") or ""
    return bool(re.search(rf"(?<!not )\b{marker}\b", markexpr))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    left_out = {marker for marker in OPT_IN_MARKERS if not _opted_in(config, marker)}
    deselected = [item for item in items if left_out & {mark.name for mark in item.iter_markers()}]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in set(deselected)]
    # The tests marked slow (a demo run, a 500-group wave) first, so that pytest-xdist's workers start on them and
    # the quick ones fill in around them, instead of one worker finishing a two-minute test alone at the end.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated metadata DB, made once per session (``dag.test()`` needs one)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    from tests.compat.airflow_versions import keep_in_process_execution_api_alive

    keep_in_process_execution_api_alive()  # Airflow 3.2's dag.test() (see there)
    return AIRFLOW_HOME


@pytest.fixture(scope="session")
def emulator_server():
    """One emulator for the session, on a free loopback port; tests reset it through ``zoom``.

    Every address @example.com is a user of its account (the tests' people all live there); any other address
    is unknown, as it would be at Zoom.
    """
    from zoom_emulator.server import EmulatorServer

    with EmulatorServer(user_domains=["example.com"]) as server:
        yield server


class Zoom:
    """A test's handle on the emulator: its URLs, its inspection endpoints, and a hook factory."""

    def __init__(self, server):
        self.server = server
        self.url = server.url

    def state(self) -> dict:
        return self.server.state(timeout=10)

    def configure(self, **config) -> dict:
        import requests

        response = requests.put(f"{self.url}/_emulator/config", json=config, timeout=10)
        response.raise_for_status()
        return response.json()

    def invalidate_tokens(self) -> None:
        import requests

        requests.post(f"{self.url}/_emulator/tokens/invalidate", timeout=10).raise_for_status()

    def groups(self) -> dict[str, list[str]]:
        """Final state as users see it: group name -> sorted member emails."""
        return self.server.groups(timeout=10)

    def count(self, route: str, status: int | None = None) -> int:
        return self.server.count(route, status, timeout=10)

    def hook(self, **kwargs):
        from airflow_provider_zoom.hooks.zoom import ZoomHook

        return ZoomHook(**kwargs)


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Every test starts without another's tokens or pacers: the provider shares both across hooks of a process."""
    from airflow_provider_zoom._transport import group_api_memory, rate_limit, token_cache

    def clear() -> None:
        token_cache.PROCESS_TOKENS.clear()
        group_api_memory.forget_all()
        with token_cache._FILE_CACHES_GUARD:
            token_cache._FILE_CACHES.clear()
        rate_limit.forget_all()

    clear()
    yield
    clear()


@pytest.fixture
def zoom(emulator_server, monkeypatch, tmp_path) -> Zoom:
    """A clean emulator account, the ``zoom_default`` connection pointing at it (token caches: see above)."""
    emulator_server.reset(keep_config=False, timeout=10)
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", emulator_server.connection_uri_json())
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))  # a fresh file token cache per test
    return Zoom(emulator_server)


@pytest.fixture(scope="session")
def zoom_pool(airflow_db):
    """The ``zoom_api`` pool the wave DAG's Zoom tasks run in (``make demo`` creates it too)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "pools", "set", "zoom_api", "4", "Zoom API budget"],
        check=True, capture_output=True, env=os.environ.copy(),
    )
    return "zoom_api"
