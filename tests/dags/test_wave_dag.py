"""The wave DAG end to end on the sample extract: real Airflow (``dag.test()``), the emulator over HTTP."""

from tests.airflow_runs import run_dag, task_states, xcom_values

DAG_ID = "zoom_onboarding_wave"


def test_wave_creates_every_cohort_then_reconciles_on_rerun(zoom, zoom_pool, tmp_path):
    conf = {"quarantine_dir": str(tmp_path)}

    first = run_dag(DAG_ID, conf)

    assert first.state == "success"
    (summary,) = xcom_values(first, "summarize")
    assert summary == {"created": 14, "exists": 0, "failed": 0, "members_added": 45, "rejected": 3,
                       "members_rejected": 0, "members_pending": 0, "late_added": 0, "still_pending": 0}
    groups = zoom.groups()
    assert len(groups) == 14 and sum(len(m) for m in groups.values()) == 45
    assert groups["Onboarding 2026-W48 Engineering"] == sorted(groups["Onboarding 2026-W48 Engineering"])
    states = task_states(first)
    # Every member went in with the creates (pipelined): the members task has nothing left and is skipped.
    (created,) = xcom_values(first, "create_groups")
    assert (created["members_added"], created["members_left"]) == (45, 0)
    assert states[("add_members_to_new_groups", -1)] == "skipped"
    assert states[("reconcile_existing_groups", -1)] == "skipped"
    (quarantine,) = xcom_values(first, "plan_wave", "quarantine_report")
    assert quarantine.startswith(str(tmp_path))

    second = run_dag(DAG_ID, conf)

    assert second.state == "success"
    (summary,) = xcom_values(second, "summarize")
    assert summary == {"created": 0, "exists": 14, "failed": 0, "members_added": 0, "rejected": 3,
                       "members_rejected": 0, "members_pending": 0, "late_added": 0, "still_pending": 0}
    states = task_states(second)
    assert states[("add_members_to_new_groups", -1)] == "skipped"
    assert states[("reconcile_existing_groups", -1)] == "success"
    assert zoom.groups() == groups
