"""Many task processes at once against one account, as parallel DAG runs and backfills produce them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.waves.extracts import write_wave_extract

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("create_groups_worker.py")


def test_eight_processes_under_latest_only_tokens_all_succeed(zoom, capsys):
    zoom.configure(token_policy="latest-only", faults={"seed": 8, "invalidate_tokens_at": [40, 120]})
    procs = [
        subprocess.Popen([sys.executable, str(WORKER), f"Team {p}", "25"], env=os.environ.copy(),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for p in range(8)
    ]
    outputs = [proc.communicate(timeout=300)[0] for proc in procs]

    assert [proc.returncode for proc in procs] == [0] * 8, "\n".join(o[-2000:] for o in outputs)
    names = sorted(g["name"] for g in zoom.state()["groups"])
    assert names == sorted(f"Team {p} {i:03d}" for p in range(8) for i in range(25))
    tokens = zoom.state()["counters"]["tokens_issued"]
    with capsys.disabled():
        print(f"\n8 processes, 200 groups, latest-only, 2 forced invalidations: tokens issued={tokens}")
    # One token for the machine, plus one per forced invalidation (and a little slack for expiry races).
    assert tokens <= 1 + 2 + 2


def _kill_the_wave_then_rerun(zoom, tmp_path, groups_key: str, kill_at: int, total: int) -> None:
    """Run the wave DAG in a process, SIGKILL it once ``kill_at`` groups exist, then run it again to the end."""
    conf = f'{{"hr_extract_path": "{tmp_path / "wave.csv"}", "quarantine_dir": "{tmp_path}"}}'
    cmd = [sys.executable, "-m", "airflow", "dags", "test", "zoom_onboarding_wave", "--conf", conf]
    log = (tmp_path / "first.log").open("w")

    first = subprocess.Popen(cmd, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    deadline = time.monotonic() + 180
    while len(zoom.state()[groups_key]) < kill_at:
        assert first.poll() is None, "the wave ended before it could be killed"
        assert time.monotonic() < deadline, "the wave did not start"
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    assert len(zoom.state()[groups_key]) < total

    second = subprocess.run(cmd, check=False, env=os.environ.copy(), capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-3000:]


def test_wave_killed_half_way_then_rerun_is_exactly_once(zoom, zoom_pool, tmp_path):
    expected = write_wave_extract(tmp_path / "wave.csv", 300)
    zoom.configure(light_rps=60, medium_rps=40, faults={"seed": 9, "commit_then_fail": 0.03})

    _kill_the_wave_then_rerun(zoom, tmp_path, "groups", kill_at=100, total=300)

    assert zoom.groups() == expected


def test_contact_group_wave_killed_half_way_then_rerun_is_exactly_once(zoom, zoom_pool, tmp_path):
    """The same on Contact Groups: the killed wave's creates in flight (one may have landed with its reply lost)
    and the re-run's lookups must still end in one group per cohort with its members."""
    expected = write_wave_extract(tmp_path / "wave.csv", 150)
    zoom.configure(heavy_rps=30, im_groups="gone", faults={"seed": 9, "commit_then_fail": 0.03})

    _kill_the_wave_then_rerun(zoom, tmp_path, "contact_groups", kill_at=50, total=150)

    groups = zoom.server.contact_groups(timeout=10)
    assert {name: copies for name, copies in groups.items() if len(copies) != 1} == {}
    assert {name: copies[0] for name, copies in groups.items()} == expected
