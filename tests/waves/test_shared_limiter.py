"""Several task processes paced together (``rate_limiter``), against an account with a strict per-second limit.

The Redis backend has its own tests under ``tests/e2e`` (they need the real Redis that ``make e2e`` runs).
"""

from __future__ import annotations

import errno
import logging

import pytest

from airflow_provider_zoom._transport import slot_stores
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.waves.paced_processes import run_paced_processes

pytestmark = pytest.mark.slow

LIMIT, PACE = 10, 9.5  # the account's Light requests per second; each process's pace


def test_four_processes_on_the_machine_limiter_meet_no_429(zoom, tmp_path):
    zoom.configure(light_rps=LIMIT)
    extras = {"light_rps": PACE, "rate_limiter": "machine", "credential_cache_dir": str(tmp_path / "tokens")}

    run = run_paced_processes(zoom, tmp_path, extras, processes=4, count=12)

    assert run["status_429"] == 0
    assert sorted((tmp_path / "tokens").glob("zoom-pace-*-light.slot"))  # the one line they shared


def test_four_processes_each_pacing_itself_overrun_the_account(zoom, tmp_path):
    """The contrast: with the default process limiter, four tasks at the full rate send four times the limit."""
    zoom.configure(light_rps=LIMIT)
    extras = {"light_rps": PACE, "credential_cache_dir": str(tmp_path / "tokens")}

    run = run_paced_processes(zoom, tmp_path, extras, processes=4, count=12)

    assert run["status_429"] > 0  # retried, so every group still exists (checked by run_paced_processes)


def test_a_failing_machine_store_falls_back_to_local_pacing_with_one_warning(zoom, monkeypatch, tmp_path, caplog):
    zoom.configure(light_rps=LIMIT)

    def disk_full(self, key, interval):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(slot_stores.MachineSlots, "reserve", disk_full)
    hook = ZoomHook(light_rps=PACE, rate_limiter="machine", credential_cache_dir=str(tmp_path / "tokens"))
    with caplog.at_level(logging.WARNING):
        for i in range(25):  # unpaced, 25 creates on loopback take well under a second: 429s
            hook.create_im_group(validate_group_spec(f"Fallback {i:03d}"))

    assert len(zoom.groups()) == 25
    assert zoom.state()["counters"]["rate_limited"] == 0  # paced all the same
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "machine store failed (OSError" in warnings[0], warnings
