"""(7) One Zoom budget for a deployment: four wave tasks at once, each paced to the whole Business plan, sharing the
``redis`` rate limiter.

Four processes (as four Celery task processes would be) each run ``WaveCreateGroupsOperator.execute`` with
``plan="business"`` and the connection's ``rate_limiter="redis"``, against one emulator at ``--plan business``
(80 Light requests per second for the account, 150 ms + up to 100 ms a request). They import Airflow and build their
hooks first, then start together on one signal. Each alone would send the full 80/s; sharing the slot line in Redis,
together they should reach the plan's rate and meet no 429. Redis: 127.0.0.1:6379 (started, or installed, when nothing
answers, as ``make e2e`` does), in a DB number of its own, flushed at the end.

    python -m bench.shared_limiter --tasks 4 --groups 500
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import PYTHON, REPO, ZOOM_LIKE_LATENCY, Emulator, exit_on_sigterm, log, status_counts, stop_group

CONN_ID, REDIS_CONN_ID = "bench_zoom", "bench_zoom_pacing"
BUSINESS_LIGHT_RPS = 80
START_TIMEOUT_S = 300.0


class _TaskInstanceStub:
    def xcom_push(self, key: str, value) -> None:
        pass


def child(task: int, groups: int, folder: Path, go: Path) -> None:
    """One wave task: ready, wait for ``go``, create ``groups`` groups; prints its start, end and counts."""
    from airflow_provider_zoom.hooks.zoom import ZoomHook
    from airflow_provider_zoom.operators.waves import WaveCreateGroupsOperator

    logging.getLogger("airflow").setLevel(logging.WARNING)
    ZoomHook(zoom_conn_id=CONN_ID, plan="business").check_config()  # settings read, Redis client not yet needed
    names = [f"Onboarding shared limiter task {task} {i:05d}" for i in range(groups)]
    operator = WaveCreateGroupsOperator(
        task_id="create_groups", groups=names, plan="business",
        report_dir=str(folder / f"reports-{task}"), zoom_conn_id=CONN_ID,
    )
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    started = time.time()
    result = operator.execute({"ti": _TaskInstanceStub(), "run_id": f"bench-{task}"})
    from airflow_provider_zoom._transport import rate_limit

    missed = sum(pacer.missed for pacer in rate_limit._PACERS.values())
    print(json.dumps({"task": task, "started": started, "ended": time.time(), "slots_given_up": missed,
                      **{k: result.get(k, 0) for k in ("total", "created_count", "exists_count", "failed_count")}}),
          flush=True)


def measure(tasks: int, groups: int) -> dict:
    """Creates/s of ``tasks`` concurrent waves together over the Business Light limit, and the 429s they met."""
    from tests.e2e.services import REDIS_HOST, REDIS_PORT, RedisDatabase, ensure_redis  # the e2e harness's Redis

    ensure_redis()
    redis_db = RedisDatabase.claim(f"bench-shared-limiter-{os.getpid()}")
    procs: list[subprocess.Popen] = []
    try:
        with Emulator("--plan", "business", *ZOOM_LIKE_LATENCY) as emulator, \
                tempfile.TemporaryDirectory(prefix="zoom-bench-pace-") as tmp:
            folder = Path(tmp)
            env = {
                **os.environ,
                f"AIRFLOW_CONN_{CONN_ID.upper()}": emulator.connection_uri_json(
                    credential_cache_dir=str(folder / "tokens"), group_api="im_groups",
                    rate_limiter="redis", rate_limiter_conn_id=REDIS_CONN_ID,
                ),
                f"AIRFLOW_CONN_{REDIS_CONN_ID.upper()}": json.dumps(
                    {"conn_type": "redis", "host": REDIS_HOST, "port": REDIS_PORT, "extra": {"db": redis_db.number}}
                ),
            }
            go = folder / "go"
            procs = [
                subprocess.Popen([PYTHON, "-m", "bench.shared_limiter", "--child", str(t), "--groups", str(groups),
                                  "--folder", tmp, "--go", str(go)],
                                 env=env, cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True)
                for t in range(tasks)
            ]
            deadline = time.monotonic() + START_TIMEOUT_S
            for proc in procs:
                line = proc.stdout.readline()
                if line.strip() != "ready" or time.monotonic() > deadline:
                    raise RuntimeError(f"a wave task did not get ready (its log is above): {line!r}")
            emulator.reset()
            log(f"shared_limiter: {tasks} wave tasks ready, {groups} groups each; go")
            go.touch()
            rows = []
            for proc in procs:
                out, _ = proc.communicate(timeout=START_TIMEOUT_S + groups * tasks / BUSINESS_LIGHT_RPS)
                if proc.returncode != 0:
                    raise RuntimeError(f"a wave task failed with exit status {proc.returncode} (its log is above)")
                rows.append(json.loads(out.strip().splitlines()[-1]))
            state = emulator.state()
    finally:
        for proc in procs:
            if proc.poll() is None:
                stop_group(proc)
        redis_db.flush()
    total = tasks * groups
    if sum(r["created_count"] for r in rows) != total or len(state["groups"]) != total:
        raise RuntimeError(f"the {tasks} waves did not create {total} groups: {rows}, {len(state['groups'])} exist")
    wall = max(r["ended"] for r in rows) - min(r["started"] for r in rows)
    return {
        "tasks": tasks,
        "groups_per_task": groups,
        "tasks_detail": rows,
        "wall_s": wall,
        "rate_per_s": total / wall,
        "limit_per_s": BUSINESS_LIGHT_RPS,
        "alone_each_would_send_per_s": BUSINESS_LIGHT_RPS * 0.98,
        "shared_limiter_rate_fraction": total / wall / BUSINESS_LIGHT_RPS,
        "shared_limiter_429s": status_counts(state).get("429", 0),
        "tokens_issued": state["counters"]["tokens_issued"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--groups", type=int, default=500, help="groups per wave task")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--go", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.groups, args.folder, args.go)
        return
    print(json.dumps(measure(args.tasks, args.groups)))


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
