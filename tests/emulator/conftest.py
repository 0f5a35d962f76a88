"""One shared emulator (reset before each test) driven by a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.emulator.helpers import START, FakeClock, ZoomClient
from zoom_emulator import EmulatorServer


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def zoom_server(clock: FakeClock) -> Iterator[EmulatorServer]:
    with EmulatorServer(seed=1234, clock=clock, user_domains=["example.com"]) as server:
        yield server


@pytest.fixture
def emulator(zoom_server: EmulatorServer, clock: FakeClock) -> EmulatorServer:
    """The shared emulator, emptied and back on its start-up config and clock."""
    clock.now = START
    response = requests.post(f"{zoom_server.url}/_emulator/reset", json={"keep_config": False}, timeout=10)
    assert response.status_code == 200
    return zoom_server


@pytest.fixture
def api(emulator: EmulatorServer) -> ZoomClient:
    return ZoomClient(emulator)
