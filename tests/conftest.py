"""Test-wide setup: a throwaway Airflow home (SQLite) and the DAG folder of this repo.

Set before Airflow is imported anywhere, so that no test touches ~/airflow or a developer's DB.
"""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated metadata DB, made once per session (``dag.test()`` needs one)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return AIRFLOW_HOME


@pytest.fixture(scope="session")
def emulator_server():
    """One emulator for the session, on a free loopback port; tests reset it through ``zoom``."""
    from airflow_provider_zoom.emulator.server import EmulatorServer

    with EmulatorServer() as server:
        yield server


class Zoom:
    """A test's handle on the emulator: its URLs, its inspection endpoints, and a hook factory."""

    def __init__(self, server):
        self.server = server
        self.url = server.url

    def state(self) -> dict:
        import requests

        return requests.get(f"{self.url}/_emulator/state", timeout=10).json()

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
        return {g["name"]: sorted(m["email"] for m in g.get("members", [])) for g in self.state()["groups"]}

    def count(self, route: str, status: int | None = None) -> int:
        by_status = self.state()["counters"]["requests"].get(route, {})
        return sum(n for s, n in by_status.items() if status is None or str(s) == str(status))

    def hook(self, **kwargs):
        from airflow_provider_zoom.hooks.zoom import ZoomHook

        return ZoomHook(**kwargs)


@pytest.fixture
def zoom(emulator_server, monkeypatch, tmp_path) -> Zoom:
    """A clean emulator account, the ``zoom_default`` connection pointing at it, empty token caches."""
    import requests

    from airflow_provider_zoom.token_cache import PROCESS_TOKENS

    requests.post(f"{emulator_server.url}/_emulator/reset", json={"keep_config": False}, timeout=10).raise_for_status()
    PROCESS_TOKENS.clear()
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", emulator_server.connection_uri_json())
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))  # a fresh file token cache per test
    return Zoom(emulator_server)


def run_dag(dag_id: str, conf: dict | None = None, logical_date=None):
    """``dag.test()`` of a DAG of this repo, parsed from the DAG folder; returns the DagRun."""
    from datetime import UTC, datetime

    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.dags[dag_id].test(logical_date=logical_date or datetime.now(UTC), run_conf=conf or {})


def xcom_values(run, task_id: str, key: str = "return_value") -> list:
    """XCom values of one task of a finished run, by map index."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(XComModel)
            .where(XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id,
                   XComModel.task_id == task_id, XComModel.key == key)
            .order_by(XComModel.map_index)
        ).all()
        return [XComModel.deserialize_value(row) for row in rows]


def task_states(run) -> dict[tuple[str, int], str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        tis = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)
        ).all()
        return {(ti.task_id, ti.map_index): ti.state for ti in tis}


@pytest.fixture(scope="session")
def zoom_pool(airflow_db):
    """The ``zoom_api`` pool the wave DAG's Zoom tasks run in (``make demo`` creates it too)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "pools", "set", "zoom_api", "4", "Zoom API budget"],
        check=True, capture_output=True, env=os.environ.copy(),
    )
    return "zoom_api"
