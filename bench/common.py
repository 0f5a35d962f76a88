"""What every benchmark shares: the emulator as a separate process, process groups, medians, the machine."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import requests

from zoom_emulator.process import EmulatorProcess, stop_process

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLIENT_ID, CLIENT_SECRET, ACCOUNT_ID = "bench-client-id", "bench-client-secret", "bench-account"
STOP_TIMEOUT_S = 10.0
#: The emulator's added delay per request (ms, jitter up to ms): a worker in another region than Zoom's API, then a far
#: one. Rate figures are measured under the first (``ZOOM_LIKE_LATENCY``); only client_overhead runs on bare loopback.
LATENCIES = {"150ms": (150, 100), "400ms": (400, 200)}
ZOOM_LIKE_LATENCY = ("--fault-latency-ms", "150", "--fault-latency-jitter-ms", "100")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def stop_group(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM the process group ``proc`` leads (started with ``start_new_session``), SIGKILL what stays."""
    stop_process(proc, group=True, timeout=timeout)


class Emulator(EmulatorProcess):
    """The benchmarks' emulator: its own process (and process group) on a free port, with the bench's OAuth app.

    A separate process, so that its CPU and memory are not counted as the provider's. Every address the
    benchmarks generate (``bench/extracts.py``) is @example.com, a user domain of its account.
    """

    def __init__(self, *args: str, log_path: Path | None = None):
        super().__init__(
            *args, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, account_id=ACCOUNT_ID, log_path=log_path,
            new_session=True, cwd=REPO, stop_timeout=STOP_TIMEOUT_S, user_domains=["example.com"],
        )


def status_counts(state: dict) -> dict[str, int]:
    """Replies per HTTP status over every route of the emulator's counters."""
    totals: dict[str, int] = {}
    for statuses in state["counters"]["requests"].values():
        for status, n in statuses.items():
            totals[status] = totals.get(status, 0) + n
    return totals


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment whose Airflow lives in ``home`` (never ~/airflow), without the example DAGs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "PYTHONPATH": str(REPO),
        **extra,
    })
    return env


def run_child(module: str, args: Sequence[str], env: dict[str, str], timeout: float | None = None) -> dict:
    """Run ``python -m module args`` and return the JSON object its last stdout line holds.

    The child's stderr (its progress lines) goes to ours. On timeout or Ctrl-C the child gets SIGTERM first
    (the benchmarks then stop what they started) and SIGKILL only if it is still there two minutes later.
    """
    proc = subprocess.Popen([PYTHON, "-m", module, *args], env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except BaseException:
        proc.terminate()
        try:
            proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed with exit status {proc.returncode} (its log is above)")
    return json.loads(stdout.strip().splitlines()[-1])


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that ``finally`` blocks stop the processes a benchmark started."""
    def _raise(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _raise)


def code_version() -> dict:
    """The commit measured, and whether the provider or DAG files differed from it at that moment."""
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_changes": bool(git("status", "--porcelain", "--", "airflow_provider_zoom", "dags"))}


def machine() -> dict:
    """What the figures were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
    from importlib.metadata import version

    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "apache_airflow": version("apache-airflow"),
        "apache_airflow_task_sdk": version("apache-airflow-task-sdk"),
        "apache_airflow_providers_http": version("apache-airflow-providers-http"),
        "airflow_provider_zoom": version("airflow-provider-zoom"),
        "requests": version("requests"),
        "uvicorn": version("uvicorn"),
    }


class Timeline:
    """Every HTTP request this process sends: ``(method, path, started, ended, status)``, in monotonic seconds."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float, float, int]] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def recording(self) -> Iterator[Timeline]:
        original = requests.adapters.HTTPAdapter.send
        timeline = self

        def send(adapter, request, *args, **kwargs):
            started = time.monotonic()
            response = original(adapter, request, *args, **kwargs)
            with timeline._lock:
                timeline.calls.append((request.method, urlsplit(request.url).path, started, time.monotonic(),
                                       response.status_code))
            return response

        requests.adapters.HTTPAdapter.send = send
        try:
            yield self
        finally:
            requests.adapters.HTTPAdapter.send = original

    def matching(self, method: str, path_is) -> list[tuple[str, str, float, float, int]]:
        return [c for c in self.calls if c[0] == method and path_is(c[1])]


def rate_of(calls: list[tuple[str, str, float, float, int]]) -> float:
    """The rate the calls were sent at: the intervals between their starts, first to last. (Zoom counts a request
    when it arrives, a round trip's first half after its start; so does the emulator, after all of its delay.)"""
    starts = sorted(c[2] for c in calls)
    if len(starts) < 2 or starts[-1] == starts[0]:
        return 0.0
    return (len(starts) - 1) / (starts[-1] - starts[0])
