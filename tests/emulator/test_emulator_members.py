"""IM group members: add by email or id (max 10), idempotent re-add, paging, removal."""

from __future__ import annotations

import re

import pytest
import requests

from tests.emulator.helpers import FakeClock, ZoomClient, emulator_state
from zoom_emulator import EmulatorServer

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def emails(count: int, start: int = 0) -> list[str]:
    return [f"user.{i:03d}@example.com" for i in range(start, start + count)]


@pytest.fixture
def group_id(api: ZoomClient) -> str:
    return api.create_group("Engineering")["id"]


def member_emails(api: ZoomClient, group_id: str) -> list[str]:
    return [m["email"] for m in api.get(f"/im/groups/{group_id}/members", params={"page_size": 300}).json()["members"]]


def test_add_ten_by_email_then_list_in_insertion_order(api: ZoomClient, group_id: str) -> None:
    batch = ["zoe.zimmer@example.com", *emails(9)]
    response = api.add_emails(group_id, batch)
    assert response.status_code == 201
    body = response.json()
    assert len(body["ids"].split(",")) == 10
    assert ISO_Z.match(body["added_at"])
    listing = api.get(f"/im/groups/{group_id}/members").json()
    assert [m["email"] for m in listing["members"]] == batch
    assert [m["id"] for m in listing["members"]] == body["ids"].split(",")
    assert listing["members"][0] == {
        "id": listing["members"][0]["id"],
        "email": "zoe.zimmer@example.com",
        "first_name": "Zoe",
        "last_name": "Zimmer",
        "type": 1,
    }
    assert api.get(f"/im/groups/{group_id}").json()["total_members"] == 10


def test_eleven_members_in_one_request_is_rejected(emulator: EmulatorServer, api: ZoomClient, group_id: str) -> None:
    response = api.add_emails(group_id, emails(11))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 300
    assert body["errors"] == [{"field": "members", "message": "members: at most 10 members per request"}]
    assert emulator_state(emulator)["groups"][0]["members"] == []


@pytest.mark.parametrize("payload", [{"members": []}, {}, {"members": "a@example.com"}, ["a@example.com"]])
def test_missing_or_empty_members_is_300(api: ZoomClient, group_id: str, payload: object) -> None:
    response = api.post(f"/im/groups/{group_id}/members", json=payload)
    assert response.status_code == 400
    assert response.json()["code"] == 300
    assert response.json()["errors"][0]["field"] == "members"


def test_bad_entries_are_named_and_nothing_is_added(emulator: EmulatorServer, api: ZoomClient, group_id: str) -> None:
    payload = {"members": [{"email": "ok@example.com"}, {"email": "not-an-email"}, {"id": "no-such-user"}, {}]}
    response = api.post(f"/im/groups/{group_id}/members", json=payload)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["members[1].email", "members[2].id", "members[3].email"]
    state = emulator_state(emulator)
    assert state["groups"][0]["members"] == [] and state["users"] == []


def test_add_by_known_user_id_and_id_wins_over_email(api: ZoomClient, group_id: str) -> None:
    other = api.create_group("Other")["id"]
    user_id = api.add_emails(other, ["ada.lovelace@example.com"]).json()["ids"]
    response = api.post(
        f"/im/groups/{group_id}/members", json={"members": [{"id": user_id, "email": "ignored@example.com"}]}
    )
    assert response.status_code == 201
    assert response.json()["ids"] == user_id
    assert member_emails(api, group_id) == ["ada.lovelace@example.com"]


def test_re_adding_members_is_a_no_op_and_ids_lists_only_the_added(api: ZoomClient, group_id: str) -> None:
    first = api.add_emails(group_id, emails(3)).json()["ids"]
    again = api.add_emails(group_id, [*reversed(emails(3)), "USER.000@EXAMPLE.COM"])
    assert again.status_code == 201
    assert again.json()["ids"] == ""
    mixed = api.add_emails(group_id, ["user.001@example.com", "new.one@example.com", "New.One@example.com"])
    assert mixed.status_code == 201
    assert mixed.json()["ids"] == api.add_emails(api.create_group("Other")["id"], ["new.one@example.com"]).json()["ids"]
    assert member_emails(api, group_id) == [*emails(3), "new.one@example.com"]
    assert len(first.split(",")) == 3


