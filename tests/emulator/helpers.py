"""Client-side helpers shared by the emulator tests (imported as ``tests.emulator.helpers``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from zoom_emulator import EmulatorServer

CLIENT_ID, CLIENT_SECRET, ACCOUNT_ID = "demo-client-id", "demo-client-secret", "demo-account"
START = 1_795_168_800.25  # 2026-11-20T10:00:00.25Z: mid-second and mid-day, so windows are easy to reason about


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, start: float = START):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ZoomClient:
    """``requests`` against the emulator's /v2 API with a bearer token from its /oauth/token."""

    def __init__(self, server: EmulatorServer):
        self.server = server
        self.session = requests.Session()
        self.token = ""
        self.authenticate()

    def authenticate(self) -> str:
        self.token = fetch_token(self.server)
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        return self.token

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.server.api_url + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create_group(self, name: str, **fields: str) -> dict[str, Any]:
        response = self.post("/im/groups", files={k: (None, v) for k, v in {"name": name, **fields}.items()})
        assert response.status_code == 201, response.text
        return response.json()

    def add_emails(self, group_id: str, emails: list[str]) -> requests.Response:
        return self.post(f"/im/groups/{group_id}/members", json={"members": [{"email": e} for e in emails]})


def user_id(api: ZoomClient, email: str) -> str:
    """The account user's id, looked up as a client must: ``GET /users/{email}``."""
    response = api.get(f"/users/{email}")
    assert response.status_code == 200, response.text
    return response.json()["id"]


def users(api: ZoomClient, *emails: str) -> list[dict[str, Any]]:
    """Contact-group member entries (type 1) for these addresses."""
    return [{"type": 1, "id": user_id(api, email)} for email in emails]


def create_contact_group(api: ZoomClient, name: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/contacts/groups", json={"group_name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def fetch_token(server: EmulatorServer) -> str:
    response = requests.post(
        server.token_url,
        data={"grant_type": "account_credentials", "account_id": ACCOUNT_ID},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def emulator_state(server: EmulatorServer) -> dict[str, Any]:
    return requests.get(f"{server.url}/_emulator/state", timeout=10).json()


def configure(server: EmulatorServer, **changes: Any) -> requests.Response:
    response = requests.put(f"{server.url}/_emulator/config", json=changes, timeout=10)
    assert response.status_code == 200, response.text
    return response


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m zoom_emulator --port 0 ARGS`` to completion (for arguments it refuses)."""
    return subprocess.run(
        [sys.executable, "-m", "zoom_emulator", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
