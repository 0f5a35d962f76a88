"""(3) End to end under a real scheduler: 500 cohorts through three DAGs, DAG-run wall time of each.

What ``airflow standalone`` runs, started one by one so that ports and process groups are ours: scheduler
(LocalExecutor), DAG processor, API server, triggerer, on a scratch ``AIRFLOW_HOME``, and the emulator at
``--plan business`` as a separate process. The metadata DB is a scratch PostgreSQL database on
127.0.0.1:5432 (trust auth, created and dropped here; the cluster is started, or installed, if nothing
answers there, and then stopped again). SQLite (``--db sqlite``) runs LocalExecutor in 3.3.2 but does not
hold 16 concurrent tasks: the API server's connection pool times out waiting for SQLite's write lock
(``QueuePool limit ... timed out``) and the run stalls. The DAG folder holds symlinks to the repo's two
DAGs and the baseline. Runs are triggered through the REST API one after the other, on an emptied
emulator account each, and timed by the run's ``end_date - start_date`` as the API reports it:

(a) ``zoom_onboarding_wave``: the batch wave DAG, 100 departments x 5 ISO weeks, 2 hires each; its floor is the
    larger of 500 creates at 80/s and 500 member calls at 60/s (they run side by side), and its timeline (each
    task's duration, the gaps between tasks) says where the rest goes;
(b) ``zoom_onboarding_im_groups``: the per-group mapped sample DAG, ``--compare-cohorts`` cohorts (default: as
    many as (a)) starting on its run's day;
(c) ``baseline_http_mapped``: HttpOperator mapped per group, a token per task (``bench/dags``), likewise.

The wave DAG runs ``--wave-runs`` times (default 5) and its median counts: at 15 to 20 s, a second of scheduler
timing moves it by a twentieth. (b) and (c) run once: they last minutes over hundreds of task instances, so
their run-to-run noise is small next to the ratios. Their ratios to (a) scale their time per cohort to (a)'s
cohorts: both run one or two tasks per cohort, 16 at a time, so their time grows with the cohorts.

``[scheduler] use_job_schedule = False`` keeps the daily sample DAG from creating its catchup runs (manual
runs still run) and DAGs are unpaused at creation; every other setting is Airflow's default.

    python -m bench.scheduler_e2e --cohorts 500 [--compare-cohorts 100] [--wave-runs 5] [--keep-home]
        [--db postgres|sqlite] [--scheduler-idle-sleep S]
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from bench.common import (
    ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    PYTHON,
    REPO,
    Emulator,
    airflow_env,
    exit_on_sigterm,
    log,
    status_counts,
    stop_group,
)
from bench.extracts import DAY, write_day_extract, write_wave_extract
from bench.postgres import ScratchDatabase
from bench.wave_floor import im_wave_calls, wave_floor_s

BUSINESS_LIGHT_RPS = 80
BUSINESS_MEDIUM_RPS = 60
COMPONENTS = ("scheduler", "dag-processor", "api-server", "triggerer")
DAGS = {
    "wave": ("zoom_onboarding_wave", REPO / "dags" / "zoom_onboarding_wave.py"),
    "mapped": ("zoom_onboarding_im_groups", REPO / "dags" / "zoom_onboarding_im_groups.py"),
    "baseline": ("baseline_http_mapped", REPO / "bench" / "dags" / "baseline_http_mapped.py"),
}
START_TIMEOUT_S = 180
ZOOM_TASKS = ("create_groups", "add_members_to_new_groups", "reconcile_existing_groups")
RUN_TIMEOUT_S = {"wave": 900, "mapped": 5400, "baseline": 3600}
POLL_S = 1.0
PROGRESS_EVERY_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    """The Airflow components and the emulator; ``stop()`` ends every process group it started."""

    def __init__(self, home: Path, cohorts: int, db_url: str, settings: dict[str, str] | None = None):
        self.home = home
        self.settings = settings or {}
        self.cohorts = cohorts
        self.db_url = db_url
        self.procs: dict[str, subprocess.Popen] = {}
        self.emulator = Emulator("--plan", "business", log_path=home / "emulator.log")
        self.port = _free_port()
        self.api = f"http://127.0.0.1:{self.port}/api/v2"
        self.env: dict[str, str] = {}

    def prepare(self) -> None:
        dags = self.home / "dags"
        dags.mkdir()
        for _, path in DAGS.values():
            (dags / path.name).symlink_to(path)
        self.emulator.start()
        self.env = airflow_env(
            self.home,
            AIRFLOW__CORE__DAGS_FOLDER=str(dags),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=self.db_url,
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{self.port}/execution/",
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
            **self.settings,
            AIRFLOW_CONN_ZOOM_DEFAULT=self.emulator.connection_uri_json(),
            AIRFLOW_CONN_ZOOM_API_HTTP=json.dumps({"conn_type": "http", "host": self.emulator.api_url}),
            AIRFLOW_CONN_ZOOM_OAUTH=json.dumps({
                "conn_type": "http", "host": self.emulator.token_url, "login": CLIENT_ID,
                "password": CLIENT_SECRET, "extra": {"account_id": ACCOUNT_ID},
            }),
        )
        for argv in (["db", "migrate"], ["pools", "set", "zoom_api", "8", "Zoom API budget (bench)"]):
            done = subprocess.run([PYTHON, "-m", "airflow", *argv], env=self.env, cwd=self.home,
                                  capture_output=True, text=True, check=False, timeout=600)
            if done.returncode != 0:
                raise RuntimeError(f"airflow {' '.join(argv)} failed:\n{done.stderr[-3000:]}")

    def start(self) -> None:
        for name in COMPONENTS:
            out = open(self.home / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
            self.procs[name] = subprocess.Popen([PYTHON, "-m", "airflow", name], env=self.env, cwd=self.home,
                                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            out.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        wanted = {dag_id for dag_id, _ in DAGS.values()}
        while True:
            self._check_alive()
            try:
                seen = {d["dag_id"] for d in self._get("/dags", params={"limit": 100})["dags"]}
                if wanted <= seen:
                    return
            except (requests.RequestException, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"DAGs {sorted(wanted)} not served within {START_TIMEOUT_S}s (see {self.home})")
            time.sleep(1)

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited ({proc.returncode}); see {self.home / (name + '.log')}")

    def _get(self, path: str, **kwargs) -> dict:
        reply = requests.get(self.api + path, timeout=30, **kwargs)
        reply.raise_for_status()
        return reply.json()

    def _task_instances(self, dag_id: str, run_id: str, **params) -> int:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        return self._get(path, params={"limit": 1, **params})["total_entries"]

    def _timeline(self, dag_id: str, run_id: str, run: dict) -> dict:
        """Where a small DAG run's wall time went: each task's queue wait and duration, and the gaps between."""
        tis = self._get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})["task_instances"]
        ran = sorted((t for t in tis if t.get("start_date") and t.get("end_date") and t["state"] != "skipped"),
                     key=lambda t: t["start_date"])
        cursor = _parse_time(run["start_date"])
        tasks, gaps = [], 0.0
        for ti in ran:
            start, end = _parse_time(ti["start_date"]), _parse_time(ti["end_date"])
            queued = _parse_time(ti["queued_when"]) if ti.get("queued_when") else None
            gap = max(0.0, start - cursor)  # nothing of this run was running: scheduling, queueing, start-up
            gaps += gap
            tasks.append({"task_id": ti["task_id"], "duration_s": end - start, "gap_before_s": gap,
                          "queued_to_start_s": None if queued is None else start - queued})
            cursor = max(cursor, end)
        tail = max(0.0, _parse_time(run["end_date"]) - cursor)
        return {"tasks": tasks, "tasks_s": sum(t["duration_s"] for t in tasks), "gaps_s": gaps + tail,
                "after_last_task_s": tail,
                "skipped": sorted(t["task_id"] for t in tis if t["state"] == "skipped")}

    def stop(self) -> None:
        for proc in self.procs.values():
            stop_group(proc)
        self.procs.clear()
        self.emulator.stop()

    def run_dag(self, key: str, conf: dict, attempt: int = 0) -> dict:
        """Trigger one run on an empty emulator account, wait for it, return its times and Zoom's counters."""
        dag_id, _ = DAGS[key]
        self.emulator.reset()
        reply = requests.post(  # one second apart: each repeat is a run of its own
            f"{self.api}/dags/{dag_id}/dagRuns",
            json={"dag_run_id": f"bench_{key}_{attempt}", "logical_date": f"{DAY.isoformat()}T00:00:{attempt:02d}Z",
                  "conf": conf},
            timeout=30,
        )
        if reply.status_code >= 300:
            raise RuntimeError(f"trigger {dag_id}: HTTP {reply.status_code} {reply.text[:500]}")
        run_id = reply.json()["dag_run_id"]
        deadline = time.monotonic() + RUN_TIMEOUT_S[key]
        next_progress = time.monotonic() + PROGRESS_EVERY_S
        while True:
            self._check_alive()
            run = self._get(f"/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in ("success", "failed"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{dag_id} still {run['state']} after {RUN_TIMEOUT_S[key]}s")
            if time.monotonic() > next_progress:
                next_progress += PROGRESS_EVERY_S
                log(f"e2e: {dag_id}: {self._task_instances(dag_id, run_id, state=['success', 'skipped'])} of "
                    f"{self._task_instances(dag_id, run_id)} task instances done")
            time.sleep(POLL_S)
        tis = self._task_instances(dag_id, run_id)
        state = self.emulator.state()
        statuses = status_counts(state)
        start, end = _parse_time(run["start_date"]), _parse_time(run["end_date"])
        timeline = self._timeline(dag_id, run_id, run) if key == "wave" else None
        return {
            "dag_id": dag_id,
            "state": run["state"],
            **({"timeline": timeline} if timeline else {}),
            "wall_s": end - start,
            "queued_to_end_s": end - _parse_time(run["queued_at"]),
            "task_instances": tis,
            "wall_s_per_task_instance": (end - start) / max(tis, 1),
            "groups": len(state["groups"]),
            "members": sum(len(g["members"]) for g in state["groups"]),
            "api_requests": state["counters"]["api_requests"],
            "status_429": statuses.get("429", 0),
            "tokens_issued": state["counters"]["tokens_issued"],
        }


