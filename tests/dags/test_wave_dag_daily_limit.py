"""The wave DAG under ``dag.test()`` meets Zoom's daily limit: the task defers, Airflow runs the trigger in line,
and the wave finishes after the reset as if nothing had happened."""

from tests.airflow_runs import run_dag, task_states, xcom_values

DAG_ID = "zoom_onboarding_wave"
CREATE = "POST /v2/im/groups"
UNINTERRUPTED = {"created": 14, "exists": 0, "failed": 0, "members_added": 45, "rejected": 3,
                 "members_rejected": 0, "members_pending": 0}


def test_wave_defers_at_the_daily_limit_and_completes_after_the_reset(zoom, zoom_pool, tmp_path, capfd):
    zoom.configure(light_daily=10, daily_reset_in=3)  # 10 of the sample's 14 creates fit before the reset

    run = run_dag(DAG_ID, {"quarantine_dir": str(tmp_path)})

    assert run.state == "success"
    (summary,) = xcom_values(run, "summarize")
    assert summary == UNINTERRUPTED
    logged = capfd.readouterr().out
    assert "daily limit of the Light category is used up" in logged and "10 done, 4 waiting" in logged
    assert "10 of 14 groups already done, sending the other 4" in logged
    assert zoom.count(CREATE, 201) == 14 and zoom.count(CREATE, 409) == 0  # each group created once
    groups = zoom.groups()
    assert len(groups) == 14 and sum(len(m) for m in groups.values()) == 45
    (created,) = xcom_values(run, "create_groups")
    assert (created["created_count"], created["failed_count"]) == (14, 0)
    assert [g["name"] for g in created["created"]] == sorted(groups)
    assert task_states(run)[("create_groups", -1)] == "success"

