"""`make demo` (demo/run_demo.py) as a newcomer runs it: its output, its summary line, its idempotent second run.

Each test gives the demo a home of its own (``--dir``) and lets the emulator pick a free port (``--port 0``),
so that neither a developer's ``.airflow``/``.demo`` nor a running demo is touched.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROGRESS = re.compile(
    r"\[\s*(\d+)/(\d+)\] (\d{4}-\d\d-\d\d) (ok|FAILED) +(created=\d+ exists=\d+ failed=\d+ members_added=\d+ "
    r"rejected=\d+)  \| so far: (created=\d+ exists=\d+ failed=\d+ members_added=\d+ rejected=\d+)  \(\d+\.\d s\)"
)


def run_demo(home: Path, *args: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZOOM_ONBOARDING"))}
    result = subprocess.run(
        [sys.executable, str(REPO / "demo" / "run_demo.py"), "--dir", str(home), "--port", "0", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    log = home / ".demo" / "airflow.log"
    assert result.returncode == 0, (
        f"{result.stdout}\n{result.stderr}\n{log.read_text()[-3000:] if log.exists() else ''}"
    )
    return result.stdout.splitlines()


def progress(lines: list[str]) -> list[tuple]:
    return [m.groups() for line in lines if (m := PROGRESS.fullmatch(line))]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("group_api", "first", "second"),
    [
        (
            "im_groups",
            "created=14 exists=7 failed=0 members_added=45 rejected=3",
            "created=0 exists=21 failed=0 members_added=0 rejected=3",
        ),
        (
            "contact_groups",
            # Two pending hires accept, and the missing one is invited and accepts, two days after their start:
            # the late-joiner step adds all three by the last day.
            "created=14 exists=7 failed=0 members_added=42 rejected=3 members_pending=0 late_added=3 invited=1 "
            "still_pending=0",
            "created=0 exists=21 failed=0 members_added=0 rejected=3 members_pending=0 late_added=0 invited=0 "
            "still_pending=0",
        ),
    ],
)
def test_the_sample_twice_same_summary_progress_per_day_nothing_new_the_second_time(tmp_path, group_api, first, second):
    lines = run_demo(tmp_path, "--fresh", "--group-api", group_api)
    assert lines[-1] == first
    days = progress(lines)
    # One line per day of the sample's range, in order, each with its outcome and the running totals so far.
    assert [(n, total, day) for n, total, day, *_ in days] == [
        (str(n), "19", f"2026-{d}")
        for n, d in enumerate(
            [*(f"11-{x}" for x in range(23, 31)), *(f"12-0{x}" for x in range(1, 10)), "12-10", "12-11"], 1
        )
    ]
    assert {state for _, _, _, state, _, _ in days} == {"ok"}
    assert days[-1][-1] == " ".join(first.split()[:5])
    # Airflow's own output stays in the log, not on the console: the console has the emulator line, the
    # start line, one line per day and the summary.
    assert len(lines) == 2 + 19 + 1, lines
    assert (
        "dag.test(zoom_onboarding_im_groups, logical_date=2026-12-11)"
        in (tmp_path / ".demo" / "airflow.log").read_text()
    )
    state_file = "zoom_state_contact_groups.json" if group_api == "contact_groups" else "zoom_state.json"
    account = json.loads((tmp_path / ".demo" / state_file).read_text())
    groups = account["contact_groups"] if group_api == "contact_groups" else account["groups"]
    assert len(groups) == 14

    lines = run_demo(tmp_path, "--group-api", group_api)
    assert lines[-1] == second
    assert len(progress(lines)) == 19
    account_again = json.loads((tmp_path / ".demo" / state_file).read_text())
    groups_again = account_again["contact_groups"] if group_api == "contact_groups" else account_again["groups"]
    assert groups_again == groups


def test_an_extract_before_the_dags_default_first_day_is_onboarded(tmp_path):
    """The demo starts the DAG on the extract's first day (ZOOM_ONBOARDING_FIRST_DAY), not on the sample's."""
    extract = tmp_path / "hires.csv"
    extract.write_text(
        "employee_id,email,first_name,last_name,department,location,start_date\n"
        "E1,ana@example.com,Ana,Silva,Engineering,Lisbon,2026-11-16\n"
        "E2,ben@example.com,Ben,Okafor,Engineering,Lagos,2026-11-17\n",
        encoding="utf-8",
    )
    lines = run_demo(tmp_path, "--fresh", "--extract", str(extract))
    assert [(day, state, counts) for _, _, day, state, counts, _ in progress(lines)] == [
        ("2026-11-16", "ok", "created=1 exists=0 failed=0 members_added=1 rejected=0"),
        ("2026-11-17", "ok", "created=0 exists=1 failed=0 members_added=1 rejected=0"),
    ]
    assert lines[-1] == "created=1 exists=1 failed=0 members_added=2 rejected=0"
