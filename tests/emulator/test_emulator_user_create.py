"""``POST /v2/users`` (zoom-users.md 1): invitations, the other actions, the documented refusals, the daily create
cap; and pending users accepting their invitation (an admin call, or ``activate_after`` seconds later)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.emulator.helpers import START, FakeClock, ZoomClient, configure, emulator_state
from zoom_emulator import EmulatorProcess, EmulatorServer, ZoomBackend

NEW = "new.hire@hires.test"  # not under the shared emulator's user domain (example.com): no user yet


def invite(api: ZoomClient, email: str = NEW, action: str = "create", **info: Any) -> requests.Response:
    return api.post("/users", json={"action": action, "user_info": {"email": email, "type": 1, **info}})


def status_of(api: ZoomClient, email: str) -> str:
    response = api.get(f"/users/{email}")
    assert response.status_code == 200, response.text
    return response.json()["status"]


def test_create_invites_a_pending_user_listed_without_id(emulator: EmulatorServer, api: ZoomClient) -> None:
    response = invite(api, first_name="New", last_name="Hire")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {"id": body["id"], "email": NEW, "first_name": "New", "last_name": "Hire", "type": 1}
    assert status_of(api, NEW) == "pending"
    pending = api.get("/users", params={"status": "pending"}).json()["users"]
    assert [(user["email"], "id" in user) for user in pending] == [(NEW, False)]
    assert emulator_state(emulator)["counters"]["invitations_sent"] == 1


def test_a_pending_user_joins_a_contact_group_only_once_activated(emulator: EmulatorServer, api: ZoomClient) -> None:
    user_id = invite(api).json()["id"]
    group = api.post("/contacts/groups", json={"group_name": "Cohort", "group_members": [{"type": 1, "id": user_id}]})
    assert group.status_code == 400 and "pending" in group.text

    activated = requests.post(f"{emulator.url}/_emulator/users/{NEW}/activate", timeout=10)
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    group = api.post("/contacts/groups", json={"group_name": "Cohort", "group_members": [{"type": 1, "id": user_id}]})
    assert group.status_code == 201, group.text


def test_activating_someone_who_is_no_user_is_404_naming_them(emulator: EmulatorServer) -> None:
    response = requests.post(f"{emulator.url}/_emulator/users/nobody@hires.test/activate", timeout=10)
    assert response.status_code == 404 and "nobody@hires.test" in response.json()["message"]


def test_pending_users_accept_after_the_configured_delay(
    emulator: EmulatorServer, api: ZoomClient, clock: FakeClock
) -> None:
    configure(emulator, activate_after=3600)
    invite(api)
    clock.advance(3599)
    assert status_of(api, NEW) == "pending"
    clock.advance(1)
    api.authenticate()  # the hour outlived the token
    assert status_of(api, NEW) == "active"


def test_the_backend_keyword_starts_seeded_pending_users_clocks_at_start() -> None:
    clock = FakeClock(START)
    backend = ZoomBackend(users=["pat@corp.example"], pending_users="pat@corp.example", activate_after=60, clock=clock)
    assert backend.get_user("pat@corp.example")["status"] == "pending"
    clock.advance(60)
    backend.dump()  # every request (and the state view) looks at the clock first
    assert backend.get_user("pat@corp.example")["status"] == "active"


def test_the_cli_flag_activates_pending_users() -> None:
    with EmulatorProcess(users=["pat@corp.example"], pending_users=["pat@corp.example"], activate_after=0) as zoom:
        assert zoom.state()["config"]["activate_after"] == 0
        assert [user["status"] for user in zoom.state()["users"]] == ["active"]


def test_already_a_user_is_409_1005(api: ZoomClient) -> None:
    invite(api)
    for email in (NEW, NEW.upper(), "someone@example.com"):  # invited before, or a user of the account
        response = invite(api, email=email)
        assert (response.status_code, response.json()["code"]) == (409, 1005), response.text
        assert email in response.json()["message"]


def test_a_user_of_another_account_is_400_1009(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, foreign_users=["elsewhere@hires.test"])
    response = invite(api, email="elsewhere@hires.test")
    assert (response.status_code, response.json()["code"]) == (400, 1009)
    assert "elsewhere@hires.test" in response.json()["message"]


def test_no_seat_left_is_400_2034(emulator: EmulatorServer, api: ZoomClient) -> None:
    seats = len(emulator_state(emulator)["users"]) + 1
    configure(emulator, user_seats=seats)
    assert invite(api, email="first@hires.test").status_code == 201
    response = invite(api, email="second@hires.test")
    assert (response.status_code, response.json()["code"]) == (400, 2034)
    assert api.get("/users/second@hires.test").status_code == 404


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["action", "user_info"]),
        ({"action": "invite", "user_info": {"email": NEW, "type": 1}}, ["action"]),
        ({"action": "create", "user_info": {"email": "not-an-address", "type": 1}}, ["user_info.email"]),
        ({"action": "create", "user_info": {"email": NEW}}, ["user_info.type"]),
        ({"action": "create", "user_info": {"email": NEW, "type": 3}}, ["user_info.type"]),
        ({"action": "create", "user_info": {"email": NEW, "type": True}}, ["user_info.type"]),
        ({"action": "create", "user_info": {"email": "x" * 120 + "@hires.test", "type": 1}}, ["user_info.email"]),
        ({"action": "create", "user_info": {"email": NEW, "type": 1, "password": "pw"}}, ["user_info.password"]),
        ({"action": "create", "user_info": {"email": NEW, "type": 1, "first_name": None}}, ["user_info.first_name"]),
    ],
)
def test_malformed_creates_are_400_300_naming_each_field(
    emulator: EmulatorServer, api: ZoomClient, body: dict[str, Any], fields: list[str]
) -> None:
    response = api.post("/users", json=body)
    assert (response.status_code, response.json()["code"]) == (400, 300), response.text
    assert [error["field"] for error in response.json()["errors"]] == fields
    assert emulator_state(emulator)["counters"]["invitations_sent"] == 0


def test_the_other_actions_need_their_feature_and_make_active_users(emulator: EmulatorServer, api: ZoomClient) -> None:
    refused = invite(api, action="autoCreate", password="S3cret!pw")
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (400, "action")
    assert invite(api, action="ssoCreate").json()["code"] == 2002

    configure(emulator, create_actions=["create", "autoCreate", "custCreate", "ssoCreate"])
    for index, action in enumerate(("autoCreate", "custCreate", "ssoCreate")):
        email = f"{action.lower()}{index}@hires.test"
        assert invite(api, email=email, action=action).status_code == 201
        assert status_of(api, email) == "active"
    assert emulator_state(emulator)["counters"]["invitations_sent"] == 0  # only "create" sends one


def test_a_missing_hire_can_be_invited(emulator: EmulatorServer, api: ZoomClient) -> None:
    requests.post(f"{emulator.url}/_emulator/users", json={"missing": ["gone@example.com"]}, timeout=10)
    assert api.get("/users/gone@example.com").status_code == 404
    assert invite(api, email="gone@example.com").status_code == 201
    assert status_of(api, "gone@example.com") == "pending"


def test_the_daily_create_cap_answers_zooms_daily_429_until_the_reset(
    emulator: EmulatorServer, api: ZoomClient, clock: FakeClock
) -> None:
    configure(emulator, user_create_daily=2)
    assert [invite(api, email=f"h{i}@hires.test").status_code for i in range(2)] == [201, 201]
    capped = invite(api, email="h2@hires.test")
    assert capped.status_code == 429
    assert capped.headers["X-RateLimit-Type"] == "Daily-limit" and capped.headers["X-RateLimit-Limit"] == "2"
    assert capped.headers["Retry-After"] == "2026-11-21T00:00:00Z"
    assert api.get("/users/h2@hires.test").status_code == 404  # nobody was created
    assert invite(api, email="auto@hires.test", action="ssoCreate").status_code == 400  # other actions: not capped
    clock.advance(14 * 3600)
    api.authenticate()
    assert invite(api, email="h2@hires.test").status_code == 201


@pytest.mark.parametrize(("plan", "cap"), [("free", 50), ("pro", 1_500), ("business", 10_000), ("unlimited", None)])
def test_plans_carry_zooms_daily_create_caps(emulator: EmulatorServer, plan: str, cap: int | None) -> None:
    assert configure(emulator, plan=plan).json()["user_create_daily"] == cap


def test_a_free_account_cannot_create_users(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, paid_account=False)
    response = invite(api)
    assert (response.status_code, response.json()["code"]) == (400, 200)


def test_invited_users_survive_a_restart_with_a_state_file(tmp_path: Any) -> None:
    state = tmp_path / "state.json"
    with EmulatorServer(state_file=state) as zoom:
        assert invite(ZoomClient(zoom)).status_code == 201
    with EmulatorServer(state_file=state) as zoom:
        assert status_of(ZoomClient(zoom), NEW) == "pending"
