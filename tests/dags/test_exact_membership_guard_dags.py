"""Exact membership that cannot hurt, in both DAGs on both group APIs (real ``dag.test()``, the emulator over HTTP):
every removal named whatever fails after it, a guard that holds across runs, and the members ``keep_members`` keeps.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.airflow_runs import REPO, asset_events, run_dag, task_states, xcom_values
from tests.compat.airflow_versions import AIRFLOW_VERSION
from tests.dags.cohort_runs import SALES, account_groups, emails, extract_conf, hires, run_day, use_group_api

IM_REMOVE = "DELETE /v2/im/groups/{groupId}/members/{memberId}"
CG_REMOVE = "DELETE /v2/contacts/groups/{groupId}/members"
RECONCILE = "reconcile_existing_groups"


def _sales(people: list[str]) -> str:
    return hires(*[(person, "Sales") for person in people])


def _people(n: int) -> list[str]:
    return [f"s{i:02d}" for i in range(n)]


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_three_truncated_extracts_in_a_row_are_stopped_at_the_guard(zoom, zoom_pool, monkeypatch, tmp_path,
                                                                    group_api):
    use_group_api(zoom, monkeypatch, group_api)
    people = _people(8)
    assert run_dag("zoom_onboarding_wave", extract_conf(tmp_path, _sales(people), "all.csv")).state == "success"

    # Each extract loses a few more hires; each run alone stays within max_removal_share=0.5 of the group as it is.
    for kept in (6, 4):
        run = run_dag("zoom_onboarding_wave", extract_conf(tmp_path, _sales(people[:kept]), f"{kept}.csv",
                                                           membership="exact"))
        assert run.state == "success"
        assert account_groups(zoom, group_api) == {SALES: emails(*people[:kept])}

    # 4 -> 3 is 25% of the group now, but it would leave 3 of the 8 it had: the guard holds across runs.
    run = run_dag("zoom_onboarding_wave", extract_conf(tmp_path, _sales(people[:3]), "3.csv", membership="exact"))

    assert run.state == "failed"
    assert task_states(run)[(RECONCILE, -1)] == "failed"
    assert account_groups(zoom, group_api) == {SALES: emails(*people[:4])}  # nobody removed
    (limits,) = xcom_values(run, RECONCILE, "removal_limit")
    assert (f"Group '{SALES}': exact membership would leave it 3 of the 8 members it has had (its baseline, kept "
            "across runs): 5 gone (62%), more than the Param max_removal_share=0.5 allows; nothing was removed"
            ) in limits[0]

    # Someone who means it raises the Param.
    run = run_dag("zoom_onboarding_wave", extract_conf(tmp_path, _sales(people[:3]), "3.csv", membership="exact",
                                                       max_removal_share=0.7))
    assert run.state == "success"
    assert account_groups(zoom, group_api) == {SALES: emails(*people[:3])}


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_keep_members_stay_through_a_truncated_extract(zoom, zoom_pool, monkeypatch, tmp_path, group_api):
    from airflow_provider_zoom.hooks.zoom import ZoomHook

    use_group_api(zoom, monkeypatch, group_api)
    people = _people(4)
    assert run_dag("zoom_onboarding_wave", extract_conf(tmp_path, _sales(people), "all.csv")).state == "success"
    # The onboarding buddy and the manager, added by hand: not in any extract.
    groups = ZoomHook().groups
    groups.add_members(groups.find_group(SALES)["group_id"], ["buddy@example.com", "mgr.sales@example.com"])
    truncated = extract_conf(tmp_path, _sales(people[2:]), "truncated.csv", membership="exact")

    # Without keep_members the two would go with the two missing hires: 4 of 6, over the guard.
    assert run_dag("zoom_onboarding_wave", truncated).state == "failed"

    run = run_dag("zoom_onboarding_wave", {**truncated, "keep_members": ["BUDDY@Example.com", "mgr.*@example.com"]})

    assert run.state == "success"
    assert account_groups(zoom, group_api) == {SALES: sorted([*emails(*people[2:]), "buddy@example.com",
                                                              "mgr.sales@example.com"])}
    (reconciled,) = xcom_values(run, RECONCILE)
    (row,) = reconciled["groups"]
    assert (sorted(row["removed"]), sorted(row["kept"])) == (emails(*people[:2]),
                                                             ["buddy@example.com", "mgr.sales@example.com"])


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_removal_interrupted_by_the_daily_cap_names_everyone_removed(zoom, zoom_pool, monkeypatch, tmp_path,
                                                                          group_api, capfd):
    use_group_api(zoom, monkeypatch, group_api)
    # IM Groups removes one member per (Light) call, Contact Groups 20 per (Heavy) call: either way the removals
    # below need more than one "day" of 3 seconds.
    people, stay = (_people(44), 20) if group_api == "contact_groups" else (_people(8), 4)
    assert run_dag("zoom_onboarding_wave", extract_conf(tmp_path, _sales(people), "all.csv")).state == "success"
    zoom.configure(**({"heavy_daily": 1} if group_api == "contact_groups" else {"light_daily": 2}), daily_window_s=3)
    capfd.readouterr()

    run = run_dag("zoom_onboarding_wave", extract_conf(tmp_path, _sales(people[:stay]), "half.csv",
                                                       membership="exact", max_removal_share=0.6))

    assert run.state == "success"
    assert account_groups(zoom, group_api) == {SALES: emails(*people[:stay])}
    gone = emails(*people[stay:])
    assert zoom.count(IM_REMOVE, 429) + zoom.count(CG_REMOVE, 429) >= 1  # the cap struck between removals
    logged = capfd.readouterr().out
    assert "Deferring until" in logged
    assert all(f"Group {SALES}: removed {email} (no longer in the cohort)" in logged for email in gone)  # the log
    (reconciled,) = xcom_values(run, RECONCILE)
    assert sorted(reconciled["groups"][0]["removed"]) == gone and reconciled["members_removed"] == len(gone)  # XCom
    (summary,) = xcom_values(run, "summarize")
    assert summary["members_removed"] == len(gone)  # the count
    (event,) = asset_events(run)
    assert event["extra"]["members_removed"] == len(gone)  # the asset event


def _run_day_without_retries(day: str, conf: dict):
    """The daily DAG with its member tasks failing at once (no 30-second retry wait in a test)."""
    from airflow.models.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags")).dags["zoom_onboarding_im_groups"]
    for task in dag.tasks:
        task.retries = 0
    return dag.test(logical_date=datetime.fromisoformat(day).replace(tzinfo=UTC), run_conf=conf)


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_daily_removal_interrupted_by_a_failure_names_who_was_removed(zoom, airflow_db, monkeypatch, tmp_path,
                                                                      group_api, capfd):
    use_group_api(zoom, monkeypatch, group_api)
    people, stay = (_people(44), 20) if group_api == "contact_groups" else (_people(6), 2)  # 24 or 4 leave
    assert run_day("2026-11-23", extract_conf(tmp_path, _sales(people), "all.csv")).state == "success"
    # The removals' daily cap, its reset an hour away: the task cannot wait for it.
    zoom.configure(**({"heavy_daily": 1} if group_api == "contact_groups" else {"light_daily": 3}),
                   daily_reset_in=3600)
    capfd.readouterr()

    run = _run_day_without_retries("2026-11-23", extract_conf(tmp_path, _sales(people[:stay]), "cut.csv",
                                                              membership="exact", max_removal_share=0.7))

    assert run.state == "failed"
    (left,) = account_groups(zoom, group_api).values()
    gone = sorted(set(emails(*people)) - set(left))
    assert gone and len(gone) < len(people) - stay  # removed some, then the cap
    (removed,) = xcom_values(run, "onboard_cohort.reconcile_members", "removed_before_failure")
    assert sorted(removed) == gone
    (summary,) = xcom_values(run, "summarize", "summary")
    assert (summary["failed"], summary["members_removed"]) == (1, len(gone))
    logged = capfd.readouterr().out
    assert f"Group '{SALES}': removed {len(gone)} people before a Zoom call failed: " in logged  # the task's error
    assert all(email in logged for email in gone)


@pytest.mark.skipif(AIRFLOW_VERSION < (3, 3, 0), reason="the task state store that carries removals to a retry is "
                    "Airflow 3.3's (docs/dags.md: older versions name them in the failed try's log and error only)")
def test_daily_retry_names_the_people_its_failed_try_removed(zoom, airflow_db, monkeypatch, tmp_path):
    """Airflow 3.3's task state store carries the failed try's removals to the retry (XComs do not outlive a try)."""
    import json
    from datetime import timedelta

    from airflow.models.dagbag import DagBag

    people = _people(6)
    assert run_day("2026-11-23", extract_conf(tmp_path, _sales(people), "all.csv")).state == "success"
    # The connection waits for no daily reset: the first try fails at the cap, the retry comes after the reset.
    conn = json.loads(zoom.server.connection_uri_json())
    conn["extra"]["max_retry_seconds"] = 0
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))
    dag = DagBag(dag_folder=str(REPO / "dags")).dags["zoom_onboarding_im_groups"]
    for task in dag.tasks:
        task.retries, task.retry_delay = (1, timedelta(seconds=10)) if "reconcile" in task.task_id else (0, task.retry_delay)
    zoom.configure(light_daily=3, daily_reset_in=8)  # the retry comes after the reset

    run = dag.test(logical_date=datetime(2026, 11, 23, tzinfo=UTC),
                   run_conf=extract_conf(tmp_path, _sales(people[:2]), "cut.csv", membership="exact",
                                         max_removal_share=0.7))

    assert run.state == "success"
    assert zoom.count(IM_REMOVE, 429) == 1  # the first try was cut by the cap
    assert account_groups(zoom, "im_groups") == {SALES: emails(*people[:2])}
    (reconciled,) = xcom_values(run, "onboard_cohort.reconcile_members")
    assert sorted(reconciled["removed"]) == emails(*people[2:])  # both tries' removals
    (summary,) = xcom_values(run, "summarize", "summary")
    assert summary["members_removed"] == 4
    (event,) = asset_events(run)
    assert event["extra"]["members_removed"] == 4


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_daily_truncated_extracts_in_a_row_are_stopped_at_the_guard(zoom, airflow_db, monkeypatch, tmp_path,
                                                                     group_api):
    use_group_api(zoom, monkeypatch, group_api)
    people = _people(8)
    assert run_day("2026-11-23", extract_conf(tmp_path, _sales(people), "all.csv")).state == "success"
    for kept in (6, 4):
        run = run_day("2026-11-23", extract_conf(tmp_path, _sales(people[:kept]), f"{kept}.csv", membership="exact"))
        assert run.state == "success"

    run = run_day("2026-11-23", extract_conf(tmp_path, _sales(people[:3]), "3.csv", membership="exact"))

    assert run.state == "failed"
    assert account_groups(zoom, group_api) == {SALES: emails(*people[:4])}  # nobody removed
    (summary,) = xcom_values(run, "summarize", "summary")
    assert summary["failed"] == 1 and not summary.get("members_removed")
