"""--im-groups gone: the retired IM Groups API answers 410/4137 on all eight operations (reference section 9)."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from tests.emulator.helpers import ZoomClient, configure, emulator_state, run_cli
from zoom_emulator import EmulatorProcess, EmulatorServer

GONE = {"code": 4137, "message": "The IM Group APIs are no longer available."}
IM_CALLS = [
    ("GET", "/im/groups", {}),
    ("POST", "/im/groups", {"json": {"name": "Sales"}}),
    ("GET", "/im/groups/g1", {}),
    ("PATCH", "/im/groups/g1", {"json": {"name": "Renamed"}}),
    ("DELETE", "/im/groups/g1", {}),
    ("GET", "/im/groups/g1/members", {}),
    ("POST", "/im/groups/g1/members", {"json": {"members": [{"email": "ann@example.com"}]}}),
    ("DELETE", "/im/groups/g1/members/u1", {}),
]


def test_gone_answers_410_4137_on_all_eight_and_contact_groups_still_work(
    emulator: EmulatorServer, api: ZoomClient
) -> None:
    existing = api.create_group("Engineering")["id"]
    assert configure(emulator, im_groups="gone").json()["im_groups"] == "gone"
    for method, path, kwargs in [*IM_CALLS, ("GET", f"/im/groups/{existing}", {})]:
        response = api.request(method, path, **kwargs)
        assert (response.status_code, response.json()) == (410, GONE), (method, path)
        assert response.headers["Content-Type"].startswith("application/json")
    assert requests.get(f"{emulator.api_url}/im/groups", timeout=10).status_code == 401  # credentials first
    assert api.post("/contacts/groups", json={"group_name": "Engineering"}).status_code == 201
    counters = emulator_state(emulator)["counters"]["requests"]
    assert counters["GET /v2/im/groups"] == {"410": 1, "401": 1}
    assert counters["DELETE /v2/im/groups/{groupId}/members/{memberId}"] == {"410": 1}
    configure(emulator, im_groups="available")
    assert api.get(f"/im/groups/{existing}").status_code == 200


def test_gone_spends_no_rate_budget_and_beats_the_paid_check(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, im_groups="gone", light_rps=1, paid_account=False)
    assert [api.get("/im/groups/x").status_code for _ in range(3)] == [410, 410, 410]


def test_cli_flag_state_file_and_config_validation(tmp_path: Path) -> None:
    state_file = tmp_path / "zoom.json"
    with EmulatorProcess("--im-groups", "gone", "--state-file", str(state_file)) as zoom:
        assert zoom.state()["config"]["im_groups"] == "gone"
        bad = requests.put(f"{zoom.url}/_emulator/config", json={"im_groups": "retired"}, timeout=10)
        assert bad.status_code == 400
        assert bad.json()["errors"] == [{"field": "im_groups", "message": "im_groups: must be one of available, gone"}]
    assert json.loads(state_file.read_text())["config"]["im_groups"] == "gone"
    with EmulatorServer(state_file=state_file) as server:  # the file remembers it
        assert emulator_state(server)["config"]["im_groups"] == "gone"
    with EmulatorServer(state_file=state_file, im_groups="available") as server:  # an explicit setting wins
        assert emulator_state(server)["config"]["im_groups"] == "available"
    result = run_cli("--im-groups", "retired")
    assert result.returncode == 2 and "invalid choice: 'retired'" in result.stderr
