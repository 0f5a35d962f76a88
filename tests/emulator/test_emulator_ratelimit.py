"""Zoom's rate limits: per-second and daily budgets per category, checked after auth."""

from __future__ import annotations

import requests

from tests.emulator.helpers import FakeClock, ZoomClient, configure, emulator_state
from zoom_emulator import EmulatorProcess, EmulatorServer

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


# -- Heavy (Contact Groups' create, update, delete, add and remove; zoom-contact-groups.md 7) -----------------


def test_heavy_plan_figures(emulator: EmulatorServer) -> None:
    for plan, expected in (
        ("free", [1, 1000]),
        ("pro", [10, 30000]),
        ("business", [40, 60000]),
        ("unlimited", [None, None]),
    ):
        config = configure(emulator, plan=plan).json()
        assert [config["heavy_rps"], config["heavy_daily"]] == expected, plan
    config = configure(emulator, plan="business", heavy_rps=5, heavy_daily=None).json()
    assert [config["heavy_rps"], config["heavy_daily"]] == [5, None]


def test_contact_group_routes_use_their_documented_categories(
    emulator: EmulatorServer, api: ZoomClient, clock: FakeClock
) -> None:
    configure(emulator, plan="free")  # Light 4/s, Medium 2/s, Heavy 1/s
    created = api.post("/contacts/groups", json={"group_name": "A"})
    assert created.status_code == 201
    group_id = created.json()["group_id"]
    heavy_calls = [
        ("POST", "/contacts/groups", {"json": {"group_name": "B"}}),
        ("PATCH", f"/contacts/groups/{group_id}", {"json": {"name": "C"}}),
        ("DELETE", f"/contacts/groups/{group_id}", {}),
        ("POST", f"/contacts/groups/{group_id}/members", {"json": {"group_members": []}}),
        ("DELETE", f"/contacts/groups/{group_id}/members", {"params": {"member_ids": "x"}}),
    ]
    for method, path, kwargs in heavy_calls:  # the one Heavy call of this second is spent
        limited = api.request(method, path, **kwargs)
        assert (limited.status_code, limited.json()) == (429, PER_SECOND), (method, path)
    # Light and Medium still have budget in the same second
    assert api.get(f"/contacts/groups/{group_id}").status_code == 200
    assert api.get("/users/ann@example.com").status_code == 200
    assert [api.get("/contacts/groups").status_code for _ in range(3)] == [200, 200, 429]
    assert api.get(f"/contacts/groups/{group_id}/members").status_code == 429  # Medium, shared budget
    assert api.get("/users").status_code == 429  # Medium too
    clock.advance(1)
    assert api.patch(f"/contacts/groups/{group_id}", json={"name": "C"}).status_code == 204


def test_heavy_daily_cap_headers(emulator: EmulatorServer, api: ZoomClient, clock: FakeClock) -> None:
    configure(emulator, plan="pro", heavy_daily=2)
    for name in ("A", "B"):
        assert api.post("/contacts/groups", json={"group_name": name}).status_code == 201
    limited = api.post("/contacts/groups", json={"group_name": "C"})
    assert (limited.status_code, limited.json()) == (429, DAILY)
    assert limited.headers["X-RateLimit-Category"] == "Heavy"
    assert limited.headers["X-RateLimit-Type"] == "Daily-limit"
    assert limited.headers["X-RateLimit-Limit"] == "2"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["Retry-After"] == "2026-11-21T00:00:00Z"
    assert api.get("/contacts/groups").status_code == 200  # Medium is not capped on Pro
    clock.advance(14 * 3600)
    api.authenticate()
    assert api.post("/contacts/groups", json={"group_name": "C"}).status_code == 201


def test_cli_heavy_overrides() -> None:
    with EmulatorProcess("--plan", "business", "--heavy-rps", "3", "--heavy-daily", "7") as zoom:
        config = zoom.state()["config"]
        assert (config["heavy_rps"], config["heavy_daily"], config["light_rps"]) == (3, 7, 80)


