"""Contact Groups (/v2/contacts/groups) as zoom-contact-groups.md section 4 describes them, over HTTP."""

from __future__ import annotations

import pytest
import requests

from tests.emulator.helpers import (
    FakeClock,
    ZoomClient,
    configure,
    create_contact_group,
    emulator_state,
    user_id,
    users,
)
from zoom_emulator import EmulatorServer


def not_found(group_id: str) -> dict:
    return {"code": 300, "message": f"A group with this groupId: {group_id} does not exist."}


def test_create_returns_the_group_with_its_id_and_get_agrees(emulator: EmulatorServer, api: ZoomClient) -> None:
    members = users(api, "ann@example.com", "bob@example.com")
    response = api.post(
        "/contacts/groups",
        json={
            "group_name": "Cohort 2026-W48",
            "group_privacy": 2,
            "description": "New hires",
            "group_members": members,
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"group_id", "group_name", "total_members", "group_privacy", "description"}
    assert created["group_name"] == "Cohort 2026-W48" and created["total_members"] == 2
    assert (created["group_privacy"], created["description"]) == (2, "New hires")
    got = api.get(f"/contacts/groups/{created['group_id']}")
    assert (got.status_code, got.json()) == (200, created)
    assert emulator.contact_groups() == {"Cohort 2026-W48": [["ann@example.com", "bob@example.com"]]}


def test_create_defaults_and_the_members_key(emulator: EmulatorServer, api: ZoomClient) -> None:
    bare = create_contact_group(api, "Bare")
    assert (bare["group_privacy"], bare["description"], bare["total_members"]) == (1, "", 0)
    other = api.post("/contacts/groups", json={"group_name": "Alt", "members": users(api, "ann@example.com")})
    assert other.status_code == 201 and other.json()["total_members"] == 1
    both = api.post("/contacts/groups", json={"group_name": "Both", "members": [], "group_members": []})
    assert both.status_code == 400
    assert both.json()["errors"] == [
        {"field": "group_members", "message": "group_members: give group_members or members, not both"}
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "group_name"),
        ({"group_name": ""}, "group_name"),
        ({"group_name": "  "}, "group_name"),
        ({"group_name": 7}, "group_name"),
        ({"group_name": "X", "group_privacy": 4}, "group_privacy"),
        ({"group_name": "X", "group_privacy": "1"}, "group_privacy"),
        ({"group_name": "X", "group_privacy": True}, "group_privacy"),
        ({"group_name": "X", "description": ["a"]}, "description"),
        ({"group_name": "X", "group_members": "ann"}, "group_members"),
        ({"group_name": "X", "group_members": ["ann"]}, "group_members[0]"),
        ({"group_name": "X", "group_members": [{"type": 3, "id": "a"}]}, "group_members[0].type"),
        ({"group_name": "X", "group_members": [{"type": 1, "id": {"a": 1}}]}, "group_members[0].id"),
        ({"group_name": "X", "group_members": [{"type": 1}]}, "group_members[0].id"),
    ],
)
def test_create_refuses_malformed_fields_by_name(
    emulator: EmulatorServer, api: ZoomClient, body: dict, field: str
) -> None:
    response = api.post("/contacts/groups", json=body)
    assert response.status_code == 400
    payload = response.json()
    assert (payload["code"], payload["message"]) == (300, "Validation Failed.")
    assert [e["field"] for e in payload["errors"]] == [field]
    assert emulator_state(emulator)["contact_groups"] == []


