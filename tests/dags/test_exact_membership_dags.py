"""Exact membership in both DAGs on both group APIs: a move, a withdrawal, a truncated extract (real ``dag.test()``,
the emulator over HTTP)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from airflow_provider_zoom.onboarding.planning import format_summary
from tests.airflow_runs import run_dag, task_states, xcom_values

HEADER = "employee_id,email,first_name,last_name,department,location,start_date\n"
IM_REMOVE = "DELETE /v2/im/groups/{groupId}/members/{memberId}"
CG_REMOVE = "DELETE /v2/contacts/groups/{groupId}/members"
SALES, ENGINEERING = "Onboarding 2026-W48 Sales", "Onboarding 2026-W48 Engineering"


def _hires(*rows: tuple[str, str]) -> str:
    """``(person, department)`` rows, all starting on Monday 2026-11-23; emails ``person@example.com``."""
    return HEADER + "".join(
        f"E{n},{person}@example.com,{person.title()},X,{department},Lisbon,2026-11-23\n"
        for n, (person, department) in enumerate(rows, 1)
    )


FIRST = _hires(("sam", "Sales"), ("sue", "Sales"), ("sid", "Sales"), ("sia", "Sales"),
               ("eli", "Engineering"), ("eva", "Engineering"), ("ezra", "Engineering"))


def _use(zoom, monkeypatch, group_api: str) -> None:
    if group_api == "contact_groups":
        zoom.configure(im_groups="gone")
        conn = json.loads(zoom.server.connection_uri_json())
        conn["extra"]["group_api"] = "contact_groups"
        monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))


def _groups(zoom, group_api: str) -> dict[str, list[str]]:
    if group_api == "im_groups":
        return zoom.groups()
    groups = zoom.server.contact_groups(timeout=10)
    assert all(len(copies) == 1 for copies in groups.values()), groups
    return {name: copies[0] for name, copies in groups.items()}


def _removals(zoom) -> int:
    return zoom.count(IM_REMOVE) + zoom.count(CG_REMOVE)


def _conf(tmp_path, text: str, name: str, **params) -> dict:
    extract = tmp_path / name
    extract.write_text(text, encoding="utf-8")
    return {"hr_extract_path": str(extract), "quarantine_dir": str(tmp_path / "q"), **params}


def _emails(*people: str) -> list[str]:
    return sorted(f"{p}@example.com" for p in people)


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_exact_moves_and_withdraws_people(zoom, zoom_pool, monkeypatch, tmp_path, group_api):
    _use(zoom, monkeypatch, group_api)
    assert run_dag("zoom_onboarding_wave", _conf(tmp_path, FIRST, "first.csv")).state == "success"
    # Sam moves from Sales to Engineering, Sue withdraws.
    changed = _hires(("sam", "Engineering"), ("sid", "Sales"), ("sia", "Sales"),
                     ("eli", "Engineering"), ("eva", "Engineering"), ("ezra", "Engineering"))

    # add_only (the default) removes nobody: Sam is added to Engineering and stays in Sales.
    run = run_dag("zoom_onboarding_wave", _conf(tmp_path, changed, "changed.csv"))
    assert run.state == "success"
    assert _groups(zoom, group_api)[SALES] == _emails("sam", "sue", "sid", "sia")
    assert _removals(zoom) == 0

    run = run_dag("zoom_onboarding_wave", _conf(tmp_path, changed, "changed.csv", membership="exact"))

    assert run.state == "success"
    assert _groups(zoom, group_api) == {SALES: _emails("sid", "sia"), ENGINEERING: _emails("sam", "eli", "eva", "ezra")}
    (summary,) = xcom_values(run, "summarize")
    assert (summary["exists"], summary["members_added"], summary["members_removed"]) == (2, 0, 2)
    (reconciled,) = xcom_values(run, "reconcile_existing_groups")
    removed = {g["name"]: g["removed"] for g in reconciled["groups"]}
    assert removed == {ENGINEERING: [], SALES: _emails("sam", "sue")}  # reported by name
    assert format_summary(summary).endswith("members_pending=0 members_removed=2")  # the summary line


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_exact_stops_on_a_truncated_extract_removing_nobody(zoom, zoom_pool, monkeypatch, tmp_path, group_api):
    _use(zoom, monkeypatch, group_api)
    assert run_dag("zoom_onboarding_wave", _conf(tmp_path, FIRST, "first.csv")).state == "success"
    before = _groups(zoom, group_api)
    # The export was cut off: most of each cohort is missing.
    truncated = _hires(("sia", "Sales"), ("eli", "Engineering"))

    run = run_dag("zoom_onboarding_wave", _conf(tmp_path, truncated, "truncated.csv", membership="exact"))

    assert run.state == "failed"
    assert task_states(run)[("reconcile_existing_groups", -1)] == "failed"
    assert _groups(zoom, group_api) == before
    assert _removals(zoom) == 0
    # The task's error (also in its log), one message per group over the limit.
    logged = "\n".join(xcom_values(run, "reconcile_existing_groups", "removal_limit")[0])
    assert (f"Group '{SALES}': exact membership would remove 3 of its 4 members (75%), more than the Param "
            "max_removal_share=0.5 allows; nothing was removed") in logged
    assert f"Group '{ENGINEERING}': exact membership would remove 2 of its 3 members (67%)" in logged

    # The team meant it: raising the share lets the same run go through; a group is still never emptied.
    run = run_dag("zoom_onboarding_wave", _conf(tmp_path, truncated, "truncated.csv", membership="exact",
                                                max_removal_share=0.8))
    assert run.state == "success"
    assert _groups(zoom, group_api) == {SALES: _emails("sia"), ENGINEERING: _emails("eli")}


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_daily_exact_keeps_the_cohorts_other_days_and_removes_a_moved_hire(zoom, airflow_db, monkeypatch, tmp_path,
                                                                           group_api):
    _use(zoom, monkeypatch, group_api)
    first = HEADER + (
        "E1,ana@example.com,Ana,S,Engineering,Lisbon,2026-11-23\n"
        "E2,ben@example.com,Ben,O,Engineering,Lagos,2026-11-23\n"
        "E3,cleo@example.com,Cleo,M,Sales,Paris,2026-11-23\n"
        "E4,dev@example.com,Dev,P,Engineering,Pune,2026-11-25\n"
        "E5,fay@example.com,Fay,W,Sales,Paris,2026-11-25\n"
    )
    conf = _conf(tmp_path, first, "first.csv")
    for day in ("2026-11-23", "2026-11-25"):
        assert _run_day(day, conf).state == "success"
    # Ben moves to Sales (same start day); Fay withdraws.
    changed = first.replace("ben@example.com,Ben,O,Engineering", "ben@example.com,Ben,O,Sales").replace(
        "E5,fay@example.com,Fay,W,Sales,Paris,2026-11-25\n", "")

    run = _run_day("2026-11-23", _conf(tmp_path, changed, "changed.csv", membership="exact"))

    assert run.state == "success"
    # Dev starts on Wednesday: not in Monday's run, still in the cohort, so he stays.
    assert _groups(zoom, group_api) == {ENGINEERING: _emails("ana", "dev"), SALES: _emails("ben", "cleo")}
    (summary,) = xcom_values(run, "summarize", "summary")
    assert (summary["members_added"], summary["members_removed"]) == (1, 2)
    removed = {r["name"]: r["removed"] for r in xcom_values(run, "onboard_cohort.reconcile_members")}
    assert removed == {ENGINEERING: _emails("ben"), SALES: _emails("fay")}


def _run_day(day: str, conf: dict):
    return run_dag("zoom_onboarding_im_groups", conf, datetime.fromisoformat(day).replace(tzinfo=UTC))
