"""Tasks racing to create the same cohorts on an account that allows duplicate names end with exactly one group
per name holding every member: each name is claimed before it is created (``groups.contact.claims``), so no
second group is made, none is deleted, and no task reports a group that is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.groups.contact.backend import ContactGroups
from airflow_provider_zoom.hooks.zoom import ZoomHook

QUICK = RetryPolicy(max_attempts=12, max_retry_seconds=60, backoff_base_s=0.01, backoff_max_s=0.1)
COHORTS = [f"Onboarding 2026-W{week:02d} {team}" for week in (47, 48) for team in (
    "Engineering", "Sales", "Support", "Finance", "Legal", "People", "Design", "Data", "Ops", "Marketing")]


def contact_groups(zoom) -> dict[str, list[list[str]]]:
    """Contact groups as users see them: name -> one sorted list of member emails per group of that name."""
    result: dict[str, list[list[str]]] = {}
    for group in zoom.state()["contact_groups"]:
        result.setdefault(group["group_name"], []).append(sorted(m["email"] or m["id"] for m in group["members"]))
    return result


def members_of(cohort: int, worker: int) -> list[str]:
    """What one worker's run brings for a cohort: the shared hires plus one only this run knows of."""
    return [f"c{cohort:02d}-common-{i}@example.com" for i in range(3)] + [f"c{cohort:02d}-w{worker}@example.com"]


def union_of(cohort: int, workers: int) -> list[str]:
    return sorted({e for w in range(workers) for e in members_of(cohort, w)})


def assert_one_group_per_name_with_every_member(zoom, workers: int) -> None:
    final = contact_groups(zoom)
    assert sorted(final) == sorted(COHORTS)
    for index, name in enumerate(COHORTS):
        assert len(final[name]) == 1, f"{name}: {len(final[name])} groups"
        missing = sorted(set(union_of(index, workers)) - set(final[name][0]))
        assert final[name][0] == union_of(index, workers), f"{name}: missing {missing}"


def run_threads(zoom, workers: int, *, shuffle: bool) -> list[list]:
    barrier = threading.Barrier(workers)
    results: list[list] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        client = ContactGroups(ZoomHook(retry_policy=QUICK))  # its own index and cache: another machine
        order = list(enumerate(COHORTS))
        if shuffle and worker % 2:
            order.reverse()
        barrier.wait()
        try:
            for index, name in order:
                outcome = client.create_group(validate_group_spec(name), members=members_of(index, worker))
                if outcome.outcome == "exists":  # the DAG's branch: add the run's people to the existing group
                    client.add_members(outcome.group_id, members_of(index, worker), only_missing=True,
                                                name=name)
                results[worker].append(outcome)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results


def figures(zoom, results) -> dict:
    state = zoom.state()
    requests_ = state["counters"]["requests"]
    outcomes = Counter(o.outcome for run in results for o in run)
    final_ids = {g["group_id"] for g in state["contact_groups"]}
    stale = sum(1 for run in results for o in run if o.group_id not in final_ids)
    return {
        "creates": sum(requests_.get("POST /v2/contacts/groups", {}).values()),
        "deletes": requests_.get("DELETE /v2/contacts/groups/{groupId}", {}).get("204", 0),
        "deletes_already_done": requests_.get("DELETE /v2/contacts/groups/{groupId}", {}).get("400", 0),
        "outcomes": dict(outcomes),
        "ids_merged_after_return": stale,
    }


@pytest.mark.parametrize(("workers", "shuffle", "latency"), [
    (2, False, 0), (4, False, 0), (4, True, 0), (4, False, 40), (3, True, 25),
])
def test_racing_threads_leave_one_group_per_name_with_the_union_of_members(zoom, workers, shuffle, latency):
    if latency:
        zoom.configure(faults={"seed": workers, "latency_ms": 1, "latency_jitter_ms": latency})
    results = run_threads(zoom, workers, shuffle=shuffle)

    assert_one_group_per_name_with_every_member(zoom, workers)
    found = figures(zoom, results)
    print(f"\nrace workers={workers} shuffle={shuffle} jitter={latency}ms: {json.dumps(found)}")
    assert found["creates"] == len(COHORTS)  # the claim: one create per name across every task
    assert found["deletes"] == 0 and found["ids_merged_after_return"] == 0  # every reported id is still there
    assert found["outcomes"]["created"] == len(COHORTS)  # each name reported created once
    # A later lookup picks the winner for every name.
    client = ContactGroups(ZoomHook(retry_policy=QUICK))
    state = {g["group_name"]: g["group_id"] for g in zoom.state()["contact_groups"]}
    for name in COHORTS:
        assert client.create_group(validate_group_spec(name.upper())).group_id == state[name]


def test_racing_processes_with_lost_replies_converge(zoom, tmp_path):
    """Two processes (as two Airflow workers on two machines), started together, with creates whose reply is lost."""
    zoom.configure(faults={"seed": 7, "commit_then_fail": 0.3, "latency_ms": 1, "latency_jitter_ms": 20})
    start_at = time.time() + 12  # both past their imports by then
    script = textwrap.dedent(f"""
        import json, sys, time
        sys.path.insert(0, {str(os.getcwd())!r})
        from tests.groups.test_contact_groups_race import COHORTS, QUICK, members_of
        from airflow_provider_zoom.group_spec import validate_group_spec
        from airflow_provider_zoom.groups.contact.backend import ContactGroups
        from airflow_provider_zoom.hooks.zoom import ZoomHook
        worker = int(sys.argv[1])
        client = ContactGroups(ZoomHook(retry_policy=QUICK))
        time.sleep(max(0.0, {start_at} - time.time()))
        out = []
        for index, name in enumerate(COHORTS):
            o = client.create_group(validate_group_spec(name), members=members_of(index, worker))
            if o.outcome == "exists":
                client.add_members(o.group_id, members_of(index, worker), only_missing=True, name=name)
            out.append(o.outcome)
        print(json.dumps(out))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(w)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=os.environ.copy()) for w in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    outcomes = Counter(o for out, _ in outputs for o in json.loads(out.strip().splitlines()[-1]))

    assert_one_group_per_name_with_every_member(zoom, 2)
    state = zoom.state()
    assert state["counters"]["requests"].get("DELETE /v2/contacts/groups/{groupId}", {}) == {}
    assert outcomes["created"] == len(COHORTS)  # the file lock: each name created by one process only
    print(f"\nprocess race: outcomes={dict(outcomes)} lost replies={state['counters']['faults']['commit_then_fail']} "
          f"creates={sum(state['counters']['requests']['POST /v2/contacts/groups'].values())} "
          f"deletes={state['counters']['requests'].get('DELETE /v2/contacts/groups/{groupId}', {}).get('204', 0)}")