def test_create_member_limits_and_unknown_members_create_nothing(emulator: EmulatorServer, api: ZoomClient) -> None:
    fifty_one = [{"type": 1, "id": f"u{i}"} for i in range(51)]
    response = api.post("/contacts/groups", json={"group_name": "Big", "group_members": fifty_one})
    assert (response.status_code, response.json()) == (
        400,
        {"code": 300, "message": "The maximum number of user member per request is 50."},
    )
    four_groups = [{"type": 2, "id": f"g{i}"} for i in range(4)]
    response = api.post("/contacts/groups", json={"group_name": "Big", "group_members": four_groups})
    assert (response.status_code, response.json()) == (
        400,
        {"code": 300, "message": "The maximum number of group member per request is 3."},
    )
    ann = user_id(api, "ann@example.com")
    members = [{"type": 1, "id": ann}, {"type": 1, "id": "nobody"}, {"type": 1, "id": "zoe@example.com"}]
    response = api.post("/contacts/groups", json={"group_name": "Some", "group_members": members})
    assert response.status_code == 400
    assert response.json() == {
        "code": 300,
        "message": "Validation Failed.",
        "errors": [
            {"field": "group_members[1].id", "message": "User does not exist: nobody."},
            {"field": "group_members[2].id", "message": "User does not exist: zoe@example.com."},
        ],
    }
    assert emulator_state(emulator)["contact_groups"] == []


def test_fifty_users_in_one_create_is_fine(emulator: EmulatorServer, api: ZoomClient) -> None:
    members = users(api, *(f"hire{i}@example.com" for i in range(50)))
    assert create_contact_group(api, "Fifty", group_members=members)["total_members"] == 50


def test_duplicate_names_are_allowed_by_default_and_refused_in_unique_mode(
    emulator: EmulatorServer, api: ZoomClient
) -> None:
    first = create_contact_group(api, "Cohort")
    second = create_contact_group(api, "Cohort")
    assert first["group_id"] != second["group_id"]
    assert emulator.contact_groups() == {"Cohort": [[], []]}
    assert configure(emulator, contact_group_names="unique").json()["contact_group_names"] == "unique"
    clash = api.post("/contacts/groups", json={"group_name": " cohort "})
    assert (clash.status_code, clash.json()) == (
        409,
        {"code": 4132, "message": "Group name  cohort  is already in use."},
    )
    other = create_contact_group(api, "Other")
    renamed = api.patch(f"/contacts/groups/{other['group_id']}", json={"name": "COHORT"})
    assert renamed.status_code == 409
    assert api.patch(f"/contacts/groups/{other['group_id']}", json={"name": "Other"}).status_code == 204


def test_list_pages_by_token(emulator: EmulatorServer, api: ZoomClient, clock: FakeClock) -> None:
    ids = [create_contact_group(api, f"G{i:02d}")["group_id"] for i in range(23)]
    first = api.get("/contacts/groups").json()
    assert first["page_size"] == 10 and len(first["groups"]) == 10 and first["next_page_token"]
    assert set(first["groups"][0]) == {"group_id", "group_name", "group_privacy", "description"}
    assert "total_records" not in first and "page_number" not in first
    seen = [g["group_id"] for g in first["groups"]]
    token = first["next_page_token"]
    while token:
        page = api.get("/contacts/groups", params={"page_size": 10, "next_page_token": token}).json()
        seen += [g["group_id"] for g in page["groups"]]
        token = page["next_page_token"]
    assert seen == ids
    whole = api.get("/contacts/groups", params={"page_size": 50}).json()
    assert len(whole["groups"]) == 23 and whole["next_page_token"] == ""
    expiring = api.get("/contacts/groups").json()["next_page_token"]
    clock.advance(15 * 60 + 1)
    api.authenticate()
    expired = api.get("/contacts/groups", params={"next_page_token": expiring})
    assert expired.status_code == 400 and expired.json()["errors"][0]["field"] == "next_page_token"


@pytest.mark.parametrize("size", ["0", "51", "-1", "ten", "1.5", "9" * 40])
def test_page_size_outside_1_to_50_is_refused(emulator: EmulatorServer, api: ZoomClient, size: str) -> None:
    group_id = create_contact_group(api, "G")["group_id"]
    for path in ("/contacts/groups", f"/contacts/groups/{group_id}/members"):
        response = api.get(path, params={"page_size": size})
        assert response.status_code == 400, (path, size)
        assert response.json()["errors"][0]["field"] == "page_size"


