"""Zoom's daily cap under the scheduler: the wave task defers (the triggerer waits for the reset Zoom announced),
holds no pool slot meanwhile, and completes after the reset with every group created once.

On Contact Groups, as on a current Zoom account: the test retires IM Groups on the emulator itself, so the group API
does not depend on which e2e tests ran before (the machine remembers a 410 from ``test_e2e_4``; ``test_e2e_6`` resets
the emulator's config). The cap is on the Heavy category, the creates' (members go in the create call); the user
lookups (Light) stay uncapped, since a wave resumed after a reset looks its people up again."""

from __future__ import annotations

import datetime
import time

import pytest
import requests

from tests.e2e.figures import record
from tests.e2e.harness import REPO, wait_until
from tests.extract_writers import WaveExtract, expected_groups

pytestmark = pytest.mark.e2e

DAG_ID = "zoom_onboarding_wave"
DAG_FILE = REPO / "dags" / "zoom_onboarding_wave.py"
POOL = "zoom_api"
CREATE = "POST /v2/contacts/groups"
# A wave of its own weeks (2027-W20..W24) and people, so its groups are not the other tests': 30 cohorts, 90 hires.
WAVE = WaveExtract(tag="capped", first_monday=datetime.date(2027, 5, 17), departments=6, weeks=5, hires_per_cohort=3,
                   department="Capped Dept {}")
# 10 creates per 15-second "day" (the emulator's daily_window_s): the 30 creates need at least two resets wherever
# the windows fall, so the task defers whatever the scheduler's latency.
DAILY_CAP, WINDOW_S = 10, 15


def configure_emulator(stack, **changes) -> None:
    requests.put(f"{stack.emulator_url}/_emulator/config", json=changes, timeout=10).raise_for_status()


@pytest.mark.skipif(not DAG_FILE.exists(), reason=f"{DAG_FILE.relative_to(REPO)} does not exist (yet)")
def test_wave_defers_at_the_daily_cap_frees_its_pool_slot_and_completes_after_the_reset(stack, tmp_path):
    extract = WAVE.write(tmp_path / "capped_wave.csv")
    expected = expected_groups(extract)
    assert (len(expected), sum(map(len, expected.values()))) == (WAVE.departments * WAVE.weeks, WAVE.hires)
    stack.airflow("pools", "set", POOL, "4", "Zoom API budget of one account (e2e)")
    stack.wait_for_dag(DAG_ID)
    stack.api_call("PATCH", f"dags/{DAG_ID}", json={"is_paused": False})
    config_before = stack.emulator.state(timeout=10)["config"]
    created_before = stack.zoom_count(CREATE, 201)
    conflicts_before = stack.zoom_count(CREATE, 409)
    limited_before = stack.zoom_state()["counters"]["rate_limited"]
    configure_emulator(stack, im_groups="gone", heavy_daily=DAILY_CAP, daily_window_s=WINDOW_S)
    try:
        started = time.monotonic()
        run_id = stack.api_call(
            "POST", f"dags/{DAG_ID}/dagRuns",
            json={"logical_date": None, "conf": {"hr_extract_path": str(extract), "zoom_plan": "pro"}},
        )["dag_run_id"]

        def create_task():
            return stack.api_get(f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/create_groups")

        def pool_while_deferred():
            pool = stack.api_get(f"pools/{POOL}")
            return pool if pool["deferred_slots"] == 1 else None

        pool = wait_until("the create task to defer at the daily cap", pool_while_deferred, 120, interval=0.3)
        deferred_at = time.monotonic()
        # Deferred, the task holds no pool slot (the pool does not count deferred tasks) and no worker slot.
        assert (pool["running_slots"], pool["queued_slots"], pool["occupied_slots"], pool["open_slots"]) == (
            0, 0, 0, 4), pool
        assert create_task()["state"] in ("deferred", "scheduled", "queued", "running")

        def finished():
            run = stack.api_get(f"dags/{DAG_ID}/dagRuns/{run_id}")
            return run if run["state"] in ("success", "failed") else None

        run = wait_until("the wave to finish after the reset", finished, 180, interval=1)
        ti = create_task()
        paused_s = datetime.datetime.fromisoformat(ti["end_date"]) - datetime.datetime.fromisoformat(ti["start_date"])
        record("daily_cap_wave_wall_s", round(time.monotonic() - started, 1))
        record("daily_cap_deferred_until_done_s", round(time.monotonic() - deferred_at, 1))
        record("daily_cap_create_task_s", round(paused_s.total_seconds(), 1))
        record("daily_cap_429s", stack.zoom_state()["counters"]["rate_limited"] - limited_before)
        assert run["state"] == "success", stack.log_tails()
        assert (ti["state"], ti["try_number"]) == ("success", 1)  # one try: resumed, not retried

        wave_groups = {name: copies for name, copies in stack.emulator.contact_groups(timeout=10).items()
                       if name in expected}
        assert wave_groups == {name: [members] for name, members in expected.items()}  # one group per cohort
        assert stack.zoom_count(CREATE, 201) - created_before == len(expected)  # each group created once
        assert stack.zoom_count(CREATE, 409) == conflicts_before  # none sent twice
        summary = stack.api_get(
            f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/summarize/xcomEntries/summary", deserialize="true"
        )["value"]
        assert (summary["created"], summary["members_added"], summary["failed"]) == (30, 90, 0), summary
    finally:
        # The emulator is the session's: the other e2e tests find it as it was.
        configure_emulator(
            stack, im_groups=config_before["im_groups"], heavy_daily=config_before["heavy_daily"],
            daily_window_s=config_before["daily_window_s"], daily_reset_at=config_before["daily_reset_at"],
        )
