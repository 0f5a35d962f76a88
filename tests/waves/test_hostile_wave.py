"""A 500-group wave through the wave DAG while Zoom misbehaves: exactly the 500 groups, no failed task."""

from __future__ import annotations

import time

import pytest

from tests.airflow_runs import run_dag, task_states, xcom_values
from tests.waves.extracts import write_wave_extract

pytestmark = pytest.mark.slow

GROUPS = 500
HOSTILE = {
    "token_policy": "latest-only",
    "light_rps": 30,
    "medium_rps": 20,
    "faults": {
        "seed": 20261126,
        "error_5xx": 0.10,
        "reset": 0.05,
        "burst_429": 0.05,
        "commit_then_fail": 0.02,
        "invalidate_tokens_at": [250, 700],
    },
}


def test_wave_of_500_groups_survives_a_hostile_zoom(zoom, zoom_pool, tmp_path, capsys):
    expected = write_wave_extract(tmp_path / "wave.csv", GROUPS)
    zoom.configure(**HOSTILE)

    started = time.monotonic()
    run = run_dag("zoom_onboarding_wave", {"hr_extract_path": str(tmp_path / "wave.csv"),
                                           "quarantine_dir": str(tmp_path)})
    wall = time.monotonic() - started

    assert run.state == "success"
    assert all(state in ("success", "skipped") for state in task_states(run).values())
    assert zoom.groups() == expected  # exactly the 500 groups and 1,000 members: none missing, none twice
    (summary,) = xcom_values(run, "summarize")
    counts = {k: summary[k] for k in ("created", "exists", "failed", "members_added")}
    assert counts == {"created": GROUPS, "exists": 0, "failed": 0, "members_added": 2 * GROUPS}
    # Nobody refused by Zoom (every hire is a user) and no row rejected, where the summary reports them.
    assert summary.get("members_rejected", 0) == 0 and summary.get("rejected", 0) == 0

    counters = zoom.state()["counters"]
    by_status: dict[str, int] = {}
    for statuses in counters["requests"].values():
        for status, n in statuses.items():
            by_status[status] = by_status.get(status, 0) + n
    api = sum(n for route, s in counters["requests"].items() if " /v2/" in route for n in s.values())
    retried = sum(n for s, n in by_status.items() if s in ("401", "429", "dropped") or s.startswith("5"))
    figures = {
        "API requests": api,
        "retried replies (401/429/5xx/dropped)": retried,
        "429s": by_status.get("429", 0),
        "5xx": sum(n for s, n in by_status.items() if s.startswith("5")),
        "dropped connections": by_status.get("dropped", 0),
        "commit-then-fail": counters["faults"]["commit_then_fail"],
        "tokens issued": counters["tokens_issued"],
        "wall time (s)": round(wall, 1),
    }
    with capsys.disabled():
        print("\nHostile 500-group wave:", ", ".join(f"{k}={v}" for k, v in figures.items()))
    assert figures["429s"] > 0 and figures["5xx"] > 0 and figures["commit-then-fail"] > 0  # the profile bit
    assert counters["tokens_issued"] <= 1 + len(HOSTILE["faults"]["invalidate_tokens_at"]) + 2


def test_wave_of_500_contact_groups_survives_a_hostile_zoom(zoom, zoom_pool, tmp_path, capsys):
    """The same wave on an account without IM Groups (auto switches on the 410), where Zoom does not keep names
    unique: every fault that loses a create's reply must still end in one group per cohort."""
    expected = write_wave_extract(tmp_path / "wave.csv", GROUPS)
    zoom.configure(**HOSTILE, heavy_rps=20, im_groups="gone")

    started = time.monotonic()
    run = run_dag("zoom_onboarding_wave", {"hr_extract_path": str(tmp_path / "wave.csv"),
                                           "quarantine_dir": str(tmp_path)})
    wall = time.monotonic() - started

    assert run.state == "success"
    groups = zoom.server.contact_groups(timeout=10)
    assert {name: copies for name, copies in groups.items() if len(copies) != 1} == {}  # never a second group
    assert {name: copies[0] for name, copies in groups.items()} == expected
    (summary,) = xcom_values(run, "summarize")
    counts = {k: summary[k] for k in ("created", "exists", "failed", "members_added")}
    assert counts == {"created": GROUPS, "exists": 0, "failed": 0, "members_added": 2 * GROUPS}
    counters = zoom.state()["counters"]
    with capsys.disabled():
        print(f"\nHostile 500-contact-group wave: {wall:.1f} s, creates answered "
              f"{sum(counters['requests'].get('POST /v2/contacts/groups', {}).values())}, "
              f"commit-then-fail {counters['faults']['commit_then_fail']}, tokens {counters['tokens_issued']}")
    assert counters["faults"]["commit_then_fail"] > 0
