"""The users API (GET /users/{userId}, GET /users) and how pending and missing users are seeded."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.emulator.helpers import ZoomClient, emulator_state, run_cli
from zoom_emulator import EmulatorProcess, EmulatorServer, ZoomBackend

REPO = Path(__file__).resolve().parents[2]
HR_SAMPLE = REPO / "dags" / "data" / "hr_new_hires_sample.csv"


def test_get_user_by_email_any_case_or_id(emulator: EmulatorServer, api: ZoomClient) -> None:
    response = api.get("/users/Ann.Lee@Example.com")
    assert response.status_code == 200
    user = response.json()
    assert user["email"] == "Ann.Lee@Example.com" and user["status"] == "active"
    assert (user["first_name"], user["last_name"], user["display_name"]) == ("Ann", "Lee", "Ann Lee")
    assert user["account_id"] == "demo-account" and user["type"] == 1
    assert {"id", "email", "status", "type", "group_ids", "im_group_ids", "created_at"} <= set(user)
    assert api.get("/users/ann.lee@example.com").json() == user
    assert api.get(f"/users/{user['id']}").json() == user


@pytest.mark.parametrize("who", ["nobody@elsewhere.org", "me", "not-an-id", "%20"])
def test_unknown_user_is_404_1001_naming_it(emulator: EmulatorServer, api: ZoomClient, who: str) -> None:
    response = api.get(f"/users/{who}")
    shown = " " if who == "%20" else who
    assert (response.status_code, response.json()) == (
        404,
        {"code": 1001, "message": f"User does not exist: {shown}."},
    )


def test_im_group_ids_show_membership(emulator: EmulatorServer, api: ZoomClient) -> None:
    group_id = api.create_group("Engineering")["id"]
    api.add_emails(group_id, ["ann@example.com"])
    assert api.get("/users/ann@example.com").json()["im_group_ids"] == [group_id]


def test_list_users_by_status_pages_and_hides_pending_ids() -> None:
    seeds = [f"user{i:02d}@corp.example" for i in range(5)]
    with EmulatorServer(users=seeds, pending_users="user03@corp.example,user04@corp.example") as server:
        api = ZoomClient(server)
        active = api.get("/users").json()
        assert (active["total_records"], active["page_size"], active["page_number"]) == (3, 30, 1)
        assert [u["email"] for u in active["users"]] == seeds[:3] and active["next_page_token"] == ""
        pending = api.get("/users", params={"status": "pending"}).json()
        assert [u["email"] for u in pending["users"]] == seeds[3:]
        assert all("id" not in u and u["status"] == "pending" for u in pending["users"])
        assert api.get("/users/user03@corp.example").json()["id"]  # Get a user does show it
        first = api.get("/users", params={"page_size": 2}).json()
        assert [u["email"] for u in first["users"]] == seeds[:2] and first["page_count"] == 2
        second = api.get("/users", params={"next_page_token": first["next_page_token"]}).json()
        assert [u["email"] for u in second["users"]] == seeds[2:3] and second["next_page_token"] == ""
        by_number = api.get("/users", params={"page_size": 2, "page_number": 2}).json()
        assert by_number["users"] == second["users"] and by_number["page_number"] == 2
        for params in ({"status": "gone"}, {"page_size": 2001}, {"page_size": 0}, {"page_number": "x"}):
            response = api.get("/users", params=params)
            assert response.status_code == 400 and response.json()["code"] == 300, params
        assert emulator_state(server)["counters"]["requests"]["GET /v2/users"]["200"] == 5


def test_pending_and_missing_users_apply_to_a_user_domain(emulator: EmulatorServer) -> None:
    with EmulatorServer(
        user_domains=["example.com"], pending_users=["Pat@Example.com"], missing_users="miss@example.com"
    ) as server:
        api = ZoomClient(server)
        assert api.get("/users/pat@example.com").json()["status"] == "pending"
        assert api.get("/users/miss@example.com").status_code == 404
        assert api.get("/users/anyone@example.com").json()["status"] == "active"
        config = emulator_state(server)["config"]
        assert (config["pending_users"], config["missing_users"]) == (["pat@example.com"], ["miss@example.com"])
        # Once added through the admin endpoint, a missing user exists.
        requests.post(f"{server.url}/_emulator/users", json={"emails": ["miss@example.com"]}, timeout=10)
        assert api.get("/users/miss@example.com").json()["status"] == "active"


def test_admin_endpoint_status_validation(emulator: EmulatorServer) -> None:
    url = f"{emulator.url}/_emulator/users"
    bad = requests.post(url, json={"emails": ["a@elsewhere.org"], "status": "asleep"}, timeout=10)
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"field": "status", "message": "status: must be one of active, pending, inactive"}]
    ok = requests.post(url, json={"emails": ["a@elsewhere.org"], "status": "pending"}, timeout=10)
    assert ok.json()["users"][0]["status"] == "pending"
    assert requests.get(url, timeout=10).json()["users"][0]["status"] == "pending"


def test_reset_to_start_up_config_restores_statuses() -> None:
    with EmulatorServer(users=["pat@corp.example"], pending_users="pat@corp.example") as server:
        requests.post(
            f"{server.url}/_emulator/users", json={"emails": ["pat@corp.example"], "status": "active"}, timeout=10
        )
        server.reset()
        assert emulator_state(server)["users"][0]["status"] == "active"
        server.reset(keep_config=False)
        assert emulator_state(server)["users"][0]["status"] == "pending"


def test_cli_seeds_statuses_from_a_csv_and_flags(tmp_path: Path) -> None:
    listing = tmp_path / "users.csv"
    listing.write_text(
        "email,first_name,status\nann@corp.example,Ann,active\npat@corp.example,Pat,Pending\n"
        "ina@corp.example,Ina,inactive\nodd@corp.example,Odd,asleep\nnil@corp.example,Nil,\n"
    )
    log = tmp_path / "emulator.log"
    with EmulatorProcess(
        "--users",
        str(listing),
        "--users",
        str(HR_SAMPLE),
        "--pending-users",
        "amelia.hart@example.com",
        "--missing-users",
        "eva.novak@example.com, jose.garcia@example.com",
        log_path=log,
    ) as emulator:
        by_email = {
            u["email"]: u["status"] for u in requests.get(f"{emulator.url}/_emulator/users", timeout=10).json()["users"]
        }
        assert by_email["ann@corp.example"] == "active" and by_email["nil@corp.example"] == "active"
        assert (by_email["pat@corp.example"], by_email["ina@corp.example"]) == ("pending", "inactive")
        assert "odd@corp.example" not in by_email  # a row with an unknown status is skipped, and said so
        assert by_email["amelia.hart@example.com"] == "pending"
        assert "eva.novak@example.com" not in by_email and "jose.garcia@example.com" not in by_email
    assert f"note: users file {listing}: skipped 1 row(s) without a valid email (line 5)" in log.read_text()


def test_process_keywords_for_pending_and_missing() -> None:
    with EmulatorProcess(
        users=["ann@corp.example", "pat@corp.example", "gone@corp.example"],
        pending_users=["pat@corp.example"],
        missing_users=["gone@corp.example"],
    ) as emulator:
        config = emulator.state()["config"]
        assert (config["pending_users"], config["missing_users"]) == (["pat@corp.example"], ["gone@corp.example"])
        assert [(u["email"], u["status"]) for u in emulator.state()["users"]] == [
            ("ann@corp.example", "active"),
            ("pat@corp.example", "pending"),
        ]


def test_bad_pending_or_missing_address_is_refused() -> None:
    with pytest.raises(ValueError, match="'not-an-email' is not a valid email address"):
        ZoomBackend(pending_users="ok@example.com,not-an-email")
    result = run_cli("--missing-users", "nope")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: user 'nope' is not a valid email address"]


def test_admin_endpoint_makes_users_missing_and_back(emulator: EmulatorServer, api: ZoomClient) -> None:
    url = f"{emulator.url}/_emulator/users"
    ann = api.get("/users/ann@example.com").json()["id"]
    group_id = api.post("/contacts/groups", json={"group_name": "T", "group_members": [{"type": 1, "id": ann}]}).json()[
        "group_id"
    ]
    im_group = api.create_group("Engineering")["id"]
    api.add_emails(im_group, ["ann@example.com"])
    assert requests.post(url, json={"missing": ["Ann@example.com"]}, timeout=10).json() == {"users": []}
    assert api.get("/users/ann@example.com").status_code == 404  # the user domain no longer vouches for her
    assert api.get(f"/contacts/groups/{group_id}").json()["total_members"] == 0
    assert api.get(f"/im/groups/{im_group}").json()["total_members"] == 0
    for body in ({"missing": "ann@example.com"}, {"missing": ["nope"]}, {"emails": [], "missing": None}):
        assert requests.post(url, json=body, timeout=10).status_code == 400, body
    back = requests.post(url, json={"emails": ["ann@example.com"], "status": "pending"}, timeout=10).json()
    assert back["users"][0]["status"] == "pending"
    assert api.get("/users/ann@example.com").json()["status"] == "pending"
    emulator.reset(keep_config=False)
    api.authenticate()
    assert api.get("/users/ann@example.com").json()["status"] == "active"  # back to the start-up directory