def test_daily_reset_instant_moves_the_header_and_the_reset(
    emulator: EmulatorServer, api: ZoomClient, clock: FakeClock
) -> None:
    configure(emulator, plan="free", light_daily=2, light_rps=100)
    assert [api.get("/im/groups/x").status_code for _ in range(2)] == [404, 404]
    # The window in progress now ends 30 s from now (rounded up to a whole second), keeping what it used.
    config = configure(emulator, daily_reset_in=29.5).json()
    assert config["daily_reset_at"] == "2026-11-20T10:00:30Z"
    limited = api.get("/im/groups/x")
    assert limited.status_code == 429
    assert limited.json() == DAILY
    assert limited.headers["Retry-After"] == "2026-11-20T10:00:30Z"
    assert limited.headers["X-RateLimit-Type"] == "Daily-limit"
    clock.advance(29.5)  # 10:00:29.75
    assert api.get("/im/groups/x").status_code == 429
    clock.advance(0.25)  # 10:00:30, the reset Zoom announced
    assert [api.get("/im/groups/x").status_code for _ in range(3)] == [404, 404, 429]
    # The next window is a day long, from the reset on.
    assert api.get("/im/groups/x").headers["Retry-After"] == "2026-11-21T10:00:30Z"
    # An ISO instant works too; null returns to 00:00 UTC.
    assert configure(emulator, daily_reset_at="2026-11-20T12:00:00+01:00").json()["daily_reset_at"] == (
        "2026-11-20T11:00:00Z"
    )
    assert api.get("/im/groups/x").headers["Retry-After"] == "2026-11-20T11:00:00Z"
    assert configure(emulator, daily_reset_at=None).json()["daily_reset_at"] is None
    assert api.get("/im/groups/x").headers["Retry-After"] == "2026-11-21T00:00:00Z"


def test_daily_reset_survives_limit_changes_and_resets(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, daily_reset_in=60)
    config = configure(emulator, plan="free", light_daily=1).json()
    assert config["daily_reset_at"] == "2026-11-20T10:01:01Z"
    requests.post(f"{emulator.url}/_emulator/reset", json={}, timeout=10).raise_for_status()
    assert requests.get(f"{emulator.url}/_emulator/config", timeout=10).json()["daily_reset_at"] == (
        "2026-11-20T10:01:01Z"
    )
    requests.post(f"{emulator.url}/_emulator/reset", json={"keep_config": False}, timeout=10).raise_for_status()
    assert requests.get(f"{emulator.url}/_emulator/config", timeout=10).json()["daily_reset_at"] is None


def test_invalid_daily_reset_is_rejected(emulator: EmulatorServer) -> None:
    for body, field in (
        ({"daily_reset_at": "tomorrow"}, "daily_reset_at"),
        ({"daily_reset_in": -1}, "daily_reset_in"),
        ({"daily_reset_in": "10"}, "daily_reset_in"),
        ({"daily_reset_in": 5, "daily_reset_at": None}, "daily_reset_in"),
    ):
        response = requests.put(f"{emulator.url}/_emulator/config", json=body, timeout=10)
        assert response.status_code == 400, body
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_cli_daily_reset() -> None:
    with EmulatorProcess("--plan", "free", "--daily-reset-at", "2030-01-02T03:04:05Z") as zoom:
        assert zoom.state()["config"]["daily_reset_at"] == "2030-01-02T03:04:05Z"
    with EmulatorProcess("--daily-reset-in", "45") as zoom:
        reset_at = zoom.state()["config"]["daily_reset_at"]
    assert reset_at is not None


def test_a_short_daily_window_for_tests(emulator: EmulatorServer, api: ZoomClient, clock: FakeClock) -> None:
    config = configure(emulator, plan="free", light_daily=1, light_rps=100, daily_window_s=60).json()
    assert config["daily_window_s"] == 60
    assert api.get("/im/groups/x").status_code == 404
    limited = api.get("/im/groups/x")
    assert limited.headers["Retry-After"] == "2026-11-20T10:01:00Z"
    clock.advance(60)
    assert [api.get("/im/groups/x").status_code for _ in range(2)] == [404, 429]
    requests.post(f"{emulator.url}/_emulator/reset", json={"keep_config": False}, timeout=10).raise_for_status()
    assert requests.get(f"{emulator.url}/_emulator/config", timeout=10).json()["daily_window_s"] == 86_400
