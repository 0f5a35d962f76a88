"""The sample onboarding DAG the way users run it: ``airflow backfill create`` under a scheduler, twice, and
scheduled runs the scheduler starts by itself, with CeleryExecutor workers against the emulator.

The tests of this module run in order and share the deployment (and the emulator's account).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from airflow_provider_zoom.onboarding.cohorts import build_cohorts
from airflow_provider_zoom.onboarding.hr_extract import read_hr_extract
from tests.e2e.figures import record
from tests.e2e.harness import REPO, WORKERS, wait_until

pytestmark = pytest.mark.e2e

DAG_ID = "zoom_onboarding_im_groups"
SAMPLE = REPO / "dags" / "data" / "hr_new_hires_sample.csv"
CREATE = "POST /v2/im/groups"
BACKFILL_TIMEOUT = 900.0
_progress: dict = {}


def sample_expectations(path: Path = SAMPLE) -> tuple[dict[str, list[str]], str, str]:
    """Groups -> member emails the sample must end in, and its first and last start dates."""
    hires = read_hr_extract(path).hires
    cohorts, problems = build_cohorts(hires)
    assert problems == []
    days = sorted(hire.start_date for hire in hires)
    return {c.name: sorted(m.email for m in c.members) for c in cohorts}, days[0].isoformat(), days[-1].isoformat()


def latest_backfill(stack) -> dict | None:
    backfills = stack.api_get("backfills", dag_id=DAG_ID, limit=100)["backfills"]
    return max(backfills, key=lambda b: b["id"]) if backfills else None


def run_backfill(stack, *extra: str) -> tuple[dict, list[dict], float]:
    """``airflow backfill create`` over the sample's dates; wait until the backfill completes."""
    _, first, last = sample_expectations()
    before = latest_backfill(stack)
    started = time.monotonic()
    stack.airflow(
        "backfill",
        "create",
        "--dag-id",
        DAG_ID,
        "--from-date",
        first,
        "--to-date",
        last,
        "--max-active-runs",
        "4",
        *extra,
    )
    backfill = latest_backfill(stack)
    assert backfill is not None and (before is None or backfill["id"] > before["id"]), "no new backfill"
    if stack.api_get(f"dags/{DAG_ID}")["is_paused"]:
        # Backfill runs only start on an unpaused DAG; unpausing only now leaves every date of the range
        # to the backfill (the scheduler skips dates that already have a run).
        stack.api_call("PATCH", f"dags/{DAG_ID}", json={"is_paused": False})

    def completed():
        current = stack.api_get(f"backfills/{backfill['id']}")
        return current if current["completed_at"] else None

    def progress() -> str:
        rows = stack.db.query(
            "SELECT state, count(*) FROM dag_run WHERE backfill_id = %s GROUP BY state", (backfill["id"],)
        )
        return f"backfill {backfill['id']} runs by state: {dict(rows)}"

    wait_until(f"backfill {backfill['id']} to complete", completed, BACKFILL_TIMEOUT, interval=2, on_timeout=progress)
    elapsed = time.monotonic() - started
    run_ids = {row[0] for row in stack.db.query("SELECT run_id FROM dag_run WHERE backfill_id = %s", (backfill["id"],))}
    runs = [r for r in stack.api_list(f"dags/{DAG_ID}/dagRuns", "dag_runs") if r["dag_run_id"] in run_ids]
    return backfill, runs, elapsed


def task_instances(stack, run_ids: set[str]) -> list[dict]:
    tis = stack.api_list(f"dags/{DAG_ID}/dagRuns/~/taskInstances", "task_instances")
    return [ti for ti in tis if ti["dag_run_id"] in run_ids]


def xcom(stack, ti: dict):
    reply = stack.api_get(
        f"dags/{DAG_ID}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/xcomEntries/return_value",
        map_index=ti["map_index"],
        deserialize="true",
    )
    return reply["value"]


