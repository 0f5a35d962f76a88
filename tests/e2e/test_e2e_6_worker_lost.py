"""A Celery worker lost mid-wave: SIGKILL the worker (and every process it started) while the wave's
``create_groups`` runs on it, some groups already made. The scheduler notices the missing heartbeats, the task is
retried on the other worker, and the account ends with exactly the wave's groups and members, each created once.

Runs last (it empties the account and kills a worker); it starts the killed worker again before it ends.
The recovery's settings are in ``harness.py`` (``[scheduler] task_instance_heartbeat_timeout`` and its detection
interval) and in the wave DAG (``retries``, ``retry_delay``); docs/deployment.md names them.
"""

from __future__ import annotations

import datetime
import time

import pytest

from tests.e2e.figures import record
from tests.e2e.harness import REPO, WORKERS, wait_until
from tests.extract_writers import WaveExtract, expected_groups

pytestmark = pytest.mark.e2e

DAG_ID = "zoom_onboarding_wave"
DAG_FILE = REPO / "dags" / "zoom_onboarding_wave.py"
TASK_ID = "create_groups"
POOL = "zoom_api"
CREATES = ("POST /v2/im/groups", "POST /v2/contacts/groups")  # either group API, whichever the machine uses
# Weeks of their own (2027-W20..W24), so the groups are this test's. 40 cohorts, 120 hires: ~10 s of creates at the
# free plan's pace.
WAVE = WaveExtract(tag="lost", first_monday=datetime.date(2027, 5, 17), departments=8, weeks=5, hires_per_cohort=3,
                   department="Team {:02d}")
KILL_AFTER_GROUPS = 8
RUN_TIMEOUT = 600.0


def account_groups(stack) -> dict[str, list[list[str]]]:
    """Name -> members of each group of that name, over both group APIs."""
    groups = {name: [members] for name, members in stack.zoom_groups().items()}
    for name, copies in stack.emulator.contact_groups(timeout=10).items():
        groups.setdefault(name, []).extend(copies)
    return groups


def groups_created(stack) -> int:
    return sum(stack.zoom_count(route, 201) for route in CREATES)


@pytest.mark.skipif(not DAG_FILE.exists(), reason=f"{DAG_FILE.relative_to(REPO)} does not exist (yet)")
def test_wave_survives_losing_its_worker(stack, tmp_path):
    extract = WAVE.write(tmp_path / "lost_worker_wave.csv")
    expected = {name: [members] for name, members in expected_groups(extract).items()}  # one group per cohort
    assert len(expected) == WAVE.departments * WAVE.weeks

    if stack.airflow("pools", "get", POOL, check=False).returncode != 0:
        stack.airflow("pools", "set", POOL, "4", "Zoom API budget of one account (e2e)")
    stack.wait_for_dag(DAG_ID)
    stack.api_call("PATCH", f"dags/{DAG_ID}", json={"is_paused": False})
    stack.emulator.reset(keep_config=False, timeout=30)  # an empty account, counters at 0, start-up config

    conf = {"hr_extract_path": str(extract), "zoom_plan": "free"}  # paced slowly: the kill lands mid-wave
    run_id = stack.api_call("POST", f"dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf})["dag_run_id"]
    ti_path = f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{TASK_ID}"

    def mid_wave():
        ti = stack.api_get(ti_path)
        if ti["state"] != "running" or ti["hostname"] not in WORKERS:
            return None
        made = groups_created(stack)
        assert made < len(expected), f"the wave finished before the kill ({made} groups): pace it slower"
        return ti if made >= KILL_AFTER_GROUPS else None

    ti = wait_until(f"{TASK_ID} to be running with {KILL_AFTER_GROUPS} groups made", mid_wave, 300, interval=0.2)
    lost = ti["hostname"]
    (survivor,) = set(WORKERS) - {lost}
    killed_at = time.monotonic()
    pids = stack.kill_worker(lost)
    assert ti["pid"] in pids, (ti["pid"], pids)  # the task process too, not only its worker
    made_at_kill = groups_created(stack)
    print(f"worker lost: SIGKILL {lost} ({len(pids)} processes) with {made_at_kill} of {len(expected)} groups made")

    try:
        timings = {}

        def progress():
            current = stack.api_get(ti_path)
            if "noticed" not in timings and (current["try_number"] > ti["try_number"] or current["state"] != "running"):
                timings["noticed"] = time.monotonic() - killed_at
            if current["try_number"] > ti["try_number"] and current["state"] in ("running", "success"):
                timings.setdefault("running_again", time.monotonic() - killed_at)
                return current
            return None

        again = wait_until(f"{TASK_ID} to run again", progress, RUN_TIMEOUT, interval=0.5)
        assert again["hostname"] == survivor, again

        def finished():
            run = stack.api_get(f"dags/{DAG_ID}/dagRuns/{run_id}")
            return run if run["state"] in ("success", "failed") else None

        run = wait_until("the wave run to finish", finished, RUN_TIMEOUT, interval=1)
        timings["run_done"] = time.monotonic() - killed_at
    finally:
        stack.restart_worker(lost)  # the deployment as it was, for whatever runs after

    tries = stack.api_get(f"{ti_path}/tries")["task_instances"]
    summary = [(t["try_number"], t["state"], t["hostname"]) for t in tries]
    assert run["state"] == "success", summary
    assert [(t["try_number"], t["hostname"]) for t in tries] == [(1, lost), (2, survivor)], summary
    assert [t["state"] for t in tries] == ["failed", "success"], summary
    # Airflow noticed through the heartbeat timeout (not a lucky redelivery of the Celery message), and that is
    # the only one of the whole deployment: no slow but healthy task of the earlier tests was failed by it.
    events = stack.api_get("eventLogs", event="heartbeat timeout")["event_logs"]
    assert [(e["dag_id"], e["run_id"], e["task_id"]) for e in events] == [(DAG_ID, run_id, TASK_ID)], events

    # Exactly the wave's groups and members, each group created once, although the killed try made some.
    assert account_groups(stack) == expected
    assert groups_created(stack) == len(expected)

    record("worker_lost_groups_made_at_kill", made_at_kill)
    record("worker_lost_noticed_s", round(timings["noticed"], 1))
    record("worker_lost_running_again_s", round(timings["running_again"], 1))
    record("worker_lost_run_done_s", round(timings["run_done"], 1))
    print(
        f"worker lost: noticed after {timings['noticed']:.1f} s, {TASK_ID} running again on {survivor} after "
        f"{timings['running_again']:.1f} s, run done after {timings['run_done']:.1f} s (from the kill)"
    )
