"""The account's user directory: only users can join a group; seeding by file, CSV, domain, admin endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.emulator.helpers import ZoomClient, emulator_state, run_cli
from zoom_emulator import EmulatorProcess, EmulatorServer, EmulatorStartError, ZoomBackend

REPO = Path(__file__).resolve().parents[2]
HR_SAMPLE = REPO / "dags" / "data" / "hr_new_hires_sample.csv"


def add_members(api: ZoomClient, group_id: str, members: list[dict]) -> requests.Response:
    return api.post(f"/im/groups/{group_id}/members", json={"members": members})


def test_unknown_users_fail_the_whole_request_naming_each_by_index(emulator: EmulatorServer, api: ZoomClient) -> None:
    group_id = api.create_group("Engineering")["id"]
    members = [{"email": "ok@example.com"}, {"id": "nobody"}, {"email": "not-an-email"}, {"email": "ghost@x.org"}]
    response = add_members(api, group_id, members)
    assert response.status_code == 400
    assert response.json() == {
        "code": 300,
        "message": "Validation Failed.",
        "errors": [
            {"field": "members[1].id", "message": "User does not exist: nobody."},
            {"field": "members[2].email", "message": "members[2].email: must be a valid email address (or give id)"},
            {"field": "members[3].email", "message": "User does not exist: ghost@x.org."},
        ],
    }
    state = emulator_state(emulator)
    assert state["groups"][0]["members"] == [] and state["users"] == []  # atomic: ok@example.com was not added
    assert api.get(f"/im/groups/{group_id}").json()["total_members"] == 0


def test_without_any_seed_nobody_can_join() -> None:
    with EmulatorServer() as server:
        api = ZoomClient(server)
        group_id = api.create_group("Engineering")["id"]
        response = api.add_emails(group_id, ["ann@example.com"])
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"field": "members[0].email", "message": "User does not exist: ann@example.com."}
        ]
        assert emulator_state(server)["users"] == []


def test_seeded_users_join_case_insensitively_and_others_do_not() -> None:
    with EmulatorServer(users=["Ann.Lee@Corp.example", "bob@corp.example"]) as server:
        api = ZoomClient(server)
        group_id = api.create_group("Engineering")["id"]
        state = emulator_state(server)
        assert [(u["email"], u["first_name"], u["last_name"]) for u in state["users"]] == [
            ("Ann.Lee@Corp.example", "Ann", "Lee"),
            ("bob@corp.example", "Bob", ""),
        ]
        ann_id = state["users"][0]["id"]
        added = api.add_emails(group_id, ["ann.lee@corp.example"])
        assert added.status_code == 201 and added.json()["ids"] == ann_id
        by_id = add_members(api, group_id, [{"id": state["users"][1]["id"]}])
        assert by_id.status_code == 201
        refused = api.add_emails(group_id, ["carol@corp.example"])
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["message"] == "User does not exist: carol@corp.example."


def test_a_user_domain_makes_every_address_under_it_a_user() -> None:
    with EmulatorServer(user_domains=["@Corp.Example"]) as server:
        api = ZoomClient(server)
        group_id = api.create_group("Engineering")["id"]
        assert emulator_state(server)["config"]["user_domains"] == ["corp.example"]
        assert api.add_emails(group_id, ["zoe.zimmer@corp.example", "Max@CORP.EXAMPLE"]).status_code == 201
        for outsider in ("eve@sub.corp.example", "eve@corp.example.org", "eve@example.com"):
            assert api.add_emails(group_id, [outsider]).status_code == 400, outsider
        members = api.get(f"/im/groups/{group_id}/members").json()["members"]
        assert [(m["email"], m["first_name"], m["last_name"]) for m in members] == [
            ("zoe.zimmer@corp.example", "Zoe", "Zimmer"),
            ("Max@CORP.EXAMPLE", "Max", ""),
        ]


def test_admin_endpoint_adds_users_all_or_nothing(emulator: EmulatorServer, api: ZoomClient) -> None:
    url = f"{emulator.url}/_emulator/users"
    bad = requests.post(url, json={"emails": ["new@elsewhere.org", "broken", 7]}, timeout=10)
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["emails[1]", "emails[2]"]
    assert requests.get(url, timeout=10).json() == {"users": [], "user_domains": ["example.com"]}
    for body in ({}, {"emails": []}, {"emails": "new@elsewhere.org"}):
        assert requests.post(url, json=body, timeout=10).status_code == 400
    added = requests.post(url, json={"emails": ["New@Elsewhere.org"]}, timeout=10)
    assert added.status_code == 200
    assert [u["email"] for u in added.json()["users"]] == ["New@Elsewhere.org"]
    group_id = api.create_group("Engineering")["id"]
    assert api.add_emails(group_id, ["new@elsewhere.org"]).status_code == 201
    assert [u["email"] for u in requests.get(url, timeout=10).json()["users"]] == ["New@Elsewhere.org"]


def test_reset_keeps_the_directory_and_keep_config_false_returns_to_the_seeds() -> None:
    with EmulatorServer(users=["ann@corp.example"], user_domains=["example.com"]) as server:
        api = ZoomClient(server)
        requests.post(f"{server.url}/_emulator/users", json={"emails": ["carol@elsewhere.org"]}, timeout=10)
        group_id = api.create_group("Engineering")["id"]
        api.add_emails(group_id, ["ann@corp.example", "carol@elsewhere.org", "dan@example.com"])

        def emails() -> list[str]:
            return [u["email"] for u in emulator_state(server)["users"]]

        assert emails() == ["ann@corp.example", "carol@elsewhere.org", "dan@example.com"]
        server.reset()  # groups go; seeded and admin-added users stay; domain users are named again on demand
        assert emulator_state(server)["groups"] == []
        assert emails() == ["ann@corp.example", "carol@elsewhere.org"]
        server.reset(keep_config=False)
        assert emails() == ["ann@corp.example"]
        api.authenticate()
        group_id = api.create_group("Again")["id"]
        assert api.add_emails(group_id, ["carol@elsewhere.org"]).status_code == 400
        assert api.add_emails(group_id, ["ann@corp.example", "dan@example.com"]).status_code == 201


def test_backend_rejects_malformed_seeds() -> None:
    with pytest.raises(ValueError, match="'not-an-email' is not a valid email address"):
        ZoomBackend(users=["ok@example.com", "not-an-email"])
    with pytest.raises(ValueError, match="user domain 'example' is not a domain name"):
        ZoomBackend(user_domains=["example"])


def test_cli_seeds_from_a_text_file_the_hr_csv_and_a_domain(tmp_path: Path) -> None:
    listing = tmp_path / "users.txt"
    listing.write_text("# the account's admins\nroot@corp.example\n\nnot an email\n  Ops@Corp.Example  \n")
    log = tmp_path / "emulator.log"
    with EmulatorProcess(
        "--users", str(listing), "--users", str(HR_SAMPLE), "--user-domain", "example.org", log_path=log
    ) as emulator:
        users = {u["email"]: u for u in requests.get(f"{emulator.url}/_emulator/users", timeout=10).json()["users"]}
        assert {"root@corp.example", "Ops@Corp.Example", "amelia.hart@example.com", "eva.novak@example.com"} <= set(
            users
        )
        assert len(users) == 2 + 47  # the sample's 48 valid rows hold maya.patel twice; kenji's address is malformed
        assert (users["jose.garcia@example.com"]["first_name"], users["jose.garcia@example.com"]["last_name"]) == (
            "José",
            "García",
        )
        assert emulator.state()["config"]["user_domains"] == ["example.org"]
        token = requests.post(
            emulator.token_url,
            data={"grant_type": "account_credentials", "account_id": emulator.account_id},
            auth=(emulator.client_id, emulator.client_secret),
            timeout=10,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        group = requests.post(f"{emulator.api_url}/im/groups", json={"name": "Hires"}, headers=headers, timeout=10)
        members = [{"email": "amelia.hart@example.com"}, {"email": "ops@corp.example"}, {"email": "x@example.org"}]
        added = requests.post(
            f"{emulator.api_url}/im/groups/{group.json()['id']}/members",
            json={"members": [*members, {"email": "kenji.watanabe@example.com"}]},
            headers=headers,
            timeout=10,
        )
        assert added.status_code == 400
        assert [e["field"] for e in added.json()["errors"]] == ["members[3].email"]
        added = requests.post(
            f"{emulator.api_url}/im/groups/{group.json()['id']}/members",
            json={"members": members},
            headers=headers,
            timeout=10,
        )
        assert added.status_code == 201 and len(added.json()["ids"].split(",")) == 3
    stderr = log.read_text()
    assert f"note: users file {listing}: skipped 1 row(s) without a valid email (line 4)" in stderr
    assert f"note: users file {HR_SAMPLE}: skipped 1 row(s) without a valid email (line 13)" in stderr


def test_process_keywords_seed_users_and_domains() -> None:
    emulator = EmulatorProcess(users=["ann@corp.example"], user_domains=["example.com"])
    with emulator:
        users_file = emulator._users_file
        assert users_file is not None and users_file.exists()
        listing = requests.get(f"{emulator.url}/_emulator/users", timeout=10).json()
        assert [u["email"] for u in listing["users"]] == ["ann@corp.example"]
        assert listing["user_domains"] == ["example.com"]
    assert not users_file.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "error: users file {path}: cannot read it: No such file or directory"),
        (
            b"id,mail\n1,a@example.com\n",
            "error: users file {path}: a CSV needs an 'email' column (its header is: id, mail)",
        ),
        (b"email,name\nnope,Nope\n", "error: users file {path}: no valid email address in it"),
        (b"\xff\xfe\x00a", "error: users file {path}: not UTF-8 text (byte 0)"),
    ],
    ids=["missing", "no-email-column", "no-valid-address", "not-utf8"],
)
def test_cli_bad_users_file_is_one_line_and_exit_2(tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "users.csv"
    if content is not None:
        path.write_bytes(content)
    result = run_cli("--users", str(path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [expected.format(path=path)]


def test_cli_bad_user_domain_is_one_line_and_exit_2() -> None:
    result = run_cli("--user-domain", "not a domain")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: user domain 'not a domain' is not a domain name such as example.com"]


def test_process_surfaces_a_bad_users_file(tmp_path: Path) -> None:
    emulator = EmulatorProcess("--users", str(tmp_path / "absent.txt"))
    with pytest.raises(EmulatorStartError, match=r"exited with code 2 before it was ready: error: users file .*absent"):
        emulator.start()
