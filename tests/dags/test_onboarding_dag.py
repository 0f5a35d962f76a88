"""The onboarding DAG end to end: real Airflow (``dag.test()``, SQLite), the emulator over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from airflow.models.dagbag import DagBag

from tests.airflow_runs import task_states, xcom_values

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_ID = "zoom_onboarding_im_groups"

EXTRACT = """\ufeffemployee_id,email,first_name,last_name,department,location,start_date,cost_center
E1,ana@example.com,Ana,Silva,Engineering,Lisbon,2026-11-23,CC1
E2,ben@example.com,Ben,Okafor,Engineering,Lagos,2026-11-23,CC1
E3,cleo@example.com,Cléo,Martin,Sales,Paris,2026-11-23,CC2
E4,dev@example.com,Dev,Patel,Engineering,Pune,2026-11-25,CC1
E5,eve@example.com,Eve,Stone,Sales,London,2026-11-30,CC2
E6,not-an-email,Fay,Wong,Sales,London,2026-11-25,CC2
E7,gus@example.com,Gus,Berg,,Oslo,2026-11-25,CC9
"""

EXPECTED_GROUPS = {
    "Onboarding 2026-W48 Engineering": ["ana@example.com", "ben@example.com", "dev@example.com"],
    "Onboarding 2026-W48 Sales": ["cleo@example.com"],
    "Onboarding 2026-W49 Sales": ["eve@example.com"],
}
DAYS = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-30"]
# Every run reads the whole extract: its two bad rows (E6, E7) are reported as rejected on each day.
COUNTS = {"created": 0, "exists": 0, "failed": 0, "members_added": 0, "rejected": 2, "late_added": 0,
          "still_pending": 0}


@pytest.fixture
def onboarding_dag(airflow_db):
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags[DAG_ID]


def _run_day(dag, day: str, conf: dict):
    return dag.test(logical_date=datetime.fromisoformat(day).replace(tzinfo=UTC), run_conf=conf)


def _xcom(run, task_id: str, key: str = "return_value") -> list:
    return xcom_values(run, task_id, key)


def test_onboarding_waves_create_reconcile_and_rerun_idempotently(zoom, onboarding_dag, tmp_path):
    extract = tmp_path / "hires.csv"
    extract.write_text(EXTRACT, encoding="utf-8")
    conf = {"hr_extract_path": str(extract), "quarantine_dir": str(tmp_path / "quarantine")}

    summaries = {}
    runs = {}
    for day in DAYS:
        run = _run_day(onboarding_dag, day, conf)
        assert run.state == "success", day
        runs[day] = run
        (summaries[day],) = _xcom(run, "summarize", "summary")

    assert zoom.groups() == EXPECTED_GROUPS
    assert summaries == {
        "2026-11-23": {**COUNTS, "created": 2, "members_added": 3, "members_rejected": 0, "members_pending": 0},
        "2026-11-24": COUNTS,
        "2026-11-25": {**COUNTS, "exists": 1, "members_added": 1, "members_rejected": 0, "members_pending": 0},
        "2026-11-30": {**COUNTS, "created": 1, "members_added": 1, "members_rejected": 0, "members_pending": 0},
    }
    # Monday's cohort took the 201 path, Wednesday's the 409 path: the other path was skipped.
    monday = task_states(runs["2026-11-23"])
    assert monday[("onboard_cohort.add_all_members", 0)] == "success"
    assert monday[("onboard_cohort.reconcile_members", 0)] == "skipped"
    wednesday = task_states(runs["2026-11-25"])
    assert wednesday[("onboard_cohort.reconcile_members", 0)] == "success"
    assert wednesday[("onboard_cohort.add_all_members", 0)] == "skipped"
    (outcome,) = _xcom(runs["2026-11-25"], "onboard_cohort.create_group")
    assert outcome["status_code"] == 409 and outcome["name"] == "Onboarding 2026-W48 Engineering"

    # Bad rows are reported with row number and reason, and written to the quarantine report.
    (report,) = _xcom(runs["2026-11-25"], "plan_cohorts", "quarantine_report")
    text = Path(report).read_text(encoding="utf-8")
    assert "7,E6," in text and "not-an-email" in text
    assert "8,E7," in text and "department" in text

    # A re-run (late HR data, backfill) creates nothing and adds nobody.
    for day in DAYS:
        run = _run_day(onboarding_dag, day, conf)
        assert run.state == "success"
        (summary,) = _xcom(run, "summarize", "summary")
        assert summary["created"] == 0 and summary["members_added"] == 0
    assert zoom.groups() == EXPECTED_GROUPS


def test_missing_extract_fails_the_run_naming_the_file(zoom, onboarding_dag, tmp_path):
    missing = tmp_path / "nope.csv"
    run = _run_day(onboarding_dag, "2026-11-23", {"hr_extract_path": str(missing)})
    assert run.state == "failed"
    assert task_states(run)[("plan_cohorts", -1)] == "failed"
    assert zoom.state()["groups"] == []
