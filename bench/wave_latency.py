"""(9) Waves at Zoom-like latency: what a worker reaches when every request waits a network round trip.

The emulator (a separate process, ``--plan business``) adds 150 ms + up to 100 ms of jitter to every request, as for
a worker in another region than Zoom's API, and then 400 ms + up to 200 ms. The operators run with the wave DAG's
defaults: only ``plan="business"`` is set, never ``max_workers``.

Rates count from a wave's first write to its last, from client-side timestamps of every request (:class:`Timeline`
wraps requests' transport adapter in this process): the one listing of the account that may come before the creates
is latency-bound (sequential pages) and is reported apart as ``wave_cg_listing_s``.

- creates: ``WaveCreateGroupsOperator``; IM Groups over the Light limit (80/s), Contact Groups (one member each, in
  the create) over Heavy (40/s);
- member calls: ``WaveAddMembersOperator`` adding new people to each of those groups; IM two a group over Medium (60/s,
  one call per group), Contact Groups one a group (and its user lookup) over Heavy;
- an account holding 2,000 contact groups (made beforehand, not by the provider): the Contact Groups create wave, its
  list calls, its listing time, and the daily DAG's create task per cohort (``CreateGroupOperator.execute``, each task
  with a fresh hook as a worker runs it).

    python -m bench.wave_latency --groups 400
    python -m bench.wave_latency --steady 150:10     # a steadier network: the 429s come from the jitter
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import resource
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.common import (
    CLIENT_ID,
    CLIENT_SECRET,
    LATENCIES,
    Emulator,
    Timeline,
    exit_on_sigterm,
    rate_of,
    status_counts,
)

CONN_ID = "bench_zoom"
LIMITS = {"light": 80, "medium": 60, "heavy": 40}
EXISTING_GROUPS = 2000


def _is_group_list(path: str) -> bool:
    return path.rstrip("/").endswith(("/v2/contacts/groups", "/v2/im/groups"))


def _is_create(path: str) -> bool:
    return _is_group_list(path)  # POST on the collection


def _is_member_add(path: str) -> bool:
    return path.rstrip("/").endswith("/members")


def _connect(emulator: Emulator, folder: Path, group_api: str) -> None:
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = emulator.connection_uri_json(
        credential_cache_dir=str(folder / "tokens"), group_api=group_api
    )


class _TaskInstanceStub:
    def __init__(self) -> None:
        self.pushed: dict = {}

    def xcom_push(self, key: str, value) -> None:
        self.pushed[key] = value

    def xcom_pull(self, *args, **kwargs):
        return None


def _context() -> dict:
    return {"ti": _TaskInstanceStub(), "run_id": "bench"}


def _in_dag_run(operator):
    """Airflow's current context as a task of the daily DAG's run ``bench`` sees it (dag and run_id)."""
    from types import SimpleNamespace

    from airflow.sdk.execution_time.context import set_current_context

    return set_current_context({**_context(), "dag": SimpleNamespace(dag_id="zoom_onboarding_im_groups"),
                                "task": operator})


def _create_wave(names: list[str], members: dict[str, list[str]], folder: Path) -> dict:
    from airflow_provider_zoom.operators.waves import WaveCreateGroupsOperator

    operator = WaveCreateGroupsOperator(task_id="create_groups", groups=names, members_by_name=members,
                                        plan="business", report_dir=str(folder / "reports"), zoom_conn_id=CONN_ID)
    return operator.execute(_context())


def _member_wave(groups: list[dict], folder: Path) -> dict:
    from airflow_provider_zoom.operators.waves import WaveAddMembersOperator

    operator = WaveAddMembersOperator(task_id="add_members", groups=groups, plan="business",
                                      report_dir=str(folder / "reports"), zoom_conn_id=CONN_ID)
    return operator.execute(_context())


def _group_ids(emulator: Emulator, contact: bool) -> dict[str, str]:
    state = emulator.state()
    if contact:
        return {g["group_name"]: g["group_id"] for g in state["contact_groups"]}
    return {g["name"]: g["id"] for g in state["groups"]}


def _one_latency(emulator: Emulator, groups: int, folder: Path, *, contact: bool, tag: str) -> dict:
    """A create wave then a member wave from an empty account; both checked against the account."""
    emulator.reset()
    _connect(emulator, folder, "contact_groups" if contact else "im_groups")
    names = [f"Onboarding latency {tag} {i:05d}" for i in range(groups)]
    first = {n: ([f"lat.{tag}.{i:05d}.a@example.com"] if contact else []) for i, n in enumerate(names)}
    with Timeline().recording() as timeline:
        started = time.monotonic()
        result = _create_wave(names, first, folder / "create")
        create_wall = time.monotonic() - started
    creates = timeline.matching("POST", _is_create)
    if result["created_count"] != groups or len(_group_ids(emulator, contact)) != groups:
        raise RuntimeError(f"{tag}: the create wave did not create {groups} groups: {result}")
    ids = _group_ids(emulator, contact)
    # IM: two people a call (no lookups); Contact Groups: one, as its creates carry one (a user lookup each, Light,
    # beside the Heavy add: two a group would make the lookups as binding as the adds).
    per_group = 1 if contact else 2
    assignments = [{"group_id": ids[n], "name": n,
                    "emails": [f"lat.{tag}.{i:05d}.{k}@example.com" for k in range(per_group)]}
                   for i, n in enumerate(names)]
    with Timeline().recording() as members_timeline:
        started = time.monotonic()
        members = _member_wave(assignments, folder / "members")
        member_wall = time.monotonic() - started
    member_calls = members_timeline.matching("POST", _is_member_add)
    if members["members_added"] != per_group * groups:
        raise RuntimeError(f"{tag}: the member wave added {members['members_added']} of {per_group * groups}")
    state = emulator.state()
    create_limit = LIMITS["heavy" if contact else "light"]
    member_limit = LIMITS["heavy" if contact else "medium"]
    return {
        "groups": groups,
        "create_wall_s": create_wall,
        "create_rate_per_s": rate_of(creates),
        "create_rate_fraction": rate_of(creates) / create_limit,
        "member_wall_s": member_wall,
        "member_calls": len(member_calls),
        "member_rate_per_s": rate_of(member_calls),
        "member_rate_fraction": rate_of(member_calls) / member_limit,
        "list_requests": len(timeline.matching("GET", _is_group_list)),
        "status_429": status_counts(state).get("429", 0),
        "routes_429": {route: by["429"] for route, by in state["counters"]["requests"].items() if by.get("429")},
        "tokens_issued": state["counters"]["tokens_issued"],
        "median_request_s": statistics.median(c[3] - c[2] for c in timeline.calls),
    }


def _seed_contact_groups(emulator: Emulator, count: int) -> None:
    """``count`` contact groups made as an admin would, outside the provider: no limits and no latency meanwhile."""
    config = requests.get(f"{emulator.url}/_emulator/config", timeout=30).json()
    requests.put(f"{emulator.url}/_emulator/config", json={"plan": "unlimited", "faults": {}}, timeout=30)
    token = requests.post(f"{emulator.url}/oauth/token", auth=(CLIENT_ID, CLIENT_SECRET), timeout=30,
                          params={"grant_type": "account_credentials", "account_id": emulator.account_id}
                          ).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def create(i: int) -> None:
        reply = session.post(f"{emulator.api_url}/contacts/groups", timeout=30,
                             json={"group_name": f"Team room {i:05d}", "group_privacy": 1})
        reply.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(count)))
    faults = config.get("faults") or {}
    requests.put(f"{emulator.url}/_emulator/config", timeout=30,
                 json={"plan": config.get("plan", "business"), "faults": faults}).raise_for_status()
    requests.post(f"{emulator.url}/_emulator/tokens/invalidate", timeout=30)


def _existing(emulator: Emulator, groups: int, cohorts: int, folder: Path) -> dict:
    """The Contact Groups create wave, then the daily DAG's create tasks, in an account of 2,000 groups."""
    from airflow_provider_zoom.operators.groups import CreateGroupOperator

    emulator.reset()
    _seed_contact_groups(emulator, EXISTING_GROUPS)
    _connect(emulator, folder, "contact_groups")
    names = [f"Onboarding existing {i:05d}" for i in range(groups)]
    with Timeline().recording() as timeline:
        started = time.monotonic()
        result = _create_wave(names, {n: [f"ex.{i:05d}@example.com"] for i, n in enumerate(names)}, folder / "wave")
        wall = time.monotonic() - started
    creates = timeline.matching("POST", _is_create)
    lists = timeline.matching("GET", _is_group_list)
    first_create = min(c[2] for c in creates)
    listing = [c for c in lists if c[3] <= first_create]
    if result["created_count"] != groups:
        raise RuntimeError(f"existing: the wave created {result['created_count']} of {groups}: {result}")
    task_s = []
    for i in range(cohorts):  # the daily DAG's create task per cohort: a fresh operator and hook each
        operator = CreateGroupOperator(task_id=f"create_group_{i}", name=f"Onboarding 2026-W{40 + i:02d} Daily",
                                       zoom_conn_id=CONN_ID)
        started = time.monotonic()
        with _in_dag_run(operator):  # the tasks of one daily run (they share its listing of the account)
            outcome = operator.execute(_context())
        task_s.append(time.monotonic() - started)
        if outcome["outcome"] != "created":
            raise RuntimeError(f"existing: cohort {i} was not created: {outcome}")
    state = emulator.state()
    if len(state["contact_groups"]) != EXISTING_GROUPS + groups + cohorts:
        raise RuntimeError(f"existing: {len(state['contact_groups'])} groups in the account")
    return {
        "existing_groups": EXISTING_GROUPS,
        "groups": groups,
        "wall_s": wall,
        "create_rate_per_s": rate_of(creates),
        "wave_cg_existing_2000_rate_fraction": rate_of(creates) / LIMITS["heavy"],
        "wave_cg_list_requests": len(lists),
        # one full listing of the account at its largest in this wave: 50 groups a page (Zoom's maximum)
        "wave_cg_full_listings": len(lists) / math.ceil((EXISTING_GROUPS + groups) / 50),
        "wave_cg_listing_s": (max(c[3] for c in listing) - min(c[2] for c in listing)) if listing else 0.0,
        # The first task of the run lists the account (40 pages, latency-bound); the others use its listing.
        "daily_task_create_s": task_s,
        "daily_cg_existing_2000_create_s": statistics.median(task_s),
        "daily_cg_existing_2000_first_task_s": task_s[0],
        "status_429": status_counts(state).get("429", 0),
        "tokens_issued": state["counters"]["tokens_issued"],
    }


