"""What the groups tests share with the hook tests: the stand-in Zoom for replies the emulator never gives."""

from __future__ import annotations

import pytest

from tests.hooks.standin import StandInZoom


@pytest.fixture
def standin(monkeypatch, tmp_path):
    with StandInZoom() as server:
        monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", server.connection_json())
        monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))  # a fresh file token cache
        yield server