def test_update_uses_name_privacy_description_and_ignores_create_keys(
    emulator: EmulatorServer, api: ZoomClient
) -> None:
    group = create_contact_group(api, "Before", group_privacy=1, description="d")
    path = f"/contacts/groups/{group['group_id']}"
    updated = api.patch(path, json={"name": "After", "privacy": 3, "description": "new"})
    assert (updated.status_code, updated.content) == (204, b"")
    assert api.get(path).json() == {**group, "group_name": "After", "group_privacy": 3, "description": "new"}
    ignored = api.patch(path, json={"group_name": "Create-style", "group_privacy": 1})
    assert ignored.status_code == 204
    assert api.get(path).json()["group_name"] == "After"
    assert api.patch(path, json={}).status_code == 204
    missing = api.patch(path)
    assert (missing.status_code, missing.json()) == (
        400,
        {"code": 300, "message": "Request Body should be a valid JSON object."},
    )
    bad = api.patch(path, json={"name": "", "privacy": 0, "description": None})
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["name", "privacy", "description"]
    assert api.patch(path, json=["name"]).status_code == 400


def test_unknown_group_is_400_code_300_everywhere(emulator: EmulatorServer, api: ZoomClient) -> None:
    calls = [
        ("GET", "", {}),
        ("PATCH", "", {"json": {"name": "x"}}),
        ("DELETE", "", {}),
        ("GET", "/members", {}),
        ("POST", "/members", {"json": {"group_members": users(api, "ann@example.com")}}),
        ("DELETE", "/members", {"params": {"member_ids": "abc"}}),
    ]
    for method, suffix, kwargs in calls:
        response = api.request(method, f"/contacts/groups/nope{suffix}", **kwargs)
        assert (response.status_code, response.json()) == (400, not_found("nope")), (method, suffix)


