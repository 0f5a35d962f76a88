"""(5) Peak memory of a 10,000-group wave through ``WaveCreateGroupsOperator`` (emulator without a limit).

Run as its own process so that ``ru_maxrss`` (the process's peak resident set) covers the wave and nothing
else the benchmark did; the figure before the wave (Airflow and the provider imported, operator built) is
reported too, so the wave's own share is visible.

    python -m bench.wave_memory --groups 10000
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import tempfile
from pathlib import Path

from bench.common import Emulator, exit_on_sigterm


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(groups: int) -> dict:
    logging.getLogger("airflow").setLevel(logging.WARNING)
    import airflow_provider_zoom.operators.waves  # noqa: F401 - counted in the baseline
    from bench.wave_throughput import run_wave

    with Emulator() as emulator, tempfile.TemporaryDirectory(prefix="zoom-bench-mem-") as tmp:
        emulator.reset()
        run_wave(emulator, 20, Path(tmp) / "warmup", plan=None)  # sessions, token, threads: the fixed part
        emulator.reset()
        before = _peak_mib()
        row = run_wave(emulator, groups, Path(tmp) / "wave", plan=None)
        peak = _peak_mib()
        if row["created_count"] != groups:
            raise RuntimeError(f"the 10k wave did not create every group: {row}")
    return {
        "groups": groups,
        "wall_s": row["wall_s"],
        "rss_before_wave_mib": before,
        "wave_10k_peak_rss_mib": peak,
        "wave_rss_increase_mib": peak - before,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(measure(args.groups)))


if __name__ == "__main__":
    exit_on_sigterm()
    main()