def _parse_time(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def _median_run(samples: list[dict]) -> dict:
    """The run of median wall time, with every run's wall time beside it."""
    ordered = sorted(samples, key=lambda run: run["wall_s"])
    return {**ordered[(len(ordered) - 1) // 2], "runs": len(samples), "wall_s_samples": [r["wall_s"] for r in samples]}


def measure(cohorts: int, keep_home: bool, only: list[str] | None = None, db: str = "postgres",
            wave_runs: int = 5, compare_cohorts: int | None = None, idle_sleep: float | None = None) -> dict:
    compare_cohorts = compare_cohorts or cohorts
    home = Path(tempfile.mkdtemp(prefix="zoom-bench-e2e-"))
    database = ScratchDatabase() if db == "postgres" else None
    stack = None
    ok = False
    runs: dict = {}
    errors: dict = {}
    try:
        db_url = database.create() if database else f"sqlite:///{home / 'airflow.db'}"
        settings = {} if idle_sleep is None else {"AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": str(idle_sleep)}
        stack = Stack(home, cohorts, db_url, settings)
        wave_csv, day_csv = home / "wave.csv", home / "day.csv"
        write_wave_extract(wave_csv, cohorts)
        write_day_extract(day_csv, compare_cohorts)
        log(f"e2e: scratch Airflow home {home}")
        stack.prepare()
        stack.start()
        log("e2e: scheduler, dag-processor, api-server, triggerer up; DAGs parsed")
        confs = {
            "wave": {"hr_extract_path": str(wave_csv), "zoom_plan": "business", "quarantine_dir": str(home)},
            "mapped": {"hr_extract_path": str(day_csv), "quarantine_dir": str(home)},
            "baseline": {"hr_extract_path": str(day_csv)},
        }
        for key in only or ("wave", "mapped", "baseline"):
            samples = []
            for attempt in range(wave_runs if key == "wave" else 1):
                log(f"e2e: running {DAGS[key][0]} over {cohorts if key == 'wave' else compare_cohorts} cohorts "
                    f"(run {attempt + 1})")
                try:
                    run = stack.run_dag(key, confs[key], attempt)
                except (RuntimeError, requests.RequestException) as exc:  # the other DAGs still get measured
                    errors[key] = str(exc)
                    log(f"e2e: {DAGS[key][0]} FAILED: {exc}")
                    break
                log(f"e2e: {DAGS[key][0]}: {run}")
                wanted = cohorts if key == "wave" else compare_cohorts
                if run["state"] != "success" or run["groups"] != wanted or run["members"] != 2 * wanted:
                    errors[key] = f"{DAGS[key][0]} did not onboard {wanted} cohorts: {run} (see {home})"
                    break
                samples.append(run)
            if key not in errors:
                runs[key] = _median_run(samples)
        ok = not errors
    finally:
        if stack is not None:
            stack.stop()
        if database is not None:
            database.drop()
        if ok and not keep_home:
            shutil.rmtree(home, ignore_errors=True)
    calls = im_wave_calls(cohorts)  # a create (Light) and one member call (Medium, 2 people) per cohort
    floor = wave_floor_s(calls)
    result: dict = {"cohorts": cohorts, "compare_cohorts": compare_cohorts, "runs": runs, "errors": errors,
                    "planned_calls": calls, "floor_s": floor,
                    "floor_light_only_s": cohorts / BUSINESS_LIGHT_RPS,  # the floor of 0.1 (creates only)
                    "floor_one_after_the_other_s": cohorts / BUSINESS_LIGHT_RPS + cohorts / BUSINESS_MEDIUM_RPS,
                    "settings": {"executor": "LocalExecutor", "database": db,
                                 "components": list(COMPONENTS), "zoom_api_pool_slots": 8,
                                 "wave_runs": wave_runs, "scheduler_idle_sleep_time": idle_sleep or "default (1 s)"}}
    if "wave" in runs:
        wave = runs["wave"]["wall_s"]
        result["e2e_batch_vs_floor_ratio"] = wave / floor
        timeline = runs["wave"].get("timeline")
        if timeline:
            zoom_tasks = [t for t in timeline["tasks"] if t["task_id"] in ZOOM_TASKS]
            result["wave_breakdown"] = {
                "zoom_tasks_s": sum(t["duration_s"] for t in zoom_tasks),
                "zoom_tasks_vs_floor": sum(t["duration_s"] for t in zoom_tasks) / floor,
                "other_tasks_s": timeline["tasks_s"] - sum(t["duration_s"] for t in zoom_tasks),
                "gaps_s": timeline["gaps_s"],
            }
        # The per-group DAGs run at ``compare_cohorts``: they scale with the cohorts (one task or two per cohort,
        # 16 at a time), so their time per cohort, times ``cohorts``, stands for a run at ``cohorts``.
        scale = cohorts / compare_cohorts
        for key, figure in (("mapped", "e2e_mapped_vs_batch_ratio"), ("baseline", "e2e_baseline_vs_batch_ratio")):
            if key in runs:
                runs[key]["wall_s_per_cohort"] = runs[key]["wall_s"] / compare_cohorts
                runs[key]["wall_s_scaled_to_cohorts"] = runs[key]["wall_s"] * scale
                result[figure] = runs[key]["wall_s"] * scale / wave
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cohorts", type=int, default=500)
    parser.add_argument("--keep-home", action="store_true", help="keep the scratch AIRFLOW_HOME (logs)")
    parser.add_argument("--only", action="append", choices=sorted(DAGS), help="run only these DAGs")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--wave-runs", type=int, default=5, help="runs of the wave DAG; its median counts")
    parser.add_argument("--compare-cohorts", type=int,
                        help="cohorts of the per-group mapped and HttpOperator DAGs (default: --cohorts); their "
                             "ratios to the wave DAG scale their time per cohort to --cohorts")
    parser.add_argument("--scheduler-idle-sleep", type=float,
                        help="[scheduler] scheduler_idle_sleep_time, for a what-if (default: Airflow's, 1 s)")
    args = parser.parse_args()
    print(json.dumps(measure(args.cohorts, args.keep_home, args.only, args.db, args.wave_runs,
                             args.compare_cohorts, args.scheduler_idle_sleep)))


if __name__ == "__main__":
    exit_on_sigterm()
    main()
