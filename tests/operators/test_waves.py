import json
import logging

import pytest

from airflow_provider_zoom._compat import AirflowException, AirflowFailException
from airflow_provider_zoom.operators._wave_runner import Progress, load_report
from airflow_provider_zoom.operators.waves import WaveAddMembersOperator, WaveCreateGroupsOperator
from tests.operators.task_context import task_context


def _context():
    return task_context("manual__2026-11-26T10:00:00+00:00")


def test_invalid_specs_are_reported_and_valid_ones_still_created(zoom):
    result = WaveCreateGroupsOperator(
        task_id="create_groups",
        groups=["Wave A", {"name": "Wave B", "type": "shared"}, {"name": "x" * 129}, {"name": "Wave C", "type": "odd"},
                "wave a"],
    ).execute(_context())

    assert result["created_count"] == 2 and result["failed_count"] == 2
    assert [f["reason"].split(":")[0] for f in result["failed"]] == ["groups[2]", "groups[3]"]
    assert "'type' = 'odd'" in result["failed"][1]["reason"]
    assert sorted(zoom.groups()) == ["Wave A", "Wave B"]  # "wave a" is the same group: sent once
    assert {g["name"]: g["type"] for g in zoom.state()["groups"]}["Wave B"] == "shared"


def test_second_wave_reports_every_group_as_existing_with_its_id(zoom):
    names = [f"Cohort {i:02d}" for i in range(12)]
    first = WaveCreateGroupsOperator(task_id="create", groups=names, max_workers=4).execute(_context())
    second = WaveCreateGroupsOperator(task_id="create", groups=names, max_workers=4).execute(_context())

    assert (first["created_count"], second["exists_count"], second["created_count"]) == (12, 12, 0)
    assert {g["group_id"] for g in first["created"]} == {g["group_id"] for g in second["exists"]}
    assert zoom.count("GET /v2/im/groups") == 1  # one listing served every 409 of the wave


def test_large_waves_keep_detail_in_a_report_file(zoom, tmp_path):
    result = WaveCreateGroupsOperator(
        task_id="create", groups=[f"G{i:03d}" for i in range(30)], xcom_detail_limit=10, report_dir=str(tmp_path)
    ).execute(_context())

    assert "created" not in result and result["created_count"] == 30
    assert result["report"].startswith(str(tmp_path))
    assert len(json.dumps(result)) < 500
    assert len(load_report(result)["created"]) == 30


def test_paced_wave_at_the_plans_limit_sees_no_429(zoom):
    zoom.configure(plan="business")
    result = WaveCreateGroupsOperator(
        task_id="create", groups=[f"Paced {i:03d}" for i in range(120)], plan="business", max_workers=8
    ).execute(_context())

    assert result["created_count"] == 120
    assert zoom.state()["counters"]["rate_limited"] == 0
    assert zoom.state()["counters"]["tokens_issued"] == 1


def test_wave_slows_down_on_a_lower_limit_instead_of_failing(zoom):
    zoom.configure(light_rps=8)
    result = WaveCreateGroupsOperator(
        task_id="create", groups=[f"Slow {i:02d}" for i in range(30)], plan="business", max_workers=8
    ).execute(_context())

    assert result["created_count"] == 30 and result["failed_count"] == 0
    assert zoom.state()["counters"]["rate_limited"] > 0


def test_failures_left_after_retries_fail_the_task_with_the_partial_result(zoom, monkeypatch):
    conn = json.loads(zoom.server.connection_uri_json())
    conn["extra"].update(max_attempts=1)
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))
    zoom.configure(faults={"seed": 4, "error_5xx": 0.5})
    context = _context()

    with pytest.raises(AirflowException) as info:
        WaveCreateGroupsOperator(task_id="create", groups=[f"F{i}" for i in range(20)]).execute(context)

    assert not isinstance(info.value, AirflowFailException)  # a retry of the task can finish the wave
    partial = context["ti"].pushed["partial_result"]
    assert partial["failed_count"] > 0 and partial["created_count"] + partial["failed_count"] == 20


