"""Two runs of one wave at once on Contact Groups, under the scheduler, on both Celery workers, with Zoom 150 ms
away (the emulator's latency: 150 ms + up to 100 ms a request) and the deployment's ``redis`` limiter.

Contact Groups allow several groups of one name. The account already holds groups made by hand: five of other names,
and one with a cohort's name in another case. The runs must end with one group per cohort and every hire in it,
adopt the hand-made namesake (never merge or delete it), leave the other hand-made groups as they were, and report
no group id that no longer exists.

Runs after the other e2e modules that use the IM account; it empties the account first and gives the emulator back
its configuration at the end.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.figures import record
from tests.e2e.harness import REPO, WORKERS, wait_until
from tests.extract_writers import WaveExtract, expected_groups

pytestmark = pytest.mark.e2e

DAG_ID = "zoom_onboarding_wave"
DAG_FILE = REPO / "dags" / "zoom_onboarding_wave.py"
POOL, POOL_SLOTS = "zoom_api", 4
CG_CREATE = "POST /v2/contacts/groups"
# 2027-W14..W23, 15 departments: 150 cohorts of 2 (the account is emptied first, so no other module's groups meet it).
WAVE = WaveExtract(tag="cgwave", first_monday=datetime.date(2027, 4, 5), departments=15, weeks=10, hires_per_cohort=2)
WAVE_TIMEOUT = 600.0
LATENCY = {"latency_ms": 150, "latency_jitter_ms": 100}


def _token(stack) -> str:
    emulator = stack.emulator
    reply = requests.post(emulator.token_url, auth=(emulator.client_id, emulator.client_secret), timeout=30,
                          params={"grant_type": "account_credentials", "account_id": emulator.account_id})
    reply.raise_for_status()
    return reply.json()["access_token"]


def _hand_made(stack, name: str) -> str:
    """A contact group made by hand as an admin would, outside the provider (empty); returns its id."""
    reply = requests.post(f"{stack.emulator.api_url}/contacts/groups", timeout=30,
                          headers={"Authorization": f"Bearer {_token(stack)}"},
                          json={"group_name": name, "group_privacy": 1})
    reply.raise_for_status()
    return reply.json()["group_id"]


def _groups_by_id(stack) -> dict[str, tuple[str, list[str]]]:
    return {g["group_id"]: (g["group_name"], sorted(m.get("email") or m["id"] for m in g["members"]))
            for g in stack.zoom_state()["contact_groups"]}


@pytest.fixture
def contact_account(stack):
    """The account emptied, IM Groups retired, the Business plan and Zoom-like latency; the config restored after."""
    config = requests.get(f"{stack.emulator_url}/_emulator/config", timeout=10).json()
    stack.emulator.reset(keep_config=True, timeout=30)
    requests.put(f"{stack.emulator_url}/_emulator/config", timeout=10,
                 json={"im_groups": "gone", "plan": "business", "faults": LATENCY}).raise_for_status()
    yield
    requests.put(f"{stack.emulator_url}/_emulator/config", timeout=10,
                 json={key: config[key] for key in ("im_groups", "plan", "faults") if key in config}).raise_for_status()


@pytest.mark.skipif(not DAG_FILE.exists(), reason=f"{DAG_FILE.relative_to(REPO)} does not exist (yet)")
def test_two_contact_group_waves_at_latency_create_each_cohort_once_and_touch_no_hand_made_group(
    stack, contact_account, tmp_path: Path
):
    extract = WAVE.write(tmp_path / "cgwave_hires.csv")
    expected = expected_groups(extract)
    namesake = sorted(expected)[0]
    others = {_hand_made(stack, f"Team room {i}") for i in range(5)}
    adopted_id = _hand_made(stack, namesake.lower())
    before = _groups_by_id(stack)

    stack.airflow("pools", "set", POOL, str(POOL_SLOTS), "Zoom API budget of one account (e2e)")
    stack.wait_for_dag(DAG_ID)
    stack.api_call("PATCH", f"dags/{DAG_ID}", json={"is_paused": False})
    started = time.monotonic()
    conf = {"hr_extract_path": str(extract), "zoom_plan": "business"}
    run_ids = [stack.api_call("POST", f"dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf})["dag_run_id"]
               for _ in range(2)]

    def finished():
        runs = [stack.api_get(f"dags/{DAG_ID}/dagRuns/{run_id}") for run_id in run_ids]
        return runs if all(r["state"] in ("success", "failed") for r in runs) else None

    runs = wait_until("both Contact Groups wave runs to finish", finished, WAVE_TIMEOUT, interval=2)
    wall = time.monotonic() - started
    tis = [ti for ti in stack.api_list(f"dags/{DAG_ID}/dagRuns/~/taskInstances", "task_instances")
           if ti["dag_run_id"] in run_ids]
    summary = {(ti["dag_run_id"][-8:], ti["task_id"]): (ti["state"], ti["try_number"], ti["hostname"]) for ti in tis}
    assert [r["state"] for r in runs] == ["success", "success"], summary

    after = _groups_by_id(stack)
    xcoms = {run_id: {key: stack.api_get(f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task}/xcomEntries/{key}",
                                         deserialize="true")["value"]
                      for task, key in (("summarize", "summary"), ("create_groups", "return_value"))}
             for run_id in run_ids}
    # Nothing made by hand is gone or changed, but for the namesake taking its cohort in.
    assert {gid: after.get(gid) for gid in others} == {gid: before[gid] for gid in others}
    assert adopted_id in after and after[adopted_id][0] == namesake.lower()
    assert after[adopted_id][1] == expected[namesake], (summary, xcoms)
    # One group per cohort, in any case, each with every hire of its cohort; each name created once.
    by_key: dict[str, list[tuple[str, list[str]]]] = {}
    for gid, (name, members) in after.items():
        by_key.setdefault(name.casefold(), []).append((gid, members))
    assert {name: len(by_key.get(name.casefold(), [])) for name in expected} == dict.fromkeys(expected, 1)
    assert {name: by_key[name.casefold()][0][1] for name in expected} == expected
    assert stack.zoom_count(CG_CREATE, 201) - len(before) == len(expected) - 1
    # Every group id the runs' XComs report still exists.
    for run_id in run_ids:
        xcom = stack.api_get(f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/create_groups/xcomEntries/return_value",
                             deserialize="true")
        value = xcom["value"]
        reported = {row["group_id"] for key in ("created", "exists") for row in value.get(key, []) if row.get("group_id")}
        assert reported and reported <= set(after), (run_id, sorted(reported - set(after)))

    assert not [t for t in tis if t["state"] not in ("success", "skipped")], summary
    assert {t["hostname"] for t in tis if t["state"] == "success"} == set(WORKERS), summary
    # No task failed on a 429 (or anything else): every task instance ran once.
    assert {t["try_number"] for t in tis if t["state"] == "success"} == {1}, summary
    creates = [t for t in tis if t["task_id"] == "create_groups"]
    record("cg_two_waves_wall_s", round(wall, 1))
    record("cg_two_waves_create_task_s", [round(t["duration"] or 0, 1) for t in creates])
    record("cg_two_waves_429s", sum(int(by.get("429", 0)) for by in stack.zoom_state()["counters"]["requests"].values()))
    record("cg_two_waves_creates", len(expected) - 1)
    # The account's creates over the longer create task (its start, token and one listing included) / Heavy 40/s.
    record("cg_two_waves_create_rate_fraction", round((len(expected) - 1) / max(t["duration"] for t in creates) / 40, 2))
