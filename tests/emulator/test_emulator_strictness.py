"""Where the emulator is as strict as Zoom's documents: content types, methods, paid accounts, bad state files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.emulator.helpers import ZoomClient, configure, emulator_state, run_cli
from zoom_emulator import EmulatorProcess, EmulatorServer, EmulatorStartError

# -- content types ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "given"),
    [
        ({"data": {"name": "Legal"}}, "application/x-www-form-urlencoded"),
        ({"data": b'{"name": "Legal"}', "headers": {"Content-Type": "text/plain"}}, "text/plain"),
        ({"data": b'{"name": "Legal"}', "headers": {"Content-Type": ""}}, "none"),
        ({"data": b"<name>Legal</name>", "headers": {"Content-Type": "application/xml"}}, "application/xml"),
    ],
    ids=["urlencoded", "json-as-text", "no-content-type", "xml"],
)
def test_create_and_update_refuse_undocumented_content_types(
    emulator: EmulatorServer, api: ZoomClient, kwargs: dict, given: str
) -> None:
    expected = {
        "code": 300,
        "message": f"Unsupported Content-Type: {given}. Send application/json or multipart/form-data.",
    }
    created = api.post("/im/groups", **kwargs)
    assert (created.status_code, created.json()) == (400, expected)
    assert emulator_state(emulator)["groups"] == []
    group = api.create_group("Engineering")
    updated = api.patch(f"/im/groups/{group['id']}", **kwargs)
    assert (updated.status_code, updated.json()) == (400, expected)
    assert api.get(f"/im/groups/{group['id']}").json()["name"] == "Engineering"


@pytest.mark.parametrize(
    ("kwargs", "given"),
    [
        ({"files": {"members": (None, '[{"email": "ann@example.com"}]')}}, "multipart/form-data"),
        ({"data": {"members": "ann@example.com"}}, "application/x-www-form-urlencoded"),
        (
            {"data": b'{"members": [{"email": "ann@example.com"}]}', "headers": {"Content-Type": "text/plain"}},
            "text/plain",
        ),
    ],
    ids=["multipart", "urlencoded", "json-as-text"],
)
def test_add_members_takes_json_only(emulator: EmulatorServer, api: ZoomClient, kwargs: dict, given: str) -> None:
    group_id = api.create_group("Engineering")["id"]
    response = api.post(f"/im/groups/{group_id}/members", **kwargs)
    assert response.status_code == 400
    assert response.json() == {"code": 300, "message": f"Unsupported Content-Type: {given}. Send application/json."}
    assert emulator_state(emulator)["groups"][0]["members"] == []
    assert api.add_emails(group_id, ["ann@example.com"]).status_code == 201


# -- methods ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v2/im/groups", "GET, POST"),
        ("POST", "/v2/im/groups/someid", "DELETE, GET, PATCH"),
        ("PUT", "/v2/im/groups/someid/members", "GET, POST"),
        ("GET", "/v2/im/groups/someid/members/someone", "DELETE"),
        ("GET", "/oauth/token", "POST"),
        ("DELETE", "/_emulator/config", "GET, POST, PUT"),
    ],
)
def test_wrong_method_on_a_known_path_is_405_with_allow(
    emulator: EmulatorServer, api: ZoomClient, method: str, path: str, allow: str
) -> None:
    response = requests.request(method, f"{emulator.url}{path}", headers=api.session.headers, timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {
        "code": 405,
        "message": f"Method {method} is not allowed for this path. Allowed: {allow}.",
    }


# -- paid accounts ---------------------------------------------------------------------------------------


def test_a_free_account_gets_only_available_for_paid_account_on_all_eight(
    emulator: EmulatorServer, api: ZoomClient
) -> None:
    group_id = api.create_group("Engineering")["id"]
    member_id = api.add_emails(group_id, ["ann@example.com"]).json()["ids"]
    assert configure(emulator, paid_account=False).json()["paid_account"] is False
    calls = [
        ("GET", "/im/groups", {}),
        ("POST", "/im/groups", {"files": {"name": (None, "Sales")}}),
        ("GET", f"/im/groups/{group_id}", {}),
        ("PATCH", f"/im/groups/{group_id}", {"json": {"name": "Renamed"}}),
        ("DELETE", f"/im/groups/{group_id}", {}),
        ("GET", f"/im/groups/{group_id}/members", {}),
        ("POST", f"/im/groups/{group_id}/members", {"json": {"members": [{"email": "bob@example.com"}]}}),
        ("DELETE", f"/im/groups/{group_id}/members/{member_id}", {}),
    ]
    for method, path, kwargs in calls:
        response = api.request(method, path, **kwargs)
        assert (response.status_code, response.json()) == (
            400,
            {"code": 200, "message": "Only available for paid account: demo-account."},
        ), (method, path)
    assert requests.get(f"{emulator.api_url}/im/groups", timeout=10).status_code == 401  # credentials come first
    state = emulator_state(emulator)
    assert [(g["name"], len(g["members"])) for g in state["groups"]] == [("Engineering", 1)]
    assert state["counters"]["requests"]["GET /v2/im/groups"] == {"400": 1, "401": 1}
    requests.post(f"{emulator.url}/_emulator/reset", json={"keep_config": False}, timeout=10)
    api.authenticate()
    assert api.get("/im/groups").status_code == 200  # a paid account again


def test_free_account_flag_and_config_validation() -> None:
    with EmulatorProcess("--free-account") as emulator:
        assert emulator.state()["config"]["paid_account"] is False
        response = requests.put(f"{emulator.url}/_emulator/config", json={"paid_account": "no"}, timeout=10)
        assert response.status_code == 400
        assert response.json()["errors"] == [{"field": "paid_account", "message": "paid_account: must be a boolean"}]
    with EmulatorServer() as server:
        assert emulator_state(server)["config"]["paid_account"] is True


# -- state files -----------------------------------------------------------------------------------------

GOOD_USER = {"id": "u1", "email": "ann@example.com", "first_name": "Ann", "last_name": "", "type": 1}
GOOD_GROUP = {
    "id": "g1",
    "name": "Engineering",
    "type": "normal",
    "search_by_domain": False,
    "search_by_account": True,
    "search_by_ma_account": False,
    "created_at": 1.5,
    "members": ["u1"],
}
BAD_STATE_FILES = [
    (
        '{"version":1,"groups":[{"id":"g1","na',
        "not valid JSON (Unterminated string starting at: line 1 column 35); truncated, or not a state file?",
    ),
    ("", "not valid JSON (Expecting value: line 1 column 1); truncated, or not a state file?"),
    ("[]", "not an emulator state file: the top level is a JSON array, not an object"),
    (
        '{"version": 2, "groups": [], "users": []}',
        "not an emulator state file: version is 2, this emulator reads version 1",
    ),
    ('{"version": 1, "users": []}', "not an emulator state file: 'groups' must be a list"),
    (
        json.dumps({"version": 1, "groups": [{**GOOD_GROUP, "members": ["u2"]}], "users": [GOOD_USER]}),
        "not an emulator state file: groups[0].members lists 'u2', which is not among the file's users",
    ),
    (
        json.dumps({"version": 1, "groups": [], "users": [{**GOOD_USER, "type": "basic"}]}),
        "not an emulator state file: users[0].type must be an integer",
    ),
    (
        json.dumps({"version": 1, "groups": [{**GOOD_GROUP, "colour": "red"}], "users": [GOOD_USER]}),
        "not an emulator state file: groups[0] has unknown key(s) 'colour'",
    ),
    (
        json.dumps(
            {
                "version": 1,
                "groups": [GOOD_GROUP, {**GOOD_GROUP, "id": "g2", "name": "ENGINEERING"}],
                "users": [GOOD_USER],
            }
        ),
        "not an emulator state file: groups[1].name 'ENGINEERING' is used by an earlier group",
    ),
]


@pytest.mark.parametrize(("content", "problem"), BAD_STATE_FILES)
def test_cli_bad_state_file_is_one_line_and_exit_2(tmp_path: Path, content: str, problem: str) -> None:
    state_file = tmp_path / "zoom.json"
    state_file.write_text(content)
    result = run_cli("--state-file", str(state_file))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"error: state file {state_file}: {problem}"]


def test_cli_state_file_that_is_a_directory(tmp_path: Path) -> None:
    result = run_cli("--state-file", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: state file {tmp_path}: cannot read it: Is a directory"]


def test_a_valid_hand_written_state_file_loads(tmp_path: Path) -> None:
    state_file = tmp_path / "zoom.json"
    state_file.write_text(json.dumps({"version": 1, "groups": [GOOD_GROUP], "users": [GOOD_USER]}))
    with EmulatorServer(state_file=state_file) as server:
        state = emulator_state(server)
        assert state["groups"][0]["members"] == [{"id": "u1", "email": "ann@example.com"}]


def test_process_and_server_surface_a_truncated_state_file(tmp_path: Path) -> None:
    state_file = tmp_path / "zoom.json"
    state_file.write_text('{"version": 1, "groups": [')
    emulator = EmulatorProcess("--state-file", str(state_file))
    with pytest.raises(EmulatorStartError) as raised:
        emulator.start()
    message = str(raised.value)
    assert message.startswith("the Zoom emulator exited with code 2 before it was ready: error: state file ")
    assert f"{state_file}: not valid JSON" in message and "Traceback" not in message
    with pytest.raises(ValueError, match=r"not valid JSON"):
        EmulatorServer(state_file=state_file)


# -- what Swagger-driven fuzzing found in the IM routes ------------------------------------------------------


def test_update_without_a_body_is_400_not_204(emulator: EmulatorServer, api: ZoomClient) -> None:
    group = api.create_group("Engineering")
    for kwargs in ({}, {"headers": {"Content-Type": "application/json"}}, {"data": b"  "}):
        response = api.patch(f"/im/groups/{group['id']}", **kwargs)
        assert (response.status_code, response.json()) == (
            400,
            {"code": 300, "message": "Request Body should be a valid JSON object."},
        ), kwargs
    assert api.patch(f"/im/groups/{group['id']}", json={}).status_code == 204  # a body, all fields optional


def test_a_member_id_or_email_that_is_not_a_string_is_refused_by_name(
    emulator: EmulatorServer, api: ZoomClient
) -> None:
    group_id = api.create_group("Engineering")["id"]
    members = [
        {"id": {}, "email": "ann@example.com"},
        {"id": {"x": 1}},
        {"id": 7},
        {"email": ["bob@example.com"]},
        "carol@example.com",
    ]
    response = api.post(f"/im/groups/{group_id}/members", json={"members": members})
    assert response.status_code == 400
    assert response.json() == {
        "code": 300,
        "message": "Validation Failed.",
        "errors": [
            {"field": "members[0].id", "message": "members[0].id: must be a string"},
            {"field": "members[1].id", "message": "members[1].id: must be a string"},
            {"field": "members[2].id", "message": "members[2].id: must be a string"},
            {"field": "members[3].email", "message": "members[3].email: must be a string"},
            {"field": "members[4]", "message": "members[4]: must be an object with id or email"},
        ],
    }
    assert emulator_state(emulator)["groups"][0]["members"] == []


def test_lone_surrogates_in_json_are_400_not_500(emulator: EmulatorServer, api: ZoomClient, tmp_path: Path) -> None:
    invalid = {"code": 300, "message": "Request Body should be a valid JSON object."}
    headers = {"Content-Type": "application/json"}
    group_id = api.create_group("Engineering")["id"]
    for method, path, raw in [
        ("POST", "/im/groups", b'{"name": "\\ud800"}'),
        ("PATCH", f"/im/groups/{group_id}", b'{"name": "x\\udfff"}'),
        ("POST", f"/im/groups/{group_id}/members", b'{"members": [{"email": "\\udc00@example.com"}]}'),
        ("POST", "/contacts/groups", b'{"group_name": "\\ud83d"}'),
        ("POST", "/contacts/groups", b'{"\\ud800": 1}'),
    ]:
        response = api.request(method, path, data=raw, headers=headers)
        assert (response.status_code, response.json()) == (400, invalid), (method, path)
    paired = api.post("/im/groups", data=b'{"name": "\\ud83d\\ude00"}', headers=headers)  # a real pair: fine
    assert paired.status_code == 201 and paired.json()["name"] == "\U0001f600"
    with EmulatorServer(state_file=tmp_path / "zoom.json") as server:  # where the 500 came from: saving the name
        other = ZoomClient(server)
        response = other.post("/im/groups", data=b'{"name": "\\ud800"}', headers=headers)
        assert (response.status_code, response.json()) == (400, invalid)
