"""IM directory groups: create (multipart, JSON), validation, uniqueness, get/patch/delete."""

from __future__ import annotations

import re

import pytest
import requests

from tests.emulator.helpers import ZoomClient, emulator_state
from zoom_emulator import EmulatorServer

ZOOM_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


def test_create_via_multipart_applies_zoom_defaults(emulator: EmulatorServer, api: ZoomClient) -> None:
    response = api.post("/im/groups", files={"name": (None, "  Engineering  ")})
    assert response.status_code == 201
    group = response.json()
    assert ZOOM_ID.match(group["id"])
    assert group == {
        "id": group["id"],
        "name": "Engineering",
        "total_members": 0,
        "type": "normal",
        "search_by_domain": False,
        "search_by_account": True,
        "search_by_ma_account": False,
    }
    assert response.headers["Content-Location"] == f"{emulator.api_url}/im/groups/{group['id']}"
    assert api.get(f"/im/groups/{group['id']}").json() == group


def test_create_via_multipart_with_string_booleans(api: ZoomClient) -> None:
    group = api.create_group(
        "Sales", type="restricted", search_by_domain="true", search_by_account="false", search_by_ma_account="TRUE"
    )
    assert (group["type"], group["search_by_domain"], group["search_by_account"], group["search_by_ma_account"]) == (
        "restricted",
        True,
        False,
        True,
    )


def test_create_via_json_with_real_booleans(api: ZoomClient) -> None:
    response = api.post("/im/groups", json={"name": "Ops", "type": "shared", "search_by_domain": True})
    assert response.status_code == 201
    assert response.json()["search_by_domain"] is True
    assert response.json()["type"] == "shared"


@pytest.mark.parametrize("flag_value", ["true", 1, None])
def test_json_flags_must_be_json_booleans(api: ZoomClient, flag_value: object) -> None:
    """Swagger types the flags boolean: in JSON a string, a number or null breaks it (a form sends text instead)."""
    response = api.post("/im/groups", json={"name": "Ops", "search_by_domain": flag_value})
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["search_by_domain"]


def test_json_labelled_with_a_charset_is_json(api: ZoomClient) -> None:
    response = api.post(
        "/im/groups", data=b'{"name": "Legal"}', headers={"Content-Type": "Application/JSON; charset=UTF-8"}
    )
    assert response.status_code == 201, response.text


def test_name_of_128_characters_is_accepted(api: ZoomClient) -> None:
    assert api.create_group("n" * 128)["name"] == "n" * 128


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 129}, "name"),
        ({"type": "normal"}, "name"),
        ({"name": "G", "type": "secret"}, "type"),
        ({"name": "G", "type": "Shared"}, "type"),
        ({"name": "G", "search_by_domain": "yes"}, "search_by_domain"),
        ({"name": "G", "search_by_ma_account": "1"}, "search_by_ma_account"),
    ],
)
def test_invalid_create_is_400_code_300_naming_the_field(
    emulator: EmulatorServer, api: ZoomClient, fields: dict[str, str], field: str
) -> None:
    response = api.post("/im/groups", files={k: (None, v) for k, v in fields.items()})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["message"]) == (300, "Validation Failed.")
    assert [error["field"] for error in body["errors"]] == [field]
    assert body["errors"][0]["message"].startswith(f"{field}: ")
    assert emulator_state(emulator)["groups"] == []


def test_invalid_json_body_types(api: ZoomClient) -> None:
    response = api.post("/im/groups", json={"name": 42, "search_by_account": 1})
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"name", "search_by_account"}
    malformed = api.post("/im/groups", data="{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.json() == {"code": 300, "message": "Request Body should be a valid JSON object."}


def test_duplicate_name_is_409_regardless_of_case_and_whitespace(emulator: EmulatorServer, api: ZoomClient) -> None:
    api.create_group("Engineering")
    for name in ("Engineering", "ENGINEERING", " engineering "):
        response = api.post("/im/groups", json={"name": name})
        assert response.status_code == 409
        assert response.json() == {"code": 4132, "message": f"Group name {name.strip()} is already in use."}
    assert [g["name"] for g in emulator_state(emulator)["groups"]] == ["Engineering"]


def test_list_groups_in_creation_order(api: ZoomClient) -> None:
    names = ["b-team", "a-team", "c-team"]
    ids = [api.create_group(name)["id"] for name in names]
    body = api.get("/im/groups").json()
    assert (body["page_count"], body["page_number"], body["page_size"], body["total_records"]) == (1, 1, 3, 3)
    assert [g["id"] for g in body["groups"]] == ids
    assert set(body["groups"][0]) == {
        "id",
        "name",
        "total_members",
        "type",
        "search_by_domain",
        "search_by_account",
        "search_by_ma_account",
    }


def test_unknown_group_is_404_code_4130(api: ZoomClient) -> None:
    expected = {"code": 4130, "message": "Group does not exist: nope."}
    for method in ("GET", "PATCH", "DELETE"):
        response = api.request(method, "/im/groups/nope", json={"name": "x"})
        assert response.status_code == 404
        assert response.json() == expected


def test_patch_updates_only_given_fields(api: ZoomClient) -> None:
    group = api.create_group("Support")
    response = api.patch(f"/im/groups/{group['id']}", json={"name": "Customer Support", "search_by_domain": True})
    assert response.status_code == 204
    assert response.content == b""
    updated = api.get(f"/im/groups/{group['id']}").json()
    assert updated == {**group, "name": "Customer Support", "search_by_domain": True}


def test_patch_via_multipart(api: ZoomClient) -> None:
    group = api.create_group("Support")
    response = api.patch(f"/im/groups/{group['id']}", files={"type": (None, "shared")})
    assert response.status_code == 204
    assert api.get(f"/im/groups/{group['id']}").json()["type"] == "shared"


def test_patch_name_rules(api: ZoomClient) -> None:
    support = api.create_group("Support")
    api.create_group("Sales")
    taken = api.patch(f"/im/groups/{support['id']}", json={"name": "SALES"})
    assert taken.status_code == 409
    assert taken.json()["code"] == 4132
    assert api.patch(f"/im/groups/{support['id']}", json={"name": "SUPPORT"}).status_code == 204
    too_long = api.patch(f"/im/groups/{support['id']}", json={"name": "x" * 129})
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["field"] == "name"
    assert api.get(f"/im/groups/{support['id']}").json()["name"] == "SUPPORT"


def test_delete_frees_the_name(api: ZoomClient) -> None:
    group = api.create_group("Temp")
    response = api.delete(f"/im/groups/{group['id']}")
    assert response.status_code == 204
    assert api.get(f"/im/groups/{group['id']}").status_code == 404
    assert api.delete(f"/im/groups/{group['id']}").status_code == 404
    assert api.create_group("temp")["id"] != group["id"]


def test_unknown_route_is_404_not_found(emulator: EmulatorServer, api: ZoomClient) -> None:
    for method, url in (("GET", f"{emulator.api_url}/meetings"), ("PUT", f"{emulator.api_url}/im/groupz")):
        response = requests.request(method, url, headers=api.session.headers, timeout=10)
        assert response.status_code == 404
        assert response.json() == {"code": 404, "message": "Not found"}
