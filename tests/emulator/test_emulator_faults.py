"""Seeded fault injection: 5xx, dropped connections, 429 bursts, latency, token invalidation, commit-then-fail."""

from __future__ import annotations

import time

import pytest
import requests

from tests.emulator.helpers import ZoomClient, configure, emulator_state
from zoom_emulator import EmulatorServer


def outcome(call) -> str:
    """A request's observable result: its status, or the kind of transport failure the client saw."""
    try:
        return str(call().status_code)
    except requests.exceptions.ChunkedEncodingError:
        return "chunked"
    except requests.ConnectionError:
        return "dropped"


def fault_sequence(emulator: EmulatorServer, faults: dict, count: int = 40) -> list[str]:
    configure(emulator, faults=faults)
    api = ZoomClient(emulator)
    return [outcome(lambda: api.get("/im/groups")) for _ in range(count)]


def test_same_seed_same_faults(emulator: EmulatorServer) -> None:
    faults = {"seed": 7, "error_5xx": 0.25, "reset": 0.15, "burst_429": 0.15}
    first = fault_sequence(emulator, faults)
    second = fault_sequence(emulator, faults)
    other_seed = fault_sequence(emulator, {**faults, "seed": 8})
    assert first == second
    assert first != other_seed
    assert {"200", "429", "dropped"} <= set(first)
    assert set(first) & {"500", "502", "503"}
    assert "chunked" not in first


def test_reset_after_state_reset_replays_the_sequence(emulator: EmulatorServer) -> None:
    faults = {"seed": 3, "error_5xx": 0.5}
    first = fault_sequence(emulator, faults, count=20)
    requests.post(f"{emulator.url}/_emulator/reset", json={}, timeout=10)
    api = ZoomClient(emulator)
    assert [outcome(lambda: api.get("/im/groups")) for _ in range(20)] == first


def test_5xx_leaves_state_untouched_and_is_counted(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, faults={"seed": 1, "error_5xx": 1.0})
    statuses = set()
    for i in range(12):
        response = api.post("/im/groups", json={"name": f"g{i}"})
        assert response.json() == {"code": response.status_code, "message": response.reason}
        statuses.add(response.status_code)
    assert statuses == {500, 502, 503}
    state = emulator_state(emulator)
    assert state["groups"] == []
    assert state["counters"]["faults"]["error_5xx"] == 12


def test_reset_fault_drops_the_connection_without_a_response(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, faults={"reset": 1.0})
    with pytest.raises(requests.ConnectionError) as info:
        api.post("/im/groups", files={"name": (None, "Dropped")})
    # The kernel reports the drop either as a close before any byte or as a reset, depending on timing.
    assert any(
        text in str(info.value) for text in ("Remote end closed connection without response", "Connection reset by peer")
    )
    configure(emulator, faults={})
    assert api.get("/im/groups").json()["groups"] == []
    state = emulator_state(emulator)
    assert state["counters"]["faults"]["reset"] == 1
    assert state["counters"]["requests"]["POST /v2/im/groups"] == {"dropped": 1}


def test_burst_429_ignores_the_budget(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, faults={"burst_429": 1.0})
    response = api.get("/im/groups")
    assert response.status_code == 429
    assert "per-second" in response.json()["message"]
    assert "Retry-After" not in response.headers
    counters = emulator_state(emulator)["counters"]
    assert counters["faults"]["burst_429"] == 1 and counters["rate_limited"] == 1


def test_commit_then_fail_creates_the_group_anyway(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, faults={"seed": 5, "commit_then_fail": 1.0})
    seen = [outcome(lambda i=i: api.post("/im/groups", json={"name": f"team-{i}"})) for i in range(6)]
    assert set(seen) == {"502", "dropped"}
    configure(emulator, faults={})
    assert [g["name"] for g in api.get("/im/groups").json()["groups"]] == [f"team-{i}" for i in range(6)]
    retry = api.post("/im/groups", json={"name": "team-0"})
    assert retry.status_code == 409  # what a naive retry after the failure runs into
    assert emulator_state(emulator)["counters"]["faults"]["commit_then_fail"] == 6


def test_commit_then_fail_only_hits_successful_creates(emulator: EmulatorServer, api: ZoomClient) -> None:
    api.create_group("taken")
    configure(emulator, faults={"seed": 5, "commit_then_fail": 1.0})
    assert api.post("/im/groups", json={"name": "taken"}).status_code == 409
    assert api.post("/im/groups", json={"name": ""}).status_code == 400
    assert api.get("/im/groups").status_code == 200


def test_invalidate_tokens_at_request_ordinals(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, faults={"invalidate_tokens_at": [2, 4]})
    statuses = []
    for _ in range(5):
        response = api.get("/im/groups")
        statuses.append(response.status_code)
        if response.status_code == 401:
            assert response.json() == {"code": 124, "message": "Invalid access token."}
            api.authenticate()
    assert statuses == [200, 401, 200, 401, 200]
    assert emulator_state(emulator)["counters"]["faults"]["invalidate_tokens"] == 2


def test_latency_delays_requests(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, faults={"latency_ms": 60, "latency_jitter_ms": 20, "seed": 1})
    started = time.monotonic()
    assert api.get("/im/groups").status_code == 200
    assert time.monotonic() - started >= 0.06
    assert emulator_state(emulator)["counters"]["faults"]["latency"] == 1


def test_oauth_is_spared_unless_asked(emulator: EmulatorServer) -> None:
    configure(emulator, faults={"error_5xx": 1.0})
    ZoomClient(emulator)  # the token endpoint still works
    configure(emulator, faults={"error_5xx": 1.0, "faults_on_oauth": True})
    response = requests.post(
        emulator.token_url,
        data={"grant_type": "account_credentials", "account_id": "demo-account"},
        auth=("demo-client-id", "demo-client-secret"),
        timeout=10,
    )
    assert response.status_code in (500, 502, 503)
    assert emulator_state(emulator)["counters"]["tokens_issued"] == 1


def test_invalid_fault_config_names_the_problem(emulator: EmulatorServer) -> None:
    for faults, word in (
        ({"error_5xx": 1.5}, "error_5xx"),
        ({"reset": 0.6, "error_5xx": 0.6}, "exceed"),
        ({"explode": 1}, "explode"),
        ({"invalidate_tokens_at": [0]}, "invalidate_tokens_at"),
    ):
        response = requests.put(f"{emulator.url}/_emulator/config", json={"faults": faults}, timeout=10)
        assert response.status_code == 400
        assert word in response.json()["errors"][0]["message"]
