"""Zoom's rate limits: per-second and daily budgets per category, checked after auth."""

from __future__ import annotations

import requests

from tests.emulator.helpers import FakeClock, ZoomClient, configure, emulator_state
from zoom_emulator import EmulatorServer

PER_SECOND = {
    "code": 429,
    "message": "You have reached the maximum per-second rate limit for this API. Try again later.",
}
DAILY = {
    "code": 429,
    "message": "You have reached the maximum daily rate limit for this API. "
    "Refer to the response header for details on when you can make another request.",
}


def test_plan_presets_and_overrides(emulator: EmulatorServer) -> None:
    limits = ("light_rps", "medium_rps", "light_daily", "medium_daily")
    config = configure(emulator, plan="free").json()
    assert [config[key] for key in limits] == [4, 2, 6000, 2000]
    config = configure(emulator, plan="pro", medium_rps=5).json()
    assert [config[key] for key in limits] == [30, 5, None, None]
    config = configure(emulator, plan="business").json()
    assert [config[key] for key in limits] == [80, 60, None, None]
    config = configure(emulator, plan="unlimited").json()
    assert [config[key] for key in limits] == [None, None, None, None]


def test_per_second_limit_has_no_retry_after_and_resets_next_second(
    emulator: EmulatorServer, api: ZoomClient, clock: FakeClock
) -> None:
    configure(emulator, light_rps=2)
    group = api.create_group("Limited")  # Light #1
    assert api.get(f"/im/groups/{group['id']}").status_code == 200  # Light #2
    limited = api.get(f"/im/groups/{group['id']}")
    assert limited.status_code == 429
    assert limited.json() == PER_SECOND
    assert "Retry-After" not in limited.headers
    clock.advance(0.7)  # 10:00:00.95, same second
    assert api.get(f"/im/groups/{group['id']}").status_code == 429
    clock.advance(0.1)  # next wall-clock second
    assert api.get(f"/im/groups/{group['id']}").status_code == 200
    counters = emulator_state(emulator)["counters"]
    assert counters["rate_limited"] == 2
    assert counters["requests"]["GET /v2/im/groups/{groupId}"] == {"200": 2, "429": 2}


def test_categories_have_separate_budgets(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, plan="free")  # Light 4/s, Medium 2/s
    assert [api.get("/im/groups").status_code for _ in range(3)] == [200, 200, 429]
    assert [api.get("/im/groups/unknown").status_code for _ in range(5)] == [404, 404, 404, 404, 429]


def test_rejected_auth_does_not_consume_budget(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, light_rps=1)
    for _ in range(3):
        assert requests.get(f"{emulator.api_url}/im/groups/x", timeout=10).status_code == 401
    assert api.get("/im/groups/x").status_code == 404
    assert api.get("/im/groups/x").status_code == 429


def test_daily_limit_headers_and_reset_at_utc_midnight(
    emulator: EmulatorServer, api: ZoomClient, clock: FakeClock
) -> None:
    configure(emulator, plan="free", light_daily=3, light_rps=100)
    for _ in range(3):
        assert api.get("/im/groups/x").status_code == 404
        clock.advance(1)
    limited = api.get("/im/groups/x")
    assert limited.status_code == 429
    assert limited.json() == DAILY
    assert limited.headers["Retry-After"] == "2026-11-21T00:00:00Z"
    assert limited.headers["X-RateLimit-Category"] == "Light"
    assert limited.headers["X-RateLimit-Type"] == "Daily-limit"
    assert limited.headers["X-RateLimit-Limit"] == "3"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert api.get("/im/groups").status_code == 200  # Medium still has budget
    clock.advance(14 * 3600)  # past 00:00 UTC
    api.authenticate()  # the old token has expired meanwhile
    assert api.get("/im/groups/x").status_code == 404


def test_daily_limit_of_medium_category(emulator: EmulatorServer, api: ZoomClient, clock: FakeClock) -> None:
    configure(emulator, plan="free", medium_daily=1)
    assert api.get("/im/groups").status_code == 200
    clock.advance(1)
    limited = api.get("/im/groups")
    assert limited.status_code == 429
    assert limited.headers["X-RateLimit-Category"] == "Medium"
    assert limited.headers["X-RateLimit-Limit"] == "1"


def test_invalid_limit_config_is_rejected(emulator: EmulatorServer) -> None:
    response = requests.put(f"{emulator.url}/_emulator/config", json={"light_rps": 0, "plan": "gold"}, timeout=10)
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"light_rps", "plan"}
    assert requests.get(f"{emulator.url}/_emulator/config", timeout=10).json()["plan"] == "unlimited"
