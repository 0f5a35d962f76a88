"""Exact membership in both DAGs on both group APIs: a move, a withdrawal, a truncated extract (real ``dag.test()``,
the emulator over HTTP)."""

from __future__ import annotations

import pytest

from airflow_provider_zoom.onboarding.planning import format_summary
from tests.airflow_runs import run_dag, task_states, xcom_values
from tests.dags.cohort_runs import (
    ENGINEERING,
    HEADER,
    SALES,
    account_groups,
    emails,
    extract_conf,
    hires,
    run_day,
    use_group_api,
)

IM_REMOVE = "DELETE /v2/im/groups/{groupId}/members/{memberId}"
CG_REMOVE = "DELETE /v2/contacts/groups/{groupId}/members"





FIRST = hires(("sam", "Sales"), ("sue", "Sales"), ("sid", "Sales"), ("sia", "Sales"),
               ("eli", "Engineering"), ("eva", "Engineering"), ("ezra", "Engineering"))








def _removals(zoom) -> int:
    return zoom.count(IM_REMOVE) + zoom.count(CG_REMOVE)








@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_exact_moves_and_withdraws_people(zoom, zoom_pool, monkeypatch, tmp_path, group_api):
    use_group_api(zoom, monkeypatch, group_api)
    assert run_dag("zoom_onboarding_wave", extract_conf(tmp_path, FIRST, "first.csv")).state == "success"
    # Sam moves from Sales to Engineering, Sue withdraws.
    changed = hires(("sam", "Engineering"), ("sid", "Sales"), ("sia", "Sales"),
                     ("eli", "Engineering"), ("eva", "Engineering"), ("ezra", "Engineering"))

    # add_only (the default) removes nobody: Sam is added to Engineering and stays in Sales.
    run = run_dag("zoom_onboarding_wave", extract_conf(tmp_path, changed, "changed.csv"))
    assert run.state == "success"
    assert account_groups(zoom, group_api)[SALES] == emails("sam", "sue", "sid", "sia")
    assert _removals(zoom) == 0

    run = run_dag("zoom_onboarding_wave", extract_conf(tmp_path, changed, "changed.csv", membership="exact"))

    assert run.state == "success"
    assert account_groups(zoom, group_api) == {SALES: emails("sid", "sia"), ENGINEERING: emails("sam", "eli", "eva", "ezra")}
    (summary,) = xcom_values(run, "summarize")
    assert (summary["exists"], summary["members_added"], summary["members_removed"]) == (2, 0, 2)
    (reconciled,) = xcom_values(run, "reconcile_existing_groups")
    removed = {g["name"]: g["removed"] for g in reconciled["groups"]}
    assert removed == {ENGINEERING: [], SALES: emails("sam", "sue")}  # reported by name
    assert format_summary(summary).endswith("members_pending=0 members_removed=2 late_added=0 still_pending=0")


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_exact_stops_on_a_truncated_extract_removing_nobody(zoom, zoom_pool, monkeypatch, tmp_path, group_api):
    use_group_api(zoom, monkeypatch, group_api)
    assert run_dag("zoom_onboarding_wave", extract_conf(tmp_path, FIRST, "first.csv")).state == "success"
    before = account_groups(zoom, group_api)
    # The export was cut off: most of each cohort is missing.
    truncated = hires(("sia", "Sales"), ("eli", "Engineering"))

    run = run_dag("zoom_onboarding_wave", extract_conf(tmp_path, truncated, "truncated.csv", membership="exact"))

    assert run.state == "failed"
    assert task_states(run)[("reconcile_existing_groups", -1)] == "failed"
    assert account_groups(zoom, group_api) == before
    assert _removals(zoom) == 0
    # The task's error (also in its log), one message per group over the limit.
    logged = "\n".join(xcom_values(run, "reconcile_existing_groups", "removal_limit")[0])
    assert (f"Group '{SALES}': exact membership would remove 3 of its 4 members (75%), more than the Param "
            "max_removal_share=0.5 allows; nothing was removed") in logged
    assert f"Group '{ENGINEERING}': exact membership would remove 2 of its 3 members (67%)" in logged

    # The team meant it: raising the share lets the same run go through; a group is still never emptied.
    run = run_dag("zoom_onboarding_wave", extract_conf(tmp_path, truncated, "truncated.csv", membership="exact",
                                                max_removal_share=0.8))
    assert run.state == "success"
    assert account_groups(zoom, group_api) == {SALES: emails("sia"), ENGINEERING: emails("eli")}


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_daily_exact_keeps_the_cohorts_other_days_and_removes_a_moved_hire(zoom, airflow_db, monkeypatch, tmp_path,
                                                                           group_api):
    use_group_api(zoom, monkeypatch, group_api)
    first = HEADER + (
        "E1,ana@example.com,Ana,S,Engineering,Lisbon,2026-11-23\n"
        "E2,ben@example.com,Ben,O,Engineering,Lagos,2026-11-23\n"
        "E3,cleo@example.com,Cleo,M,Sales,Paris,2026-11-23\n"
        "E4,dev@example.com,Dev,P,Engineering,Pune,2026-11-25\n"
        "E5,fay@example.com,Fay,W,Sales,Paris,2026-11-25\n"
    )
    conf = extract_conf(tmp_path, first, "first.csv")
    for day in ("2026-11-23", "2026-11-25"):
        assert run_day(day, conf).state == "success"
    # Ben moves to Sales (same start day); Fay withdraws.
    changed = first.replace("ben@example.com,Ben,O,Engineering", "ben@example.com,Ben,O,Sales").replace(
        "E5,fay@example.com,Fay,W,Sales,Paris,2026-11-25\n", "")

    run = run_day("2026-11-23", extract_conf(tmp_path, changed, "changed.csv", membership="exact"))

    assert run.state == "success"
    # Dev starts on Wednesday: not in Monday's run, still in the cohort, so he stays.
    assert account_groups(zoom, group_api) == {ENGINEERING: emails("ana", "dev"), SALES: emails("ben", "cleo")}
    (summary,) = xcom_values(run, "summarize", "summary")
    assert (summary["members_added"], summary["members_removed"]) == (1, 2)
    removed = {r["name"]: r["removed"] for r in xcom_values(run, "onboard_cohort.reconcile_members")}
    assert removed == {ENGINEERING: emails("ben"), SALES: emails("fay")}


