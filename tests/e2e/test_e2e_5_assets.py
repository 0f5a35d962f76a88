"""Results other DAGs can use, under the real scheduler: a wave run's ``summarize`` emits its counts on the account's
asset through the alias ``zoom_onboarding_groups``, and the scheduler starts ``zoom_onboarding_followup``, which
logs them.

The sample wave (14 cohorts): small, so this adds seconds. It runs on whatever the account is at this point of the
session (IM Groups, or Contact Groups after ``test_e2e_4``): the asset names the API the run ended on.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.figures import record
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.e2e

WAVE, FOLLOWUP = "zoom_onboarding_wave", "zoom_onboarding_followup"
TIMEOUT = 300.0


def _task_xcom(stack, dag_id: str, run_id: str, task_id: str, key: str = "return_value"):
    reply = stack.api_get(
        f"dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}", deserialize="true"
    )
    return reply["value"]


def test_a_wave_run_triggers_the_followup_dag_with_its_counts(stack):
    stack.airflow("pools", "set", "zoom_api", "4", "Zoom API budget of one account (e2e)")
    for dag_id in (WAVE, FOLLOWUP):
        stack.wait_for_dag(dag_id)
        stack.api_call("PATCH", f"dags/{dag_id}", json={"is_paused": False})
    before = {r["dag_run_id"] for r in stack.api_list(f"dags/{FOLLOWUP}/dagRuns", "dag_runs")}

    started = time.monotonic()
    run_id = stack.api_call("POST", f"dags/{WAVE}/dagRuns", json={"logical_date": None, "conf": {}})["dag_run_id"]

    def wave_finished():
        run = stack.api_get(f"dags/{WAVE}/dagRuns/{run_id}")
        return run if run["state"] in ("success", "failed") else None

    assert wait_until("the wave run to finish", wave_finished, TIMEOUT, interval=1)["state"] == "success"
    summary = _task_xcom(stack, WAVE, run_id, "summarize", "summary")

    def followup_done():
        # Earlier tests' wave runs also emitted events (the DAG was paused then): the follow-up may take several
        # in one run, or run more than once. The run that carries this wave's event is the one to check.
        runs = [r for r in stack.api_list(f"dags/{FOLLOWUP}/dagRuns", "dag_runs") if r["dag_run_id"] not in before]
        for run in runs:
            if run["state"] not in ("success", "failed"):
                return None
        for run in runs:
            if run["state"] == "success":
                mine = [e for e in _task_xcom(stack, FOLLOWUP, run["dag_run_id"], "log_onboarded_groups")
                        if e["source_run_id"] == run_id]
                if mine:
                    return runs, run, mine
        if any(r["state"] == "failed" for r in runs):
            return runs, None, []
        return None

    runs, carrier, mine = wait_until("the follow-up DAG to run after the wave", followup_done, TIMEOUT, interval=1)
    record("asset_wave_to_followup_done_s", round(time.monotonic() - started, 1))
    assert {r["run_type"] for r in runs} == {"asset_triggered"}, runs
    assert {r["state"] for r in runs} == {"success"}, runs
    assert carrier is not None and len(mine) == 1, runs
    (seen,) = mine
    group_api = seen["extra"]["group_api"]
    assert seen == {
        "asset": f"zoom://{stack.emulator.account_id}/{group_api}",
        "source_dag_id": WAVE,
        "source_run_id": run_id,
        "extra": {**summary, "group_api": group_api},
    }
    logs = [p for p in (stack.home / "logs").rglob("*.log") if f"dag_id={FOLLOWUP}" in str(p)]
    text = "".join(p.read_text(errors="replace") for p in logs)
    counts = " ".join(f"{key}={seen['extra'][key]}" for key in sorted(seen["extra"]))
    assert f"Zoom groups ready on {seen['asset']} after {WAVE} / {run_id}: {counts}" in text
