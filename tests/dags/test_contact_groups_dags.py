"""Both sample DAGs, unchanged, on Zoom's Contact Groups: chosen by the connection (``group_api``), or found by
``auto`` when the account answers IM calls with 410 / code 4137 (real Airflow ``dag.test()``, the emulator over HTTP)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests

from tests.airflow_runs import run_dag, task_states, xcom_values
from tests.dags.test_onboarding_dag import DAYS, EXPECTED_GROUPS, EXTRACT

IM_CREATE = "POST /v2/im/groups"
CG_CREATE = "POST /v2/contacts/groups"
CG_LIST = "GET /v2/contacts/groups"


def _use(zoom, monkeypatch, group_api: str | None) -> None:
    """The account has no IM Groups (410/4137); the connection says which API to use."""
    zoom.configure(im_groups="gone")
    conn = json.loads(zoom.server.connection_uri_json())
    if group_api:
        conn["extra"]["group_api"] = group_api
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))


def _conf(tmp_path) -> dict:
    extract = tmp_path / "hires.csv"
    extract.write_text(EXTRACT, encoding="utf-8")
    return {"hr_extract_path": str(extract), "quarantine_dir": str(tmp_path / "quarantine")}


def _run_day(day: str, conf: dict):
    return run_dag("zoom_onboarding_im_groups", conf, datetime.fromisoformat(day).replace(tzinfo=UTC))


def _one_group_each(zoom) -> dict[str, list[str]]:
    groups = zoom.server.contact_groups(timeout=10)
    assert all(len(copies) == 1 for copies in groups.values()), groups  # never a second group of a name
    return {name: copies[0] for name, copies in groups.items()}


@pytest.mark.parametrize("group_api", ["auto", "contact_groups"])
def test_daily_dag_onboards_on_contact_groups_and_reruns_idempotently(zoom, airflow_db, monkeypatch, tmp_path,
                                                                      group_api):
    _use(zoom, monkeypatch, group_api)
    conf = _conf(tmp_path)

    summaries = {}
    for day in DAYS:
        run = _run_day(day, conf)
        assert run.state == "success", day
        (summaries[day],) = xcom_values(run, "summarize", "summary")
        if day == DAYS[0]:  # two cohorts, two create tasks: one listing of the account, shared
            assert zoom.count(CG_LIST) == 1

    assert _one_group_each(zoom) == EXPECTED_GROUPS
    assert [summaries[d]["created"] for d in DAYS] == [2, 0, 0, 1]
    assert [summaries[d]["exists"] for d in DAYS] == [0, 0, 1, 0]  # Wednesday's starters join Monday's group
    assert sum(s["members_added"] for s in summaries.values()) == 5
    assert {s["members_pending"] for s in summaries.values() if "members_pending" in s} == {0}
    # auto asked IM Groups once, met the 410, and went on with Contact Groups from then on.
    assert zoom.count(IM_CREATE) == (1 if group_api == "auto" else 0)

    for day in DAYS:  # a backfill done twice: nothing new
        run = _run_day(day, conf)
        assert run.state == "success"
        (summary,) = xcom_values(run, "summarize", "summary")
        assert summary["created"] == 0 and summary["members_added"] == 0
    assert _one_group_each(zoom) == EXPECTED_GROUPS
    assert zoom.count(CG_CREATE, 201) == 3


def test_im_groups_pinned_on_an_account_without_them_fails_at_once_naming_the_setting(zoom, airflow_db, monkeypatch,
                                                                                      tmp_path, capfd):
    _use(zoom, monkeypatch, "im_groups")

    run = _run_day("2026-11-23", _conf(tmp_path))

    assert run.state == "failed"
    states = task_states(run)
    assert {states[("onboard_cohort.create_group", i)] for i in (0, 1)} == {"failed"}
    assert zoom.count(IM_CREATE) == 2  # one request per cohort: no retry, no Airflow retry
    logged = "".join(capfd.readouterr())
    assert 'Set the extra "group_api"' in logged and '"contact_groups"' in logged
    assert zoom.server.contact_groups(timeout=10) == {}


def test_wave_dag_on_contact_groups_reports_pending_people(zoom, zoom_pool, monkeypatch, tmp_path):
    _use(zoom, monkeypatch, None)  # auto
    rows = "".join(f"E{n},p{n:02d}@example.com,P,{n},Sales,Lisbon,2026-11-23\n" for n in range(1, 61))
    extract = tmp_path / "wave.csv"
    extract.write_text("employee_id,email,first_name,last_name,department,location,start_date\n" + rows)
    # Two hires have an invitation they have not accepted; one is not in Zoom at all yet.
    reply = requests.post(f"{zoom.url}/_emulator/users", json={"emails": ["p01@example.com", "p02@example.com"],
                                                                "status": "pending"}, timeout=10)
    reply.raise_for_status()
    requests.post(f"{zoom.url}/_emulator/users", json={"missing": ["p03@example.com"]}, timeout=10).raise_for_status()
    conf = {"hr_extract_path": str(extract), "quarantine_dir": str(tmp_path / "q")}

    run = run_dag("zoom_onboarding_wave", conf)

    assert run.state == "success"
    (summary,) = xcom_values(run, "summarize")
    assert (summary["created"], summary["members_added"], summary["members_pending"]) == (1, 57, 3)
    groups = _one_group_each(zoom)
    assert len(groups["Onboarding 2026-W48 Sales"]) == 57  # 60 hires: more than one batch of 50

    # The invitations are accepted: a re-run's reconcile adds exactly those people.
    requests.post(f"{zoom.url}/_emulator/users", json={"emails": ["p01@example.com", "p02@example.com",
                                                                  "p03@example.com"], "status": "active"},
                  timeout=10).raise_for_status()
    again = run_dag("zoom_onboarding_wave", conf)
    assert again.state == "success"
    (summary,) = xcom_values(again, "summarize")
    assert (summary["created"], summary["exists"], summary["members_added"]) == (0, 1, 3)
    assert len(_one_group_each(zoom)["Onboarding 2026-W48 Sales"]) == 60