def test_user_ids_are_deterministic_per_email(emulator: EmulatorServer, api: ZoomClient, group_id: str) -> None:
    before = api.add_emails(group_id, ["grace@example.com"]).json()["ids"]
    assert requests.post(f"{emulator.url}/_emulator/reset", timeout=10).json()["users"] == []
    api.authenticate()
    again_group = api.create_group("Again")["id"]
    assert api.add_emails(again_group, ["Grace@Example.com"]).json()["ids"] == before


def test_next_page_token_walks_three_pages(api: ZoomClient, group_id: str) -> None:
    everyone = emails(65)
    for start in range(0, 65, 10):
        assert api.add_emails(group_id, everyone[start : start + 10]).status_code == 201
    seen: list[str] = []
    pages = []
    params: dict[str, str | int] = {}
    while True:
        page = api.get(f"/im/groups/{group_id}/members", params=params).json()
        pages.append((page["page_number"], page["page_size"], len(page["members"]), page["page_count"]))
        assert page["total_records"] == 65
        seen += [m["email"] for m in page["members"]]
        if not page["next_page_token"]:
            break
        params = {"next_page_token": page["next_page_token"]}
    assert pages == [(1, 30, 30, 3), (2, 30, 30, 3), (3, 30, 5, 3)]
    assert seen == everyone


def test_deprecated_page_number_is_honoured(api: ZoomClient, group_id: str) -> None:
    api.add_emails(group_id, emails(10))
    page = api.get(f"/im/groups/{group_id}/members", params={"page_size": 4, "page_number": 3}).json()
    assert [m["email"] for m in page["members"]] == emails(2, start=8)
    assert (page["page_number"], page["page_count"], page["next_page_token"]) == (3, 3, "")
    first, last = (
        api.get(f"/im/groups/{group_id}/members", params={"page_size": 5, "page_number": n}).json() for n in (1, 2)
    )
    assert first["next_page_token"] and last["next_page_token"] == ""  # an exactly full last page ends the walk


@pytest.mark.parametrize(("params", "field"), [({"page_size": 301}, "page_size"), ({"page_size": "ten"}, "page_size")])
def test_bad_page_size_is_300(api: ZoomClient, group_id: str, params: dict, field: str) -> None:
    response = api.get(f"/im/groups/{group_id}/members", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == 300
    assert response.json()["errors"][0]["field"] == field
    assert api.get(f"/im/groups/{group_id}/members", params={"page_size": 300}).status_code == 200


def test_page_token_invalid_foreign_or_expired(api: ZoomClient, group_id: str, clock: FakeClock) -> None:
    other = api.create_group("Other")["id"]
    api.add_emails(group_id, emails(3))
    token = api.get(f"/im/groups/{group_id}/members", params={"page_size": 1}).json()["next_page_token"]
    assert token

    def fetch(gid: str, page_token: str) -> int:
        response = api.get(f"/im/groups/{gid}/members", params={"page_size": 1, "next_page_token": page_token})
        if response.status_code == 400:
            assert response.json()["errors"][0]["field"] == "next_page_token"
        return response.status_code

    assert fetch(group_id, "forged-token") == 400
    assert fetch(other, token) == 400
    clock.advance(15 * 60 - 1)
    assert fetch(group_id, token) == 200
    clock.advance(1)
    assert fetch(group_id, token) == 400


def test_remove_member(api: ZoomClient, group_id: str) -> None:
    ids = api.add_emails(group_id, emails(3)).json()["ids"].split(",")
    response = api.delete(f"/im/groups/{group_id}/members/{ids[1]}")
    assert response.status_code == 204
    assert member_emails(api, group_id) == [emails(3)[0], emails(3)[2]]
    again = api.delete(f"/im/groups/{group_id}/members/{ids[1]}")
    assert again.status_code == 404
    assert again.json()["code"] == 1001


def test_member_routes_on_unknown_group_are_4130(api: ZoomClient) -> None:
    for response in (
        api.get("/im/groups/ghost/members"),
        api.add_emails("ghost", ["a@example.com"]),
        api.delete("/im/groups/ghost/members/someone"),
    ):
        assert response.status_code == 404
        assert response.json() == {"code": 4130, "message": "Group does not exist: ghost."}


def test_deleting_a_group_keeps_its_users(emulator: EmulatorServer, api: ZoomClient, group_id: str) -> None:
    api.add_emails(group_id, emails(2))
    api.delete(f"/im/groups/{group_id}")
    state = emulator_state(emulator)
    assert state["groups"] == []
    assert [u["email"] for u in state["users"]] == emails(2)