def test_delete_is_204_then_the_group_does_not_exist(emulator: EmulatorServer, api: ZoomClient) -> None:
    group_id = create_contact_group(api, "Gone soon")["group_id"]
    deleted = api.delete(f"/contacts/groups/{group_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    again = api.delete(f"/contacts/groups/{group_id}")
    assert (again.status_code, again.json()) == (400, not_found(group_id))


def test_members_add_list_and_page(emulator: EmulatorServer, api: ZoomClient) -> None:
    group_id = create_contact_group(api, "Team", group_members=users(api, "ann.lee@example.com"))["group_id"]
    ann = user_id(api, "ann.lee@example.com")
    batch = users(api, *(f"hire{i}@example.com" for i in range(12)))
    added = api.post(f"/contacts/groups/{group_id}/members", json={"group_members": [{"type": 1, "id": ann}, *batch]})
    assert added.status_code == 201
    assert added.json() == {"member_ids": [m["id"] for m in batch]}  # ann was already in: not listed
    again = api.post(f"/contacts/groups/{group_id}/members", json={"members": batch[:2]})
    assert (again.status_code, again.json()) == (201, {"member_ids": []})
    page = api.get(f"/contacts/groups/{group_id}/members").json()
    assert set(page) == {"group_members", "next_page_token", "page_size"}
    assert page["group_members"][0] == {"type": 1, "id": ann, "name": "Ann Lee"}
    listed, token = [m["id"] for m in page["group_members"]], page["next_page_token"]
    while token:
        page = api.get(f"/contacts/groups/{group_id}/members", params={"next_page_token": token}).json()
        listed += [m["id"] for m in page["group_members"]]
        token = page["next_page_token"]
    assert listed == [ann, *(m["id"] for m in batch)]
    assert api.get(f"/contacts/groups/{group_id}").json()["total_members"] == 13


def test_members_key_is_configurable(emulator: EmulatorServer, api: ZoomClient) -> None:
    group_id = create_contact_group(api, "Team", group_members=users(api, "ann@example.com"))["group_id"]
    configure(emulator, contact_members_key="members")
    assert "group_members" not in api.get(f"/contacts/groups/{group_id}/members").json()
    configure(emulator, contact_members_key="both")
    page = api.get(f"/contacts/groups/{group_id}/members").json()
    assert page["members"] == page["group_members"] and len(page["members"]) == 1


def test_add_members_limits_and_shapes(emulator: EmulatorServer, api: ZoomClient) -> None:
    group_id = create_contact_group(api, "Team")["group_id"]
    path = f"/contacts/groups/{group_id}/members"
    too_many = api.post(path, json={"group_members": [{"type": 1, "id": f"u{i}"} for i in range(51)]})
    assert too_many.json() == {"code": 300, "message": "The maximum number of user member per request is 50."}
    groups = api.post(path, json={"group_members": [{"type": 2, "id": f"g{i}"} for i in range(4)]})
    assert groups.json() == {"code": 300, "message": "The maximum number of group member per request is 3."}
    for body in ({}, {"group_members": []}, {"group_members": None}, {"group_members": {"type": 1}}):
        response = api.post(path, json=body)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "group_members", body
    empty = api.post(path)
    assert (empty.status_code, empty.json()["message"]) == (400, "Request Body should be a valid JSON object.")
    form = api.post(path, data={"group_members": "x"})
    assert form.json() == {
        "code": 300,
        "message": "Unsupported Content-Type: application/x-www-form-urlencoded. Send application/json.",
    }
    user_group = api.post(path, json={"group_members": [{"type": 2, "id": "web-group-1"}]})
    assert user_group.json()["errors"] == [
        {"field": "group_members[0].id", "message": "User group does not exist: web-group-1."}
    ]
    assert emulator_state(emulator)["contact_groups"][0]["members"] == []


def test_remove_members_rules(emulator: EmulatorServer, api: ZoomClient) -> None:
    members = users(api, "ann@example.com", "bob@example.com", "cy@example.com")
    ann, bob, cy = (m["id"] for m in members)
    group_id = create_contact_group(api, "Team", group_members=members)["group_id"]
    path = f"/contacts/groups/{group_id}/members"
    unknown = api.delete(path, params={"member_ids": f"{ann},ghost"})
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"code": 300, "message": "A member with this memberId: ghost does not exist."},
    )
    all_of_them = api.delete(path, params={"member_ids": f"{ann},{bob},{cy}"})
    assert (all_of_them.status_code, all_of_them.json()) == (
        400,
        {"code": 300, "message": "A group must have at least one member."},
    )
    twenty_one = api.delete(path, params={"member_ids": ",".join([ann] * 21)})
    assert twenty_one.json() == {"code": 300, "message": "The maximum number of memberId is 20."}
    for params in ({}, {"member_ids": ""}, {"member_ids": " , "}):
        response = api.delete(path, params=params)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "member_ids"
    assert api.get(f"/contacts/groups/{group_id}").json()["total_members"] == 3  # nothing removed so far
    removed = api.delete(path, params={"member_ids": f" {ann} ,{bob},{ann}"})
    assert (removed.status_code, removed.content) == (204, b"")
    assert [m["id"] for m in api.get(path).json()["group_members"]] == [cy]
    last = api.delete(f"{path}?member_ids={cy}")
    assert last.json() == {"code": 300, "message": "A group must have at least one member."}
    encoded = api.delete(f"{path}?member_ids={cy}%2Cghost")
    assert encoded.json()["message"] == "A member with this memberId: ghost does not exist."


