"""The same onboarding backfill under the real scheduler and Celery workers, on an account where Zoom has retired
IM Groups: the connection's ``group_api`` is left at ``auto``, so the first task meets the 410 (code 4137), switches
to Contact Groups and remembers it for every later task of the machine.

Runs after the other e2e modules (it changes the emulator's account); it empties the account first.
"""

from __future__ import annotations

import pytest
import requests

from tests.e2e.figures import record
from tests.e2e.test_e2e_1_onboarding import DAG_ID, run_backfill, sample_expectations, task_instances

pytestmark = pytest.mark.e2e

IM_CREATE = "POST /v2/im/groups"
CG_CREATE = "POST /v2/contacts/groups"


def test_backfill_on_contact_groups_after_zoom_retired_im_groups(stack):
    expected, _, _ = sample_expectations()
    stack.wait_for_dag(DAG_ID)
    stack.emulator.reset(keep_config=True, timeout=30)
    reply = requests.put(f"{stack.emulator_url}/_emulator/config", json={"im_groups": "gone"}, timeout=10)
    reply.raise_for_status()

    backfill, runs, elapsed = run_backfill(stack, "--reprocess-behavior", "completed")
    record("backfill_contact_groups_wall_s", round(elapsed, 1))

    assert len(runs) == 19 and {r["state"] for r in runs} == {"success"}, {r["dag_run_id"]: r["state"] for r in runs}
    groups = stack.emulator.contact_groups(timeout=10)
    assert {name: copies for name, copies in groups.items() if len(copies) != 1} == {}  # one group per cohort
    assert {name: copies[0] for name, copies in groups.items()} == expected
    assert stack.zoom_count(CG_CREATE, 201) == len(expected)  # each created once, by 4 runs at a time
    # The switch is remembered on the machine: far fewer IM probes than the 21 cohort-days of the backfill.
    probes = stack.zoom_count(IM_CREATE, 410)
    record("backfill_contact_groups_im_probes", probes)
    assert 1 <= probes <= 4
    tis = task_instances(stack, {r["dag_run_id"] for r in runs})
    assert not [t for t in tis if t["state"] not in ("success", "skipped")]
