"""The wave DAG under ``dag.test()`` meets Zoom's daily limit: the task defers, Airflow runs the trigger in line,
and the wave finishes after the reset as if nothing had happened."""

from tests.airflow_runs import run_dag, task_states, xcom_values

DAG_ID = "zoom_onboarding_wave"
CREATE = "POST /v2/im/groups"
UNINTERRUPTED = {"created": 14, "exists": 0, "failed": 0, "members_added": 45, "rejected": 3,
                 "members_rejected": 0, "members_pending": 0, "late_added": 0, "still_pending": 0}


def test_wave_defers_at_the_daily_limit_and_completes_after_the_reset(zoom, zoom_pool, tmp_path, capfd):
    # 5 creates per 3-second "day": the sample's 14 groups need at least two resets, wherever the windows fall.
    zoom.configure(light_daily=5, daily_window_s=3)

    run = run_dag(DAG_ID, {"quarantine_dir": str(tmp_path)})

    assert run.state == "success"
    (summary,) = xcom_values(run, "summarize")
    assert summary == UNINTERRUPTED
    logged = capfd.readouterr().out
    assert "daily limit of the Light category is used up" in logged and "Deferring until" in logged
    assert "groups already done, sending the other" in logged
    assert zoom.count(CREATE, 201) == 14 and zoom.count(CREATE, 409) == 0  # each group created once
    groups = zoom.groups()
    assert len(groups) == 14 and sum(len(m) for m in groups.values()) == 45
    (created,) = xcom_values(run, "create_groups")
    assert (created["created_count"], created["failed_count"]) == (14, 0)
    assert [g["name"] for g in created["created"]] == sorted(groups)
    assert task_states(run)[("create_groups", -1)] == "success"

