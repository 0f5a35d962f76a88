"""(6) A whole wave in one task at the rate-limit floor: 10,000 cohorts, creates and members pipelined.

``WaveCreateGroupsOperator.execute`` (``plan="business"`` and its default concurrency, as in the wave DAG) creates
every group and adds its two people right after each create, against the emulator at ``--plan business`` with
Zoom-like latency (150 ms + up to 100 ms a request). The floor is
the time the busiest category needs at Zoom's Business limits (``wave_floor_s``): here the member calls on
Medium (one per cohort, 60/s) rather than the creates on Light (80/s). The figure is wall time / floor; the
per-category rates achieved and the 429s show where the rest goes.

    python -m bench.wave_floor --groups 10000
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import tempfile
from pathlib import Path

from bench.common import ZOOM_LIKE_LATENCY, Emulator, exit_on_sigterm, status_counts

BUSINESS_RPS = {"light": 80, "medium": 60, "heavy": 40}
MEMBERS_PER_GROUP = 2  # as in the end-to-end wave extract (bench/extracts.py)
MEMBERS_PER_CALL = 10  # IM Groups: POST /im/groups/{groupId}/members takes 10


def wave_floor_s(calls_by_category: dict[str, int]) -> float:
    """The largest of the categories' times at the Business limits: no client can finish the wave faster."""
    return max(calls / BUSINESS_RPS[category] for category, calls in calls_by_category.items())


def im_wave_calls(groups: int, members_per_group: int = MEMBERS_PER_GROUP) -> dict[str, int]:
    """An IM wave's calls: a create (Light) and ``ceil(members / 10)`` member adds (Medium) per group."""
    return {"light": groups, "medium": groups * math.ceil(members_per_group / MEMBERS_PER_CALL)}


def _category_counts(state: dict) -> dict[str, int]:
    """Answered 2xx API calls by category, from the emulator's per-route counters."""
    counts = {"light": 0, "medium": 0}
    for route, statuses in state["counters"]["requests"].items():
        ok = sum(n for status, n in statuses.items() if status.startswith("2"))
        if route == "POST /v2/im/groups":
            counts["light"] += ok
        elif " /v2/" in route:
            counts["medium"] += ok  # member adds, and any listing (Medium at Zoom)
    return counts


def measure(groups: int, max_workers: int | None = None) -> dict:
    logging.getLogger("airflow").setLevel(logging.WARNING)
    from bench.wave_throughput import run_wave

    planned = im_wave_calls(groups)
    floor = wave_floor_s(planned)
    with Emulator("--plan", "business", *ZOOM_LIKE_LATENCY) as emulator, \
            tempfile.TemporaryDirectory(prefix="zoom-bench-floor-") as tmp:
        emulator.reset()
        row = run_wave(emulator, groups, Path(tmp), plan="business", max_workers=max_workers,
                       members_per_group=MEMBERS_PER_GROUP)
        state = emulator.state()
    members_in_account = sum(len(g["members"]) for g in state["groups"])
    if row["created_count"] != groups or members_in_account != MEMBERS_PER_GROUP * groups:
        raise RuntimeError(f"the {groups}-cohort wave did not onboard every cohort: {row}, "
                           f"{members_in_account} members in the account")
    answered = _category_counts(state)
    return {
        "groups": groups,
        "members_per_group": MEMBERS_PER_GROUP,
        "max_workers": max_workers,
        "wall_s": row["wall_s"],
        "planned_calls": planned,
        "answered_calls": answered,
        "floor_by_category_s": {c: n / BUSINESS_RPS[c] for c, n in planned.items()},
        "wave_floor_s": floor,
        "rate_by_category_per_s": {c: n / row["wall_s"] for c, n in answered.items()},
        "fraction_of_limit_by_category": {c: n / row["wall_s"] / BUSINESS_RPS[c] for c, n in answered.items()},
        "members_added_with_creates": row["members_added"],
        "members_left": row["members_left"],
        "status_429": status_counts(state).get("429", 0),
        "tokens_issued": state["counters"]["tokens_issued"],
        "wave_10k_vs_floor_ratio": row["wall_s"] / floor,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--max-workers", type=int, help="a ceiling below the operator's default")
    args = parser.parse_args()
    print(json.dumps(measure(args.groups, args.max_workers)))


if __name__ == "__main__":
    exit_on_sigterm()
    main()
