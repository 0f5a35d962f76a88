"""Keep client secrets and access tokens out of logs, XCom and rendered fields."""

from __future__ import annotations


def mask(secret: str | None) -> None:
    """Register a value with Airflow's secrets masker, in the task and in its supervisor.

    Under ``dag.test()`` / ``airflow dags test`` the supervisor runs in this very process and shares
    its masker, and Airflow 3.3's in-process channel logs every message it sends at DEBUG, the
    value of a ``MaskSecret`` included (the real supervisor omits that body). There the mask is
    registered locally only, so that a token never reaches a DEBUG log.
    """
    if not secret:
        return
    from airflow.sdk import log as sdk_log
    from airflow.sdk.execution_time import task_runner

    comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
    local_masker = getattr(sdk_log, "_secrets_masker", None)
    if type(comms).__name__ == "InProcessSupervisorComms" and local_masker is not None:
        local_masker().add_mask(secret, None)
        return
    sdk_log.mask_secret(secret)
