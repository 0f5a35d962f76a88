"""Where the tests themselves meet an Airflow version difference; the provider's own shims are in ``_compat``.

- ``runtime_hooks()``: the hooks registry a task sees. 3.2+ has ``airflow.sdk.providers_manager_runtime``;
  3.1 has only ``airflow.providers_manager.ProvidersManager`` (same ``HookInfo`` entries).
- ``keep_in_process_execution_api_alive()``: makes ``dag.test()`` (and so ``tests.airflow_runs.run_dag``) work
  on Airflow 3.2 with svcs >= 26.2.0. 3.2's ``InProcessTestSupervisor._api_client`` builds a new
  ``InProcessExecutionAPI`` for every task, keeps only its ``transport``, and starts the FastAPI lifespan without
  waiting for it; the lifespan's ``AsyncExitStack`` lives on the discarded ``InProcessExecutionAPI``. Once that
  object is garbage-collected the lifespan generator is closed, and svcs 26.2.0's ``lifespan`` then deletes
  ``app.state.svcs_registry``: every later Execution API call of the task that depends on ``DepContainer`` fails
  (``'State' object has no attribute 'svcs_registry'``, HTTP 500) and the task is failed. The lifespan also
  raises ``api_auth/jwt_secret must be set`` when no JWT secret is configured, which with svcs 26.2.0 removes
  the registry at once. (svcs <= 26.1.0 leaves the attribute in place; 3.1's task routes do not use the
  container; 3.3 ties the lifespan to the transport, waits for it and stubs the JWT validator.) The workaround:
  one ``InProcessExecutionAPI`` per test process, kept referenced, its lifespan waited for, and a throwaway JWT
  secret so that the lifespan completes. ``airflow dags test`` in a subprocess has the same problem on 3.2.
"""

from __future__ import annotations

import os
import secrets
import time
from importlib.metadata import version


def airflow_version() -> tuple[int, int, int]:
    major, minor, patch = (version("apache-airflow-core").split(".") + ["0", "0"])[:3]
    return int(major), int(minor), int("".join(c for c in patch if c.isdigit()) or 0)


AIRFLOW_VERSION = airflow_version()


def runtime_hooks() -> dict:
    """Connection type -> HookInfo, as the task runtime resolves a connection's hook."""
    try:
        from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime
    except ImportError:  # Airflow 3.1
        from airflow.providers_manager import ProvidersManager

        return ProvidersManager().hooks
    return ProvidersManagerTaskRuntime().hooks


_KEPT: list = []


def keep_in_process_execution_api_alive(timeout: float = 60.0) -> None:
    """On Airflow 3.2, make ``dag.test()``'s in-process Execution API survive between tasks (see above).

    Call once per process before the first ``dag.test()`` (the ``airflow_db`` fixture does); a no-op elsewhere.
    """
    if not (3, 2, 0) <= AIRFLOW_VERSION < (3, 3, 0) or _KEPT:
        return
    # Without a secret the 3.2 lifespan fails in _jwt_validator(); auth itself is overridden in-process.
    os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", secrets.token_urlsafe(32))

    from airflow.sdk.execution_time import supervisor

    api = supervisor.in_process_api_server()
    api.transport  # noqa: B018 - builds the app and schedules its lifespan on a2wsgi's loop (not awaited on 3.2)
    deadline = time.monotonic() + timeout
    while not hasattr(api.app.state, "svcs_registry"):
        if time.monotonic() > deadline:
            raise RuntimeError("the in-process Execution API's lifespan did not start")
        time.sleep(0.01)
    _KEPT.append(api)
    supervisor.in_process_api_server = lambda: api