def steady(groups: int, latency_ms: int, jitter_ms: int) -> dict:
    """Both APIs' waves at one latency only (``--steady 150:10``: a steadier network than ``LATENCIES``)."""
    logging.getLogger("airflow").setLevel(logging.WARNING)
    flags = ("--plan", "business", "--fault-latency-ms", str(latency_ms), "--fault-latency-jitter-ms", str(jitter_ms))
    with tempfile.TemporaryDirectory(prefix="zoom-bench-latency-") as tmp:
        with Emulator(*flags) as emulator:
            im = _one_latency(emulator, groups, Path(tmp) / "im", contact=False, tag="ims")
        with Emulator(*flags, "--im-groups", "gone") as emulator:
            cg = _one_latency(emulator, groups, Path(tmp) / "cg", contact=True, tag="cgs")
    return {"latency_ms": latency_ms, "jitter_ms": jitter_ms, "im": im, "cg": cg}


def measure(groups: int, cohorts: int) -> dict:
    logging.getLogger("airflow").setLevel(logging.WARNING)
    runs: dict = {}
    with tempfile.TemporaryDirectory(prefix="zoom-bench-latency-") as tmp:
        for label, (latency, jitter) in LATENCIES.items():
            flags = ("--plan", "business", "--fault-latency-ms", str(latency), "--fault-latency-jitter-ms", str(jitter))
            with Emulator(*flags) as emulator:
                runs[f"im_{label}"] = _one_latency(emulator, groups, Path(tmp) / f"im{label}", contact=False,
                                                   tag=f"im{label}")
            with Emulator(*flags, "--im-groups", "gone") as emulator:
                runs[f"cg_{label}"] = _one_latency(emulator, groups, Path(tmp) / f"cg{label}", contact=True,
                                                   tag=f"cg{label}")
        latency, jitter = LATENCIES["150ms"]
        with Emulator("--plan", "business", "--fault-latency-ms", str(latency), "--fault-latency-jitter-ms",
                      str(jitter), "--im-groups", "gone") as emulator:
            existing = _existing(emulator, groups, cohorts, Path(tmp) / "existing")
    im = [runs[f"im_{label}"] for label in LATENCIES]
    cg = [runs[f"cg_{label}"] for label in LATENCIES]
    return {
        "runs": runs,
        "existing": existing,
        "wave_im_latency_rate_fraction": min(r["create_rate_fraction"] for r in im),
        "wave_im_members_latency_rate_fraction": min(r["member_rate_fraction"] for r in im),
        "wave_cg_latency_rate_fraction": min(r["create_rate_fraction"] for r in cg),
        "wave_cg_members_latency_rate_fraction": min(r["member_rate_fraction"] for r in cg),
        "wave_latency_429s": max(r["status_429"] for r in [*im, *cg, existing]),
        "wave_latency_token_requests": max(r["tokens_issued"] for r in [*im, *cg]),
        "wave_cg_existing_2000_rate_fraction": existing["wave_cg_existing_2000_rate_fraction"],
        "wave_cg_list_requests": existing["wave_cg_list_requests"],
        "wave_cg_full_listings": existing["wave_cg_full_listings"],
        "wave_cg_listing_s": existing["wave_cg_listing_s"],
        "daily_cg_existing_2000_create_s": existing["daily_cg_existing_2000_create_s"],
        "daily_cg_existing_2000_first_task_s": existing["daily_cg_existing_2000_first_task_s"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=400)
    parser.add_argument("--cohorts", type=int, default=5, help="daily create tasks in the 2,000-group account")
    parser.add_argument("--steady", metavar="MS:JITTER_MS",
                        help="only both APIs' waves at this latency (not part of make bench), e.g. 150:10")
    args = parser.parse_args()
    if args.steady:
        latency_ms, jitter_ms = (int(part) for part in args.steady.split(":"))
        print(json.dumps(steady(args.groups, latency_ms, jitter_ms)))
        return
    print(json.dumps(measure(args.groups, args.cohorts)))


if __name__ == "__main__":
    exit_on_sigterm()
    main()
