"""The wave DAG under the scheduler: two runs of one large extract at once, sharing the ``zoom_api`` pool, on
both Celery workers, against the emulator's ``pro`` limits and ``latest-only`` tokens.

Each run paces to the whole ``pro`` plan; the deployment's ``rate_limiter="redis"`` (see ``harness.py``) makes
their tasks share one line of request slots per category, so together they stay under the account's limits.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from tests.e2e.figures import record
from tests.e2e.harness import REPO, WORKERS, wait_until
from tests.extract_writers import WaveExtract, expected_groups

pytestmark = pytest.mark.e2e

DAG_ID = "zoom_onboarding_wave"
DAG_FILE = REPO / "dags" / "zoom_onboarding_wave.py"
POOL, POOL_SLOTS = "zoom_api", 4
ZOOM_TASKS = ("create_groups", "add_members_to_new_groups", "reconcile_existing_groups")
CREATE = "POST /v2/im/groups"
# A wave far from the sample's weeks (2027-W02..W07), so its groups are its own: 150 cohorts, 1,500 hires.
WAVE = WaveExtract(tag="wave", first_monday=datetime.date(2027, 1, 11), departments=25, weeks=6, hires_per_cohort=10)
WAVE_TIMEOUT = 600.0


@pytest.fixture(scope="module")
def wave_extract(tmp_path_factory) -> Path:
    return WAVE.write(tmp_path_factory.mktemp("wave") / "wave_hires.csv")


@pytest.mark.skipif(not DAG_FILE.exists(), reason=f"{DAG_FILE.relative_to(REPO)} does not exist (yet)")
def test_two_wave_runs_share_the_pool_on_both_workers(stack, wave_extract):
    expected = expected_groups(wave_extract)
    assert (len(expected), sum(map(len, expected.values()))) == (WAVE.departments * WAVE.weeks, WAVE.hires)
    stack.airflow("pools", "set", POOL, str(POOL_SLOTS), "Zoom API budget of one account (e2e)")
    stack.wait_for_dag(DAG_ID)
    stack.api_call("PATCH", f"dags/{DAG_ID}", json={"is_paused": False})
    state_before = stack.zoom_state()
    created_before = stack.zoom_count(CREATE, 201)

    started = time.monotonic()
    conf = {"hr_extract_path": str(wave_extract), "zoom_plan": "pro"}
    run_ids = [
        stack.api_call("POST", f"dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf})["dag_run_id"]
        for _ in range(2)
    ]

    def finished():
        runs = [stack.api_get(f"dags/{DAG_ID}/dagRuns/{run_id}") for run_id in run_ids]
        return runs if all(r["state"] in ("success", "failed") for r in runs) else None

    runs = wait_until("both wave runs to finish", finished, WAVE_TIMEOUT, interval=2)
    record("wave_two_runs_wall_s", round(time.monotonic() - started, 1))
    tis = [
        ti
        for ti in stack.api_list(f"dags/{DAG_ID}/dagRuns/~/taskInstances", "task_instances")
        if ti["dag_run_id"] in run_ids
    ]
    summary = {(ti["dag_run_id"][-8:], ti["task_id"]): (ti["state"], ti["try_number"], ti["hostname"]) for ti in tis}
    assert [r["state"] for r in runs] == ["success", "success"], summary

    state = stack.zoom_state()
    wave_groups = {name: members for name, members in stack.zoom_groups().items() if name in expected}
    assert wave_groups == expected
    assert stack.zoom_count(CREATE, 201) - created_before == len(expected)  # each group created once

    assert not [t for t in tis if t["state"] not in ("success", "skipped")], summary
    assert {t["hostname"] for t in tis if t["state"] == "success"} == set(WORKERS), summary
    assert {t["pool"] for t in tis if t["task_id"] in ZOOM_TASKS} == {POOL}
    # No task failed on a 429 (or anything else): every task instance ran once.
    assert {t["try_number"] for t in tis if t["state"] == "success"} == {1}, summary
    # The summary pulls only the paths ``route`` took: no "XCom not found" error for a skipped one.
    logs = [p for p in (stack.home / "logs").rglob("*.log") if f"dag_id={DAG_ID}" in str(p) and "summarize" in str(p)]
    assert logs and [p for p in logs if "XCom not found" in p.read_text(errors="replace")] == []

    counters, before = state["counters"], state_before["counters"]
    tokens = counters["tokens_issued"] - before["tokens_issued"]
    rate_limited = counters["rate_limited"] - before["rate_limited"]
    record("wave_groups", len(expected))
    record("wave_members", sum(map(len, expected.values())))
    record("wave_tokens_issued", tokens)
    record("wave_429s_answered", rate_limited)
    record("tokens_issued_whole_run", counters["tokens_issued"])
    print(f"wave: 2 runs x {len(expected)} groups, tokens issued {tokens}, 429s answered {rate_limited}")
    # One machine, one token file under $AIRFLOW_HOME: workers and tasks share a token rather than
    # revoking each other's under latest-only (a token per task would be 2 runs x 3 Zoom tasks).
    assert 1 <= counters["tokens_issued"] <= 3
    # Two runs, each paced to the whole plan, on two workers: the shared (redis) limiter keeps them together under
    # the account's per-second limits. With the process limiter they met 18-29 429s here. The slots are 1/29.4 s
    # apart for a limit of 30: a request that leaves a few ms late (a busy machine, a thread woken late) can land in
    # the next one-second window, so a few absorbed 429s (sent again after Retry-After, every task on its first try,
    # below; 0 to 3 measured on 2026-12-03, with other builds on the machine) are the jitter, not a budget overrun.
    limited_routes = {
        route: statuses.get("429", 0) - before["requests"].get(route, {}).get("429", 0)
        for route, statuses in counters["requests"].items()
    }
    assert rate_limited <= 5, {route: n for route, n in limited_routes.items() if n}