def test_backfill_onboards_the_whole_sample(stack):
    expected, first, last = sample_expectations()
    assert (len(expected), sum(map(len, expected.values()))) == (14, 45)  # the sample's known figures
    stack.wait_for_dag(DAG_ID)

    backfill, runs, elapsed = run_backfill(stack)
    record("backfill_1_wall_s", round(elapsed, 1))

    days = {r["logical_date"][:10] for r in runs}
    assert len(runs) == 19 and min(days) == first and max(days) == last, sorted(days)
    assert {r["run_type"] for r in runs} == {"backfill"}
    assert {r["dag_run_id"]: r["state"] for r in runs if r["state"] != "success"} == {}
    assert stack.zoom_groups() == expected
    assert stack.zoom_count(CREATE, 201) == 14

    tis = task_instances(stack, {r["dag_run_id"] for r in runs})
    assert not [t for t in tis if t["state"] not in ("success", "skipped")]
    ran_on = {t["hostname"] for t in tis if t["state"] == "success"}
    assert ran_on == set(WORKERS), ran_on
    record("backfill_1_task_instances", len(tis))
    _progress["backfill_1"] = backfill["id"]


def test_backfill_again_reprocessing_creates_nothing(stack):
    if "backfill_1" not in _progress:
        pytest.skip("needs the first backfill")
    expected, _, _ = sample_expectations()
    created_before, conflicts_before = stack.zoom_count(CREATE, 201), stack.zoom_count(CREATE, 409)

    backfill, runs, elapsed = run_backfill(stack, "--reprocess-behavior", "completed")
    record("backfill_2_reprocess_wall_s", round(elapsed, 1))

    assert backfill["reprocess_behavior"] == "completed"
    assert len(runs) == 19 and {r["state"] for r in runs} == {"success"}
    assert stack.zoom_groups() == expected
    assert stack.zoom_count(CREATE, 201) == created_before  # nothing new created
    assert stack.zoom_count(CREATE, 409) - conflicts_before == 21  # one 409 per cohort and day

    # Without the placeholder of a day without hires (a task group expanded to nothing shows as skipped).
    tis = [
        ti
        for ti in task_instances(stack, {r["dag_run_id"] for r in runs})
        if not (ti["task_id"].startswith("onboard_cohort.") and ti["map_index"] < 0)
    ]
    by_task: dict[str, dict[str, int]] = {}
    for ti in tis:
        states = by_task.setdefault(ti["task_id"], {})
        states[ti["state"]] = states.get(ti["state"], 0) + 1
    assert by_task["onboard_cohort.create_group"] == {"success": 21}
    assert by_task["onboard_cohort.reconcile_members"] == {"success": 21}  # the 409 path ...
    assert by_task["onboard_cohort.add_all_members"] == {"skipped": 21}  # ... and never the 201 path
    outcomes = [xcom(stack, ti) for ti in tis if ti["task_id"] == "onboard_cohort.create_group"]
    assert {(o["status_code"], o["outcome"]) for o in outcomes} == {(409, "exists")}
    assert {o["name"] for o in outcomes} == set(expected)
    summaries = [xcom(stack, ti) for ti in tis if ti["task_id"] == "summarize"]
    assert sum(s["created"] for s in summaries) == 0 and sum(s["members_added"] for s in summaries) == 0

    # A green run logs no errors for the path it skipped: the real task runner logs "XCom not found"
    # at error level for every pull of a task that has no XCom (dag.test()'s in-process API does not).
    summarize_logs = [p for p in (stack.home / "logs").rglob("*.log") if "task_id=summarize" in str(p)]
    assert summarize_logs
    assert [p for p in summarize_logs if "XCom not found" in p.read_text(errors="replace")] == []


def test_scheduler_starts_scheduled_runs_by_itself(stack):
    if "backfill_1" not in _progress:
        pytest.skip("needs the DAG unpaused by the backfill test")
    # Unpaused with catchup=True, the scheduler creates a run for every due date that has none: the
    # backfill took 2026-11-23..12-11, so the scheduler's own runs start at 2026-12-12 (the deployment's today).

    def scheduled_success():
        runs = stack.api_get(f"dags/{DAG_ID}/dagRuns", run_type="scheduled", limit=100)["dag_runs"]
        return [r for r in runs if r["state"] == "success"]

    runs = wait_until("a scheduled run to succeed", scheduled_success, 300, interval=2)
    assert all(r["run_type"] == "scheduled" and r["triggered_by"] == "timetable" for r in runs)
    record("scheduled_runs_succeeded", [r["logical_date"][:10] for r in runs])
