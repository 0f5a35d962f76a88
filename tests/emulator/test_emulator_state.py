"""Inspection endpoints, counters, reset, the state file, the server wrapper and the CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.emulator.helpers import CLIENT_SECRET, ZoomClient, configure, emulator_state
from zoom_emulator import EmulatorServer


def test_health(emulator: EmulatorServer) -> None:
    assert requests.get(f"{emulator.url}/health", timeout=10).json() == {"status": "ok"}


def test_state_dump_shape_and_counters(emulator: EmulatorServer, api: ZoomClient) -> None:
    group = api.create_group("Engineering")
    api.post("/im/groups", json={"name": "engineering"})
    api.add_emails(group["id"], ["ann@example.com", "bob@example.com"])
    api.get("/im/groups/missing")
    state = emulator_state(emulator)
    assert state["groups"] == [
        {
            **group,
            "total_members": 2,
            "created_at": "2026-11-20T10:00:00Z",
            "members": [
                {"id": state["users"][0]["id"], "email": "ann@example.com"},
                {"id": state["users"][1]["id"], "email": "bob@example.com"},
            ],
        }
    ]
    counters = state["counters"]
    assert counters["requests"] == {
        "POST /oauth/token": {"200": 1},
        "POST /v2/im/groups": {"201": 1, "409": 1},
        "POST /v2/im/groups/{groupId}/members": {"201": 1},
        "GET /v2/im/groups/{groupId}": {"404": 1},
    }
    assert (counters["api_requests"], counters["tokens_issued"], counters["rate_limited"]) == (4, 1, 0)
    assert state["config"]["plan"] == "unlimited" and state["config"]["token_policy"] == "multiple"


def test_dumps_never_contain_the_secret_or_tokens(emulator: EmulatorServer, api: ZoomClient) -> None:
    api.create_group("Engineering")
    older = api.token
    api.authenticate()
    for path in ("/_emulator/state", "/_emulator/config"):
        text = requests.get(f"{emulator.url}{path}", timeout=10).text
        assert CLIENT_SECRET not in text
        assert older not in text and api.token not in text
        assert "client_secret" not in text


def test_reset_keeps_config_unless_told_otherwise(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, plan="pro")
    api.create_group("Engineering")
    kept = requests.post(f"{emulator.url}/_emulator/reset", timeout=10).json()
    assert kept["groups"] == [] and kept["users"] == []
    assert kept["counters"]["requests"] == {} and kept["counters"]["tokens_issued"] == 0
    assert kept["config"]["plan"] == "pro"
    assert api.get("/im/groups").status_code == 401  # tokens are gone too
    restored = requests.post(f"{emulator.url}/_emulator/reset", json={"keep_config": False}, timeout=10).json()
    assert restored["config"]["plan"] == "unlimited"


def test_config_endpoint_round_trip(emulator: EmulatorServer) -> None:
    config = configure(emulator, token_policy="latest-only", token_ttl=60, faults={"seed": 9, "reset": 0.1}).json()
    assert (config["token_policy"], config["token_ttl"]) == ("latest-only", 60)
    assert config["faults"]["reset"] == 0.1 and config["faults"]["seed"] == 9
    assert requests.get(f"{emulator.url}/_emulator/config", timeout=10).json() == config
    posted = requests.post(f"{emulator.url}/_emulator/config", json={"app_disabled": True}, timeout=10).json()
    assert posted["app_disabled"] is True and posted["token_ttl"] == 60


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "zoom" / "state.json"
    with EmulatorServer(state_file=state_file, users=["ann@example.com"], user_domains=["example.com"]) as first:
        api = ZoomClient(first)
        kept = api.create_group("Engineering", type="shared")
        dropped = api.create_group("Temporary")
        # ann is seeded, bob a user of the domain, carol added through the admin endpoint
        requests.post(f"{first.url}/_emulator/users", json={"emails": ["carol@elsewhere.org"]}, timeout=10)
        api.add_emails(kept["id"], ["ann@example.com", "bob@example.com"])
        api.delete(f"/im/groups/{dropped['id']}")
        before = emulator_state(first)
    assert json.loads(state_file.read_text())["groups"][0]["name"] == "Engineering"
    assert [p.name for p in state_file.parent.iterdir()] == ["state.json"]  # no temp files left behind
    assert [u["email"] for u in before["users"]] == ["ann@example.com", "carol@elsewhere.org", "bob@example.com"]
    with EmulatorServer(state_file=state_file) as second:  # no seeds, no domain: the users come from the file
        api = ZoomClient(second)
        after = emulator_state(second)
        assert after["groups"] == before["groups"] and after["users"] == before["users"]
        assert api.post("/im/groups", json={"name": "ENGINEERING"}).status_code == 409
        assert [m["email"] for m in api.get(f"/im/groups/{kept['id']}/members").json()["members"]] == [
            "ann@example.com",
            "bob@example.com",
        ]
        assert api.add_emails(kept["id"], ["carol@elsewhere.org"]).status_code == 201
        unknown = api.add_emails(kept["id"], ["dave@example.com"])
        assert unknown.status_code == 400
        assert unknown.json()["errors"] == [
            {"field": "members[0].email", "message": "User does not exist: dave@example.com."}
        ]


def test_seeded_servers_create_the_same_ids() -> None:
    ids = []
    for _ in range(2):
        with EmulatorServer(seed=42) as server:
            ids.append([ZoomClient(server).create_group(name)["id"] for name in ("a", "b")])
    assert ids[0] == ids[1] and ids[0][0] != ids[0][1]


def test_server_urls_and_connection_json() -> None:
    server = EmulatorServer(client_id="cid", client_secret="s3cret", account_id="acct")
    with server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert server.api_url == f"{server.url}/v2" and server.token_url == f"{server.url}/oauth/token"
        assert server.connection_uri_json() == (
            f'{{"conn_type":"zoom","host":"{server.url}/v2","login":"cid","password":"s3cret",'
            f'"extra":{{"account_id":"acct","oauth_url":"{server.url}/oauth/token"}}}}'
        )
        url = server.url
    try:
        requests.get(f"{url}/health", timeout=2)
        stopped = False
    except requests.ConnectionError:
        stopped = True
    assert stopped


def test_cli_serves_persists_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zoom_emulator",
            "--port",
            "0",
            "--state-file",
            str(state_file),
            "--plan",
            "free",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"Zoom emulator listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        base = match.group(1)
        token = requests.post(
            f"{base}/oauth/token",
            params={"grant_type": "account_credentials", "account_id": "demo-account"},
            auth=("demo-client-id", "demo-client-secret"),
            timeout=10,
        ).json()["access_token"]
        created = requests.post(
            f"{base}/v2/im/groups", json={"name": "From CLI"}, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert created.status_code == 201
        assert requests.get(f"{base}/_emulator/config", timeout=10).json()["light_rps"] == 4
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert [g["name"] for g in json.loads(state_file.read_text())["groups"]] == ["From CLI"]


def test_cli_help_documents_defaults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zoom_emulator", "--help"], capture_output=True, text=True, check=True
    )
    for default in ("8765", "127.0.0.1", "demo-client-id", "demo-account", "unlimited", "multiple"):
        assert default in result.stdout


def test_state_file_keeps_contact_groups_statuses_and_modes(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with EmulatorServer(
        state_file=state_file,
        users=["ann@corp.example", "pat@corp.example"],
        pending_users="pat@corp.example",
        contact_group_names="unique",
        contact_members_key="both",
    ) as first:
        api = ZoomClient(first)
        ann = api.get("/users/ann@corp.example").json()["id"]
        group = api.post(
            "/contacts/groups",
            json={
                "group_name": "Cohort",
                "group_privacy": 3,
                "description": "d",
                "group_members": [{"type": 1, "id": ann}],
            },
        ).json()
        configure(first, im_groups="gone")
        before = emulator_state(first)
    saved = json.loads(state_file.read_text())
    assert saved["config"] == {"im_groups": "gone", "contact_group_names": "unique", "contact_members_key": "both"}
    assert [u["status"] for u in saved["users"]] == ["active", "pending"]
    with EmulatorServer(state_file=state_file) as second:  # no seeds and no settings: all from the file
        api = ZoomClient(second)
        after = emulator_state(second)
        assert after["contact_groups"] == before["contact_groups"] and after["users"] == before["users"]
        assert (after["config"]["im_groups"], after["config"]["contact_group_names"]) == ("gone", "unique")
        assert api.get(f"/contacts/groups/{group['group_id']}").json() == group
        assert api.post("/contacts/groups", json={"group_name": "cohort"}).status_code == 409
        page = api.get(f"/contacts/groups/{group['group_id']}/members").json()
        assert page["members"] == page["group_members"] == [{"type": 1, "id": ann, "name": "Ann"}]
        assert api.get("/im/groups").status_code == 410
        assert api.get("/users/pat@corp.example").json()["status"] == "pending"


def test_state_files_without_contact_groups_still_load_and_bad_ones_are_named(tmp_path: Path) -> None:
    user = {"id": "u1", "email": "ann@example.com", "first_name": "Ann", "last_name": "", "type": 1}
    group = {
        "id": "c1",
        "name": "C",
        "privacy": 1,
        "description": "",
        "created_at": 1.0,
        "members": [{"type": 1, "id": "u1"}],
    }
    state_file = tmp_path / "zoom.json"
    state_file.write_text(json.dumps({"version": 1, "groups": [], "users": [user]}))  # an older file
    with EmulatorServer(state_file=state_file) as server:
        state = emulator_state(server)
        assert state["contact_groups"] == [] and state["users"][0]["status"] == "active"
    bad_files = [
        ({"contact_groups": [{**group, "privacy": 5}]}, "contact_groups[0].privacy must be 1, 2 or 3"),
        (
            {"contact_groups": [{**group, "members": [{"type": 1, "id": "u9"}]}]},
            "contact_groups[0].members lists 'u9', which is not among the file's users",
        ),
        ({"users": [{**user, "status": "asleep"}]}, "users[0].status must be one of active, pending, inactive"),
        ({"config": {"im_groups": "retired"}}, "config.im_groups must be one of available, gone"),
        ({"config": {"colour": "red"}}, "config has unknown key 'colour'"),
    ]
    for extra, problem in bad_files:
        state_file.write_text(json.dumps({"version": 1, "groups": [], "users": [user], **extra}))
        with pytest.raises(ValueError) as raised:
            EmulatorServer(state_file=state_file)
        assert str(raised.value) == f"state file {state_file}: not an emulator state file: {problem}"