def test_members_for_created_and_existing_groups(zoom):
    created = WaveCreateGroupsOperator(task_id="create", groups=["M1", "M2"]).execute(_context())
    members = {"M1": ["a@example.com", "b@example.com"], "M2": [f"p{i}@example.com" for i in range(13)]}

    added = WaveAddMembersOperator(
        task_id="add", groups=created, members_by_name=members, source="created"
    ).execute(_context())
    again = WaveCreateGroupsOperator(task_id="create", groups=["M1", "M2"]).execute(_context())
    members["M1"].append("c@example.com")
    reconciled = WaveAddMembersOperator(
        task_id="reconcile", groups=again, members_by_name=members, source="exists", only_missing=True
    ).execute(_context())

    assert added["members_added"] == 15
    assert zoom.count("POST /v2/im/groups/{groupId}/members", 201) == 1 + 2 + 1  # 10 per call
    assert reconciled["members_added"] == 1
    assert zoom.groups()["M1"] == ["a@example.com", "b@example.com", "c@example.com"]


def test_progress_reports_done_rate_and_eta(caplog):
    progress = Progress("IM groups", 3, logging.getLogger("wave-test"), every=0)
    with caplog.at_level(logging.INFO, logger="wave-test"):
        for _ in range(3):
            progress.tick()
    assert "IM groups: 1/3 done" in caplog.text and "ETA" in caplog.text and "/s" in caplog.text


def test_im_wave_adds_each_groups_members_with_its_create(zoom):
    members = {"P1": ["a@example.com", "B@example.com"],
               "P2": [f"p{i:02d}@example.com" for i in range(12)] + ["ghost@unknown.example.org"]}

    created = WaveCreateGroupsOperator(task_id="create", groups=["P1", "P2"], members_by_name=members).execute(
        _context())
    left = WaveAddMembersOperator(task_id="add", groups=created, members_by_name=members).execute(_context())

    assert (created["members_added"], created["members_rejected"], created["members_left"]) == (14, 1, 0)
    p2 = next(g for g in created["created"] if g["name"] == "P2")
    assert [r["email"] for r in p2["members_rejected"]] == ["ghost@unknown.example.org"]
    assert zoom.groups() == {"P1": ["a@example.com", "b@example.com"], "P2": sorted(members["P2"][:12])}
    # The members step has nothing left: no call sent, the refused person not asked again.
    assert (left["groups_count"], left["members_added"]) == (0, 0)
    assert zoom.count("POST /v2/im/groups/{groupId}/members", 201) == 1 + 2


def _one_attempt_per_call(zoom, monkeypatch):
    conn = json.loads(zoom.server.connection_uri_json())
    conn["extra"].update(max_attempts=1)
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))


@pytest.mark.parametrize("limit", [{"medium_rps": 1}, {"medium_daily": 3}], ids=["per-second", "daily"])
def test_member_adds_failing_after_the_creates_are_left_to_the_members_step(zoom, monkeypatch, limit):
    """Zoom refuses member adds (429, no retry left) after the creates went through: every group is still
    reported created, nobody is lost, and the members step adds exactly who is missing, once."""
    _one_attempt_per_call(zoom, monkeypatch)
    zoom.configure(**limit)
    names = [f"Hostile {i:02d}" for i in range(12)]
    members = {name: [f"h{i:02d}.{k}@example.com" for k in range(3)] for i, name in enumerate(names)}

    created = WaveCreateGroupsOperator(task_id="create", groups=names, members_by_name=members,
                                       max_workers=4).execute(_context())
    assert (created["created_count"], created["failed_count"]) == (12, 0)
    assert created["members_left"] > 0 and created["members_added"] + created["members_left"] == 36
    early = {g["name"]: set(g.get("members_added", ())) for g in created["created"]}
    assert {name: set(emails) for name, emails in zoom.groups().items() if emails} == {
        name: added for name, added in early.items() if added}

    zoom.configure(medium_rps=None, medium_daily=None)
    added = WaveAddMembersOperator(task_id="add", groups=created, members_by_name=members).execute(_context())

    assert added["members_added"] == created["members_left"] and added["failed_count"] == 0
    assert all(not set(g["added"]) & early[g["name"]] for g in added["groups"])  # nobody sent twice
    assert zoom.groups() == {name: sorted(emails) for name, emails in members.items()}
