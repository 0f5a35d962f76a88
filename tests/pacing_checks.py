"""What the shared rate limiter's tests check on every store (``machine`` in ``tests/waves``, ``redis`` in
``tests/e2e``), written once: the account's limit and each process's pace, and the fallback to local pacing."""

from __future__ import annotations

import logging

from airflow_provider_zoom.group_spec import validate_group_spec

LIMIT, PACE = 10, 9.5  # the account's Light requests per second; each process's pace
FALLBACK_CREATES = 25  # unpaced, 25 creates on loopback take well under a second: 429s


def assert_falls_back_to_local_pacing(zoom, hook, caplog, *, warning: str) -> None:
    """With its shared store failing, ``hook`` still paces (every group made, no 429) and says so once:
    a warning holding ``warning`` (e.g. ``"redis store failed (ConnectionError"``)."""
    zoom.configure(light_rps=LIMIT)
    with caplog.at_level(logging.WARNING):
        for i in range(FALLBACK_CREATES):
            hook.create_im_group(validate_group_spec(f"Fallback {i:03d}"))

    assert len(zoom.groups()) == FALLBACK_CREATES
    assert zoom.state()["counters"]["rate_limited"] == 0  # paced all the same
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warning in warnings[0], warnings
