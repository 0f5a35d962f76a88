"""The onboarding DAG's first day (its start_date) is the deployment's ``ZOOM_ONBOARDING_FIRST_DAY``.

Airflow runs no task of a day before a DAG's start_date: ``dag.test()`` of such a day is green and does nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from airflow.models.dagbag import DagBag

from tests.airflow_runs import task_states, xcom_values

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "zoom_onboarding_im_groups.py"
DAG_ID = "zoom_onboarding_im_groups"
VARIABLE = "ZOOM_ONBOARDING_FIRST_DAY"

EXTRACT = """employee_id,email,first_name,last_name,department,location,start_date
E1,ana@example.com,Ana,Silva,Engineering,Lisbon,2026-11-16
E2,ben@example.com,Ben,Okafor,Engineering,Lagos,2026-11-16
"""


def parse() -> DagBag:
    return DagBag(dag_folder=str(DAG_FILE))


def test_first_day_defaults_to_the_samples_first_day(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    bag = parse()
    assert bag.import_errors == {}
    assert bag.dags[DAG_ID].start_date == datetime(2026, 11, 23, tzinfo=UTC)


def test_first_day_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv(VARIABLE, "2026-11-16")
    bag = parse()
    assert bag.import_errors == {}
    assert bag.dags[DAG_ID].start_date == datetime(2026, 11, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    # The last four are ISO 8601 too, and Python 3.11's date.fromisoformat takes them: the docs promise YYYY-MM-DD.
    ["2026-13-01", "16/11/2026", "next monday", "20261123", "2026-W48-1", "2026W481", "２０２６-11-23"],
)
def test_a_malformed_first_day_is_an_import_error_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(VARIABLE, value)
    bag = parse()
    assert DAG_ID not in bag.dags
    (error,) = bag.import_errors.values()
    # The last line of the import error is what the UI and `airflow dags list-import-errors` lead with.
    assert error.strip().splitlines()[-1] == (
        f"ValueError: environment variable {VARIABLE}={value!r} is not a date: expected YYYY-MM-DD "
        "(e.g. 2026-11-23), the first day the daily onboarding DAG runs"
    )


def run_day(dag, day: str, extract: Path):
    return dag.test(
        logical_date=datetime.fromisoformat(day).replace(tzinfo=UTC), run_conf={"hr_extract_path": str(extract)}
    )


def test_a_day_before_the_default_first_day_runs_no_task(zoom, airflow_db, monkeypatch, tmp_path):
    """The gap the setting closes: green, and nothing done."""
    monkeypatch.delenv(VARIABLE, raising=False)
    extract = tmp_path / "hires.csv"
    extract.write_text(EXTRACT, encoding="utf-8")
    run = run_day(parse().dags[DAG_ID], "2026-11-16", extract)
    assert run.state == "success"
    assert not any(state == "success" for state in task_states(run).values())
    assert zoom.groups() == {}


def test_with_an_earlier_first_day_that_day_runs_its_tasks(zoom, airflow_db, monkeypatch, tmp_path):
    monkeypatch.setenv(VARIABLE, "2026-11-16")
    extract = tmp_path / "hires.csv"
    extract.write_text(EXTRACT, encoding="utf-8")
    run = run_day(parse().dags[DAG_ID], "2026-11-16", extract)
    assert run.state == "success"
    assert task_states(run)[("summarize", -1)] == "success"
    (summary,) = xcom_values(run, "summarize", "summary")
    assert summary["created"] == 1 and summary["members_added"] == 2
    assert zoom.groups() == {"Onboarding 2026-W47 Engineering": ["ana@example.com", "ben@example.com"]}
