"""What the hook tests share: a stand-in Zoom on loopback with the ``zoom_default`` connection pointing at it.

Process-wide token caches and pacers are reset around every test by ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest

from tests.hooks.standin import StandInZoom


@pytest.fixture
def standin(monkeypatch, tmp_path):
    with StandInZoom() as server:
        monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", server.connection_json())
        monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))  # a fresh file token cache
        yield server
