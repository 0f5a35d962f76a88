"""Hostile extracts through both DAGs for real (``dag.test()``, the emulator over HTTP): what the account ends
with, what the summary says, and whether the run is green."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.airflow_runs import run_dag, task_states, xcom_values

HEADER = "employee_id,email,first_name,last_name,department,location,start_date\n"
DAY = "2026-11-23"


def _extract(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "hires.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _conf(tmp_path: Path, extract: Path) -> dict:
    return {"hr_extract_path": str(extract), "quarantine_dir": str(tmp_path / "quarantine")}


def _run_daily(conf: dict, day: str = DAY):
    from datetime import UTC, datetime

    return run_dag("zoom_onboarding_im_groups", conf, datetime.fromisoformat(day).replace(tzinfo=UTC))


# Two spellings of one department (case, a no-break space, a zero-width space) on the same day.
SPELLINGS = (
    "E1,ana@example.com,Ana,Silva,Customer Support,Lisbon,2026-11-23\n"
    "E2,ben@example.com,Ben,Okafor,customer support,Lagos,2026-11-23\n"
    "E3,cy@example.com,Cy,Lee,Customer\u00a0Support,Seoul,2026-11-24\n"
    "E4,di@example.com,Di,Ng,Customer Sup\u200bport,Perth,2026-11-25\n"
)
ONE_GROUP = {
    "Onboarding 2026-W48 Customer Support": ["ana@example.com", "ben@example.com", "cy@example.com", "di@example.com"]
}


def test_wave_spellings_of_one_department_make_one_group_with_every_member(zoom, zoom_pool, tmp_path):
    conf = _conf(tmp_path, _extract(tmp_path, SPELLINGS))

    run = run_dag("zoom_onboarding_wave", conf)

    assert run.state == "success"
    assert zoom.groups() == ONE_GROUP
    (summary,) = xcom_values(run, "summarize")
    assert (summary["created"], summary["exists"], summary["members_added"]) == (1, 0, 4)

    again = run_dag("zoom_onboarding_wave", conf)  # a re-run finds the group and nobody missing
    assert again.state == "success"
    assert zoom.groups() == ONE_GROUP


def test_daily_spellings_of_one_department_are_one_created_cohort(zoom, airflow_db, tmp_path):
    conf = _conf(tmp_path, _extract(tmp_path, SPELLINGS))

    run = _run_daily(conf)

    assert run.state == "success"
    (summary,) = xcom_values(run, "summarize", "summary")
    # One cohort, created by this very run (never "exists" for a group the run made itself).
    assert (summary["created"], summary["exists"], summary["members_added"]) == (1, 0, 2)
    assert zoom.groups() == {"Onboarding 2026-W48 Customer Support": ["ana@example.com", "ben@example.com"]}
    for day in ("2026-11-24", "2026-11-25"):
        assert _run_daily(conf, day).state == "success"
    assert zoom.groups() == ONE_GROUP


def test_department_with_a_bidi_control_is_rejected_by_name_and_the_rest_onboarded(zoom, airflow_db, tmp_path):
    rows = (
        "E1,ana@example.com,Ana,Silva,Sales,Lisbon,2026-11-23\n"
        "E2,ben@example.com,Ben,Okafor,Sa\u202eles,Lagos,2026-11-23\n"
    )
    conf = _conf(tmp_path, _extract(tmp_path, rows))

    run = _run_daily(conf)

    assert run.state == "success"
    assert zoom.groups() == {"Onboarding 2026-W48 Sales": ["ana@example.com"]}
    (report,) = xcom_values(run, "plan_cohorts", "quarantine_report")
    text = Path(report).read_text(encoding="utf-8-sig")
    assert "E2" in text and "U+202E" in text


@pytest.mark.parametrize(("dag_id", "plan_task"), [("zoom_onboarding_im_groups", "plan_cohorts"),
                                                   ("zoom_onboarding_wave", "plan_wave")])
def test_every_row_rejected_fails_the_run_saying_what_most_rows_had_wrong(
    zoom, zoom_pool, tmp_path, capfd, dag_id, plan_task
):
    rows = "".join(f"E{n},p{n}@example.com,P,{n},Sales,Lisbon,{20 + n}/11/2026\n" for n in range(1, 6))
    conf = _conf(tmp_path, _extract(tmp_path, rows))

    run = _run_daily(conf) if dag_id == "zoom_onboarding_im_groups" else run_dag(dag_id, conf)

    assert run.state == "failed"
    assert task_states(run)[(plan_task, -1)] == "failed"
    logged = "".join(capfd.readouterr())  # the task's exception, as the task log shows it
    assert "5 of 5 rows rejected" in logged and "expected YYYY-MM-DD" in logged and "'21/11/2026'" in logged
    (summary,) = xcom_values(run, "summarize", "summary")
    # The summary sends the reader to the DAG's own plan task.
    assert summary["plan_failed"] is True
    assert summary["message"] == f"the plan step failed; nothing was sent to Zoom: see the {plan_task} task log"
    assert zoom.state()["groups"] == []


@pytest.mark.parametrize("dag_id", ["zoom_onboarding_im_groups", "zoom_onboarding_wave"])
def test_header_only_extract_fails_the_run(zoom, zoom_pool, tmp_path, capfd, dag_id):
    conf = _conf(tmp_path, _extract(tmp_path, ""))

    run = _run_daily(conf) if dag_id == "zoom_onboarding_im_groups" else run_dag(dag_id, conf)

    assert run.state == "failed"
    assert "no data rows" in "".join(capfd.readouterr())


def test_a_multiline_address_does_not_cost_the_hire_their_group(zoom, airflow_db, tmp_path):
    rows = 'E1,ana@example.com,Ana,Silva,Sales,"1 Main St\nFlat 2\nLisbon",2026-11-23\n'
    conf = _conf(tmp_path, _extract(tmp_path, rows))

    run = _run_daily(conf)

    assert run.state == "success"
    assert zoom.groups() == {"Onboarding 2026-W48 Sales": ["ana@example.com"]}
    (summary,) = xcom_values(run, "summarize", "summary")
    assert summary["rejected"] == 0


def test_wave_adds_every_valid_member_around_one_unknown_user(zoom, zoom_pool, tmp_path):
    # Twelve hires of one cohort: more than one batch of 10, with a person Zoom does not know in the first.
    rows = "".join(f"E{n},p{n:02d}@example.com,P,{n},Sales,Lisbon,2026-11-23\n" for n in range(1, 13))
    rows += "E99,ghost@unknown.example.org,Gho,St,Sales,Lisbon,2026-11-23\n"
    conf = _conf(tmp_path, _extract(tmp_path, rows))

    run = run_dag("zoom_onboarding_wave", conf)

    assert run.state == "success"
    assert zoom.groups() == {"Onboarding 2026-W48 Sales": [f"p{n:02d}@example.com" for n in range(1, 13)]}
    (summary,) = xcom_values(run, "summarize")
    assert (summary["members_added"], summary["members_rejected"]) == (12, 1)
    # Added with the create (pipelined); the refused person is reported there and not sent again.
    (created,) = xcom_values(run, "create_groups")
    (group,) = created["created"]
    assert [r["email"] for r in group["members_rejected"]] == ["ghost@unknown.example.org"]
    assert "does not exist" in group["members_rejected"][0]["reason"]
    assert created["members_left"] == 0 and task_states(run)[("add_members_to_new_groups", -1)] == "skipped"