def test_pending_inactive_and_missing_users_cannot_join() -> None:
    seeds = ["ann@corp.example", "pat@corp.example", "ina@corp.example", "gone@corp.example"]
    with EmulatorServer(users=seeds, pending_users="pat@corp.example", missing_users=["GONE@corp.example"]) as server:
        requests.post(
            f"{server.url}/_emulator/users", json={"emails": ["ina@corp.example"], "status": "inactive"}, timeout=10
        )
        api = ZoomClient(server)
        pat = api.get("/users/pat@corp.example").json()
        assert pat["status"] == "pending"
        ina = api.get("/users/ina@corp.example").json()
        assert api.get("/users/gone@corp.example").status_code == 404
        members = [{"type": 1, "id": pat["id"]}, {"type": 1, "id": ina["id"]}]
        refused = api.post("/contacts/groups", json={"group_name": "T", "group_members": members})
        assert refused.status_code == 400
        assert refused.json() == {
            "code": 300,
            "message": "Validation Failed.",
            "errors": [
                {
                    "field": "group_members[0].id",
                    "message": f"User {pat['id']} (pat@corp.example) is pending: it has not accepted the invitation"
                    " to the account yet.",
                },
                {
                    "field": "group_members[1].id",
                    "message": f"User {ina['id']} (ina@corp.example) is inactive: it is deactivated.",
                },
            ],
        }
        # The hire accepts the invitation: the admin endpoint makes the user active, and it can join.
        activated = requests.post(
            f"{server.url}/_emulator/users", json={"emails": ["pat@corp.example"], "status": "active"}, timeout=10
        )
        assert activated.json()["users"][0]["status"] == "active"
        created = api.post("/contacts/groups", json={"group_name": "T", "group_members": members[:1]})
        assert created.status_code == 201


def test_free_account_gets_paid_only_on_all_eight_but_users_still_answer(
    emulator: EmulatorServer, api: ZoomClient
) -> None:
    group_id = create_contact_group(api, "Team", group_members=users(api, "ann@example.com"))["group_id"]
    configure(emulator, paid_account=False)
    paid_only = {"code": 200, "message": "Only available for paid account: demo-account."}
    calls = [
        ("GET", "/contacts/groups", {}),
        ("POST", "/contacts/groups", {"json": {"group_name": "X"}}),
        ("GET", f"/contacts/groups/{group_id}", {}),
        ("PATCH", f"/contacts/groups/{group_id}", {"json": {"name": "Y"}}),
        ("DELETE", f"/contacts/groups/{group_id}", {}),
        ("GET", f"/contacts/groups/{group_id}/members", {}),
        ("POST", f"/contacts/groups/{group_id}/members", {"json": {"group_members": []}}),
        ("DELETE", f"/contacts/groups/{group_id}/members", {"params": {"member_ids": "x"}}),
    ]
    for method, path, kwargs in calls:
        response = api.request(method, path, **kwargs)
        assert (response.status_code, response.json()) == (400, paid_only), (method, path)
    assert api.get("/users/ann@example.com").status_code == 200
    assert api.get("/users").status_code == 200


def test_counters_label_routes_by_template(emulator: EmulatorServer, api: ZoomClient) -> None:
    ann = user_id(api, "ann@example.com")
    group_id = create_contact_group(api, "Team", group_members=[{"type": 1, "id": ann}])["group_id"]
    api.get(f"/contacts/groups/{group_id}/members")
    api.delete(f"/contacts/groups/{group_id}/members", params={"member_ids": ann})
    api.get("/users/nobody@elsewhere.org")
    requests_by_route = emulator_state(emulator)["counters"]["requests"]
    assert requests_by_route == {
        "POST /oauth/token": {"200": 1},
        "GET /v2/users/{userId}": {"200": 1, "404": 1},
        "POST /v2/contacts/groups": {"201": 1},
        "GET /v2/contacts/groups/{groupId}/members": {"200": 1},
        "DELETE /v2/contacts/groups/{groupId}/members": {"400": 1},
    }
    assert emulator.count("POST /v2/contacts/groups", 201) == 1
