"""(2) Wave throughput: 1,000 groups through ``WaveCreateGroupsOperator.execute`` at the Business Light limit; with
``--group-api contact_groups``, contact groups (one member each, sent in the create) at the Business Heavy limit.

The emulator (a separate process) enforces ``--plan business`` (80 Light requests per second) and adds Zoom-like
latency to every request (150 ms + up to 100 ms, ``bench.common.ZOOM_LIKE_LATENCY``); the operator paces with
``plan="business"`` and its default concurrency, as the wave DAG runs it. The rate counts from the first create to
the last (``bench.common.Timeline``): the token request and, on Contact Groups, the one listing of the account before
the creates are not in it. ``execute`` is called directly with a minimal context (``ti.xcom_push``,
``run_id``): this figure is the operator's own rate, not Airflow's task start-up, which (3) measures.
Every round starts from an empty account and empty token caches.

    python -m bench.wave_throughput --groups 1000 --rounds 3
    python -m bench.wave_throughput --group-api contact_groups --groups 600 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from bench.common import ZOOM_LIKE_LATENCY, Emulator, Timeline, exit_on_sigterm, median, rate_of, status_counts

CONN_ID = "bench_zoom"
BUSINESS_LIGHT_RPS = 80
BUSINESS_HEAVY_RPS = 40


class _TaskInstanceStub:
    def __init__(self) -> None:
        self.pushed: dict = {}

    def xcom_push(self, key: str, value) -> None:
        self.pushed[key] = value


def run_wave(emulator: Emulator, groups: int, folder: Path, *, plan: str | None, max_workers: int | None = None,
             group_api: str = "im_groups", members_per_group: int | None = None) -> dict:
    """One wave of ``groups`` creates through the operator; returns its wall time and its XCom counts.

    ``members_per_group`` people per group go with the creates (IM Groups: added right after each create;
    Contact Groups: in it). Default: one on Contact Groups, none on IM Groups, where this figure is the creates'.
    ``max_workers``: None leaves the operator's default. ``creates_per_s``: from the first create to the last.
    """
    from airflow_provider_zoom.operators.waves import WaveCreateGroupsOperator

    tokens = str(folder / "tokens")
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = emulator.connection_uri_json(
        credential_cache_dir=tokens, group_api=group_api
    )
    names = [f"Onboarding bench wave {i:05d}" for i in range(groups)]
    if members_per_group is None:
        members_per_group = 1 if group_api == "contact_groups" else 0
    operator = WaveCreateGroupsOperator(
        task_id="create_groups",
        groups=names,
        # Contact groups take their members in the create: one per cohort (a user lookup, Light, each).
        members_by_name={name: [f"bench.member.{i:05d}.{k}@example.com" for k in range(members_per_group)]
                         for i, name in enumerate(names)},
        plan=plan,
        **({"max_workers": max_workers} if max_workers is not None else {}),
        report_dir=str(folder / "reports"),
        zoom_conn_id=CONN_ID,
    )
    context = {"ti": _TaskInstanceStub(), "run_id": "bench"}
    with Timeline().recording() as timeline:
        started = time.perf_counter()
        result = operator.execute(context)
        wall = time.perf_counter() - started
    creates = timeline.matching("POST", lambda path: path.rstrip("/").endswith(("/contacts/groups", "/im/groups")))
    counts = ("total", "created_count", "exists_count", "failed_count", "members_added", "members_left")
    return {"wall_s": wall, "creates_per_s": rate_of(creates), **{k: result.get(k, 0) for k in counts}}


def _rounds(groups: int, rounds: int, group_api: str) -> list[dict]:
    """``rounds`` waves from an empty account, each checked: every group created (with its member on Contact Groups)."""
    logging.getLogger("airflow").setLevel(logging.WARNING)
    contact = group_api == "contact_groups"
    rows = []
    flags = ("--plan", "business", *ZOOM_LIKE_LATENCY, *(["--im-groups", "gone"] if contact else []))
    with Emulator(*flags) as emulator, \
            tempfile.TemporaryDirectory(prefix="zoom-bench-wave-") as tmp:
        for r in range(rounds):
            emulator.reset()
            row = run_wave(emulator, groups, Path(tmp) / f"round{r}", plan="business", group_api=group_api)
            state = emulator.state()
            row.update({
                "per_s": row["creates_per_s"],
                "status_429": status_counts(state).get("429", 0),
                "tokens_issued": state["counters"]["tokens_issued"],
                "groups_in_account": len(state["contact_groups" if contact else "groups"]),
            })
            if row["created_count"] != groups or row["groups_in_account"] != groups or (
                contact and row["members_added"] != groups
            ):
                raise RuntimeError(f"{group_api} round {r} did not create {groups} groups: {row}")
            rows.append(row)
    return rows


def measure(groups: int, rounds: int, group_api: str = "im_groups") -> dict:
    """IM Groups: creates over the Business Light limit (80/s); Contact Groups: over the Heavy one (40/s), user
    lookups (Light) running beside."""
    rows = _rounds(groups, rounds, group_api)
    wall = median([row["wall_s"] for row in rows])
    rate = median([row["per_s"] for row in rows])
    limit, prefix = (BUSINESS_HEAVY_RPS, "wave_cg") if group_api == "contact_groups" else (BUSINESS_LIGHT_RPS, "wave")
    return {
        "groups": groups,
        "rounds": rows,
        "wall_median_s": wall,
        "rate_median_per_s": rate,
        "limit_per_s": limit,
        f"{prefix}_rate_fraction": rate / limit,
        f"{prefix}_429s": max(row["status_429"] for row in rows),
        f"{prefix}_token_requests": max(row["tokens_issued"] for row in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--group-api", choices=("im_groups", "contact_groups"), default="im_groups")
    args = parser.parse_args()
    print(json.dumps(measure(args.groups, args.rounds, args.group_api)))


if __name__ == "__main__":
    exit_on_sigterm()
    main()
