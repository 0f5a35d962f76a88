"""Which store a task's contact-group name claims use: the one place that chooses (``claims`` holds the machine's
store and the interface, ``redis_claims`` the Redis one; neither imports this)."""

from __future__ import annotations

from typing import Any

from airflow_provider_zoom.groups.contact.claims import MachineNameClaims, NameClaims


def name_claims(account: str, config: Any = None) -> NameClaims:
    """The claim store of ``config`` (a ``ZoomConnectionConfig``): Redis with the ``redis`` rate limiter (falling
    back to the machine's store while Redis is out of reach), else the machine's files."""
    machine = MachineNameClaims(account, getattr(config, "rate_limiter_dir", None))
    if getattr(config, "rate_limiter", None) != "redis":
        return machine
    from airflow_provider_zoom.groups.contact.redis_claims import FallbackNameClaims, RedisNameClaims

    shared = RedisNameClaims(account, config.rate_limiter_conn_id, api_url=config.api_url)
    return FallbackNameClaims(shared, machine)
