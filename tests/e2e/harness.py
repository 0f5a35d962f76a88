"""A real Airflow 3 deployment on this machine, for the e2e tests.

``Stack`` starts, as subprocesses of their own process groups, against a PostgreSQL database of its own and
a Redis DB of its own, with a scratch ``AIRFLOW_HOME``:

- the Zoom emulator (``pro`` plan limits, ``latest-only`` tokens),
- ``airflow scheduler`` with the **CeleryExecutor** (Redis broker, PostgreSQL result backend),
- ``airflow dag-processor`` on this repo's ``dags/``,
- ``airflow api-server`` (simple auth manager, one known admin user, Test button enabled),
- ``airflow triggerer``,
- two ``airflow celery worker`` processes (``worker-a``, ``worker-b``, 2 slots each).

The ``zoom_default`` connection paces with ``rate_limiter="redis"`` in the run's Redis DB (connection
``zoom_rate_limiter``), so that every task on both workers shares the account's per-second budget.

**The clock.** The sample extract's hires start between 2026-11-23 and 2026-12-11, and Airflow only backfills
intervals that have ended (and only starts runs whose ``run_after`` is past, by the database's ``now()``). So the
whole deployment lives on a clock shifted to ``FAKE_NOW`` (the day after the wave), whatever today is: every
Airflow process shifts its wall clock by one fixed offset at start (``clock/sitecustomize.py``, time-machine;
monotonic clocks and sleeps are untouched), and ``now()`` in the run's database is shifted by the same offset
(see ``PostgresDatabase.create``). The emulator, Redis, PostgreSQL itself and the browser keep the real clock;
none of them compares times with Airflow.

Everything started is stopped by ``stop()`` (also from ``atexit``): process groups get SIGTERM, then SIGKILL,
and any process still carrying this run's ``ZOOM_E2E_RUN`` environment marker is killed by pid.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.e2e.services import REDIS_HOST, REDIS_PORT, PostgresDatabase, RedisDatabase, ensure_postgres, ensure_redis
from zoom_emulator.process import EmulatorProcess

REPO = Path(__file__).resolve().parents[2]
FAKE_NOW = datetime.datetime(2026, 12, 12, 12, 0, tzinfo=datetime.UTC)
ADMIN_USER = "admin"
EMULATOR_CLIENT_ID = "e2e-client-id"
EMULATOR_CLIENT_SECRET = "e2e-client-secret"
EMULATOR_ACCOUNT_ID = "e2e-account"
WORKERS = ("worker-a", "worker-b")
WORKER_CONCURRENCY = 2
STARTUP_TIMEOUT = 240.0
STOP_TIMEOUT = 20.0
RUN_MARKER = "ZOOM_E2E_RUN"
RATE_LIMITER_CONN_ID = "zoom_rate_limiter"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(what: str, check: Callable[[], Any], timeout: float, interval: float = 1.0, on_timeout=None) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - retried until the deadline, reported then
            last_error = exc
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            extra = f"\n{on_timeout()}" if on_timeout else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{detail}{extra}")
        time.sleep(interval)


@dataclass
class Component:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own, signalled as a whole
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def signal_group(self, signum: int) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signum)


@dataclass
class Stack:
    root: Path
    fake_now: datetime.datetime = FAKE_NOW
    run_id: str = field(default_factory=lambda: f"{os.getpid()}-{secrets.token_hex(4)}")
    components: dict[str, Component] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home = self.root / "airflow-home"
        self.logs = self.home / "component-logs"
        self.clock_offset_s = int((self.fake_now - datetime.datetime.now(datetime.UTC)).total_seconds())
        self.db: PostgresDatabase | None = None
        self.redis: RedisDatabase | None = None
        self.admin_password = secrets.token_urlsafe(12)
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.emulator: EmulatorProcess | None = None
        self.emulator_url = ""
        self._api: requests.Session | None = None
        self._stopped = False

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> Stack:
        atexit.register(self.stop)
        started = time.monotonic()
        ensure_postgres()
        ensure_redis()
        self.db = PostgresDatabase.create(self.clock_offset_s)
        self.redis = RedisDatabase.claim(self.run_id)
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({ADMIN_USER: self.admin_password}))
        self._start_emulator()
        self.env = self._airflow_env()
        step = time.monotonic()
        self.airflow("db", "migrate", timeout=300)
        self.timings["db_migrate_s"] = time.monotonic() - step
        step = time.monotonic()
        self._add("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "1"])
        self._add("scheduler", ["scheduler", "--skip-serve-logs"])
        self._add("dag-processor", ["dag-processor"])
        self._add("triggerer", ["triggerer", "--skip-serve-logs"])
        for name in WORKERS:
            self._add(
                name,
                [
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"{name}@%h",
                    "--concurrency",
                    str(WORKER_CONCURRENCY),
                    "--without-gossip",
                    "--without-mingle",
                ],
                ZOOM_E2E_WORKER_HOSTNAME=name,
                AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
            )
        for component in self.components.values():
            if component.name != "emulator":
                component.start()
        wait_until(
            "the API server, scheduler, DAG processor and triggerer to report healthy",
            self._healthy,
            STARTUP_TIMEOUT,
            on_timeout=self.log_tails,
        )
        for name in WORKERS:
            wait_until(
                f"Celery worker {name} to be ready",
                lambda n=name: self._worker_ready(n),
                STARTUP_TIMEOUT,
                on_timeout=self.log_tails,
            )
        self.timings["components_ready_s"] = time.monotonic() - step
        self.timings["startup_s"] = time.monotonic() - started
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        running = [c for c in reversed(self.components.values()) if c.popen is not None]
        for component in running:
            component.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for component in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                component.popen.wait(max(0.1, deadline - time.monotonic()))
        for component in running:
            component.signal_group(signal.SIGKILL)  # whatever of the group is left, e.g. pool children
            with contextlib.suppress(subprocess.TimeoutExpired):
                component.popen.wait(5)
        if self.emulator is not None:
            self.emulator.stop()  # its process group is gone by now: this closes its pipe and log
        self._kill_marked_processes()
        if self.db is not None:
            with contextlib.suppress(Exception):
                self.db.drop()
        if self.redis is not None:
            with contextlib.suppress(Exception):
                self.redis.flush()

    def _kill_marked_processes(self) -> None:
        """Task processes run in process groups of their own: find any left by this run's marker and kill it."""
        import psutil

        marker = f"{RUN_MARKER}={self.run_id}".encode()
        for _ in range(3):
            leftovers = []
            for proc in psutil.process_iter():
                with contextlib.suppress(psutil.Error, OSError):
                    if proc.pid != os.getpid() and marker in Path(f"/proc/{proc.pid}/environ").read_bytes():
                        leftovers.append(proc)
            if not leftovers:
                return
            for proc in leftovers:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            psutil.wait_procs(leftovers, timeout=5)

    def marked_processes(self) -> list[int]:
        """Pids still carrying this run's marker (for the no-orphans check)."""
        marker = f"{RUN_MARKER}={self.run_id}".encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                with contextlib.suppress(OSError):
                    if marker in (entry / "environ").read_bytes():
                        pids.append(int(entry.name))
        return pids

    # -- components ----------------------------------------------------------------------------------

    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZOOM_E2E"))}
        env.update({RUN_MARKER: self.run_id, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"})
        return env

    def _start_emulator(self) -> None:
        """The emulator, registered as a component so that ``stop()`` and ``log_tails()`` treat it like the rest."""
        env = self._base_env()
        self.emulator = EmulatorProcess(
            "--plan",
            "pro",
            "--token-policy",
            "latest-only",
            "--seed",
            "5",
            "--state-file",
            str(self.home / "zoom_state.json"),
            client_id=EMULATOR_CLIENT_ID,
            client_secret=EMULATOR_CLIENT_SECRET,
            account_id=EMULATOR_ACCOUNT_ID,
            user_domains=["example.com"],  # the e2e extracts' hires and the wave's members are all @example.com
            log_path=self.logs / "emulator.log",
            new_session=True,
            env=env,
            cwd=REPO,
        )
        self.emulator.start()
        self.components["emulator"] = Component(
            "emulator", self.emulator.argv, env, self.emulator.log_path, popen=self.emulator.proc
        )
        self.emulator_url = self.emulator.url

    def _airflow_env(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        env = self._base_env()
        env.update(
            {
                "ZOOM_E2E_CLOCK_OFFSET_S": str(self.clock_offset_s),
                "PYTHONPATH": os.pathsep.join(
                    [str(Path(__file__).parent / "clock"), str(Path(__file__).parent), str(REPO)]
                ),
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW_CONN_ZOOM_DEFAULT": self.emulator.connection_uri_json(
                    rate_limiter="redis", rate_limiter_conn_id=RATE_LIMITER_CONN_ID
                ),
                f"AIRFLOW_CONN_{RATE_LIMITER_CONN_ID.upper()}": json.dumps(
                    {"conn_type": "redis", "host": REDIS_HOST, "port": REDIS_PORT, "extra": {"db": self.redis.number}}
                ),
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__PARALLELISM": "16",
                "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
                "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "e2e_hostname.hostname",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.db.sqlalchemy_url,
                "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "3",
                "AIRFLOW__API__BASE_URL": self.api_url,
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                "AIRFLOW__CELERY__BROKER_URL": self.redis.url,
                "AIRFLOW__CELERY__RESULT_BACKEND": self.db.celery_result_backend,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
                # The task supervisor notices its task's exit at its next wake-up, at most this many seconds later:
                # the default 5 s cost every short task here up to 5 s of a worker slot.
                "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
                # A lost worker (test_e2e_6): its running task stops heartbeating (every 1 s above, through the
                # API server) and the scheduler fails it, to be retried elsewhere, once its last heartbeat is
                # older than this (default 300 s), checking every ..._DETECTION_INTERVAL s (default 10). 30 s is
                # 30 missed heartbeats: a slow but healthy task on this loaded 2-core machine is not failed.
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "2",
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "20",
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                "AIRFLOW__DAG_PROCESSOR__PRINT_STATS_INTERVAL": "300",
                "AIRFLOW__LOGGING__TRIGGERER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            }
        )
        return env

    def _add(self, name: str, args: list[str], **env: str) -> Component:
        component = Component(
            name, [sys.executable, "-m", "airflow", *args], {**self.env, **env}, self.logs / f"{name}.log"
        )
        self.components[name] = component
        return component

    def _healthy(self) -> bool:
        dead = [c.name for c in self.components.values() if c.popen is not None and not c.alive()]
        if dead:
            raise RuntimeError(f"exited during startup: {', '.join(dead)}\n{self.log_tails()}")
        health = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=10).json()
        return all(
            health.get(part, {}).get("status") == "healthy"
            for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
        )

    def _worker_ready(self, name: str) -> bool:
        component = self.components[name]
        if not component.alive():
            raise RuntimeError(f"Celery worker {name} exited:\n{component.tail()}")
        return f"{name}@" in component.log_text() and " ready." in component.log_text()

    def kill_worker(self, name: str) -> list[int]:
        """A machine lost: SIGKILL Celery worker ``name`` and everything it started, at once: its process group
        (the worker, its pool, each task's supervisor) and each task process (in a process group of its own)."""
        import psutil

        component = self.components[name]
        tree = [psutil.Process(component.popen.pid)]
        with contextlib.suppress(psutil.Error):
            tree += tree[0].children(recursive=True)
        component.signal_group(signal.SIGKILL)
        for proc in tree:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        component.popen.wait(10)
        psutil.wait_procs(tree, timeout=10)
        return [proc.pid for proc in tree]

    def restart_worker(self, name: str) -> None:
        """Start worker ``name`` again (after ``kill_worker``) and wait until it is ready."""
        component = self.components[name]
        readies = component.log_text().count(" ready.")
        component.start()
        wait_until(
            f"Celery worker {name} to be ready again",
            lambda: self._worker_ready(name) and component.log_text().count(" ready.") > readies,
            STARTUP_TIMEOUT,
            on_timeout=self.log_tails,
        )

    def log_tails(self, lines: int = 40) -> str:
        parts = []
        for component in self.components.values():
            state = (
                "running" if component.alive() else f"exited {component.popen.returncode if component.popen else '-'}"
            )
            parts.append(f"----- {component.name} ({state}) {component.log_path} -----\n{component.tail(lines)}")
        return "\n".join(parts)

    # -- using it --------------------------------------------------------------------------------------

    def airflow(self, *args: str, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess:
        """One Airflow CLI command against this deployment (same clock, same config)."""
        result = subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            check=False,
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} exited {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    @property
    def api(self) -> requests.Session:
        if self._api is None:
            reply = requests.post(
                f"{self.api_url}/auth/token", json={"username": ADMIN_USER, "password": self.admin_password}, timeout=30
            )
            reply.raise_for_status()
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
            self._api = session
        return self._api

    def api_get(self, path: str, **params: Any) -> Any:
        reply = self.api.get(f"{self.api_url}/api/v2/{path.lstrip('/')}", params=params, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def api_call(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = self.api.request(method, f"{self.api_url}/api/v2/{path.lstrip('/')}", timeout=30, **kwargs)
        if reply.status_code >= 400:
            raise RuntimeError(f"{method} {path} -> {reply.status_code}: {reply.text[:2000]}")
        return reply.json() if reply.content else None

    def api_list(self, path: str, key: str, **params: Any) -> list[dict]:
        """Every item of a paged list endpoint."""
        items: list[dict] = []
        while True:
            page = self.api_get(path, limit=100, offset=len(items), **params)
            items.extend(page[key])
            total = page.get("total_entries")
            if len(page[key]) < 100 or (total is not None and len(items) >= total):
                return items

    def zoom_state(self) -> dict:
        return self.emulator.state(timeout=10)

    def zoom_groups(self) -> dict[str, list[str]]:
        return self.emulator.groups(timeout=10)

    def zoom_count(self, route: str, status: int | None = None) -> int:
        return self.emulator.count(route, status, timeout=10)

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict:
        def parsed():
            reply = self.api.get(f"{self.api_url}/api/v2/dags/{dag_id}", timeout=10)
            return reply.json() if reply.status_code == 200 else None

        return wait_until(f"DAG {dag_id} to be parsed", parsed, timeout, on_timeout=self.import_errors)

    def import_errors(self) -> str:
        with contextlib.suppress(Exception):
            errors = self.api_get("importErrors")["import_errors"]
            return "import errors: " + json.dumps(errors, indent=1)[:4000] if errors else "no import errors"
        return "import errors: (API not reachable)"
