"""Keep client secrets and access tokens out of logs, XCom and rendered fields."""

from __future__ import annotations


def mask(secret: str | None) -> None:
    """Register a value with Airflow's secrets masker, in the task and in its supervisor."""
    if not secret:
        return
    from airflow.sdk.log import mask_secret

    mask_secret(secret)
