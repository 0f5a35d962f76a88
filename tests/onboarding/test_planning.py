"""The plan step: what a run creates, when it refuses to go green, and how the run is summarised."""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime

import pytest

from airflow_provider_zoom._compat import AirflowFailException
from airflow_provider_zoom.group_spec import group_key
from airflow_provider_zoom.onboarding.cohorts import DEFAULT_COHORT_NAME_TEMPLATE
from airflow_provider_zoom.onboarding.planning import (
    PLAN_FAILED_MESSAGE,
    format_summary,
    plan_run,
    plan_wave,
    summarize_run,
)
from tests.onboarding.hr_csv import HEADER, extract, line

RUN_ID = "manual__2026-11-23T00:00:00+00:00"


@pytest.fixture
def plan(tmp_path):
    """plan_run for one UTC day (the DAG's zero-width daily interval) with the quarantine under tmp_path."""

    def run(path, day: str = "2026-11-23", **kwargs):
        moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
        return plan_run(extract_path=str(path), name_template=DEFAULT_COHORT_NAME_TEMPLATE,
                        data_interval_start=moment, data_interval_end=moment, run_id=RUN_ID,
                        quarantine_dir=tmp_path / "quarantine", **kwargs)

    return run


def wave(path, tmp_path, **kwargs):
    return plan_wave(extract_path=str(path), name_template=DEFAULT_COHORT_NAME_TEMPLATE, run_id=RUN_ID,
                     quarantine_dir=tmp_path / "quarantine", **kwargs)


def report_rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


# --- cohort identity -----------------------------------------------------------------------------------


def test_support_and_support_in_one_week_are_one_cohort_with_both_members(write_extract, plan, tmp_path):
    path = write_extract(extract(line("E1", "a@x.io", department="Support"), line("E2", "b@x.io", department="support"),
                                 line("E3", "c@x.io", department="Support\u200b", start_date="2026-11-25")))
    assert plan(path)["cohorts"] == [{"group_name": "Onboarding 2026-W48 Support", "emails": ["a@x.io", "b@x.io"]}]
    assert wave(path, tmp_path)["members_by_name"] == {"Onboarding 2026-W48 Support": ["a@x.io", "b@x.io", "c@x.io"]}


def test_a_daily_run_holding_only_the_minority_spelling_uses_the_extracts_name(write_extract, plan):
    path = write_extract(extract(line("E1", "a@x.io", department="support"),
                                 line("E2", "b@x.io", department="Support", start_date="2026-11-24"),
                                 line("E3", "c@x.io", department="SUPPORT ", start_date="2026-11-25"),
                                 line("E4", "d@x.io", department="Support", start_date="2026-11-26")))
    names = {day: [c["group_name"] for c in plan(path, day)["cohorts"]]
             for day in ("2026-11-23", "2026-11-24", "2026-11-25")}
    assert names == {day: ["Onboarding 2026-W48 Support"] for day in names}


def test_the_wave_plan_names_are_unique_by_group_key(write_extract, tmp_path):
    spellings = ["Sales", "sales", "SALES", "Ｓａｌｅｓ", "Sa\u200bles", "Sales\u00a0", "People", "people"]
    rows = [line(f"E{n}", f"p{n}@x.io", department=d) for n, d in enumerate(spellings)]
    result = wave(write_extract(extract(*rows)), tmp_path)
    names = [group["name"] for group in result["groups"]]
    assert sorted(names) == ["Onboarding 2026-W48 People", "Onboarding 2026-W48 Sales"]
    assert len({group_key(name) for name in names}) == len(names) == len(result["members_by_name"])
    assert sum(len(emails) for emails in result["members_by_name"].values()) == len(spellings)


def test_a_department_with_a_bidi_control_is_a_rejected_row_naming_character_and_place(write_extract, plan):
    path = write_extract(extract(line(), line("E2", "b@x.io", department="Sa\u202eles"), line("E3", "c@x.io")))
    result = plan(path)
    assert result["rejected_rows"] == 1
    (row,) = report_rows(result["quarantine_report"])
    assert row[1:3] == ["3", "E2"]
    assert "department" in row[3] and "U+202E RIGHT-TO-LEFT OVERRIDE at position 3" in row[3]


# --- a run that did nothing useful is not green --------------------------------------------------------


def _failure(call) -> str:
    with pytest.raises(AirflowFailException) as caught:
        call()
    return str(caught.value)


def test_an_extract_of_excel_dates_fails_saying_what_most_rows_had_wrong(write_extract, plan, tmp_path):
    rows = [line(f"E{n}", f"p{n}@x.io", start_date="23/11/2026") for n in range(200)]
    path = write_extract(extract(*rows))
    message = _failure(lambda: plan(path))
    assert message.startswith(
        f"HR extract {path}: 200 of 200 rows rejected (threshold 50%); most common problem (200 rows): "
        "start_date is not a valid date (expected YYYY-MM-DD), e.g. '23/11/2026' on line 2"
    )
    # The quarantine report is written before failing, one row per rejected line, and the message says where.
    (report,) = (tmp_path / "quarantine").iterdir()
    assert str(report) in message and len(report_rows(report)) == 200
    assert _failure(lambda: wave(path, tmp_path)).startswith(f"HR extract {path}: 200 of 200 rows rejected")


def test_most_common_problem_is_counted_by_kind_not_by_value(write_extract, plan):
    rows = [line(f"E{n}", f"bad{n}") for n in range(3)] + [line("E9", "z@x.io", start_date="tomorrow")]
    message = _failure(lambda: plan(write_extract(extract(*rows))))
    assert "4 of 4 rows rejected (threshold 50%); most common problem (3 rows): email is not a valid email " \
           "address, e.g. 'bad0' on line 2" in message


def test_the_threshold_is_a_share_of_the_rows_read(write_extract, plan):
    rows = [line(f"E{n}", f"p{n}@x.io") for n in range(6)] + [line(f"B{n}", f"b{n}@x.io", department="") for n in range(4)]
    path = write_extract(extract(*rows))
    assert plan(path)["rejected_rows"] == 4  # 40 % <= 50 %
    message = _failure(lambda: plan(path, max_rejected_share=0.3))
    assert "4 of 10 rows rejected (threshold 30%); most common problem (4 rows): department is empty, e.g. line 8" \
        in message


def test_everything_rejected_fails_even_with_a_threshold_of_one(write_extract, plan, tmp_path):
    path = write_extract(extract(line(email="nope")))
    assert "the only row was rejected, nothing to onboard" in _failure(lambda: plan(path, max_rejected_share=1.0))
    path = write_extract(extract(line(email="nope"), line("E2", "b@x.io", start_date="soon")))
    assert "all 2 rows were rejected, nothing to onboard" in _failure(lambda: wave(path, tmp_path, max_rejected_share=1))
    path = write_extract(extract(line(email="nope"), line(email="nope")))
    assert "1 of 2 rows were rejected and the other 1 repeat them, nothing to onboard" in _failure(lambda: plan(path, max_rejected_share=1))


def test_a_header_only_extract_fails_saying_it_has_no_data_rows(write_extract, plan, tmp_path):
    path = write_extract(HEADER + "\n\n")
    assert _failure(lambda: plan(path)) == f"HR extract {path}: has no data rows, only a header; nothing to onboard"
    assert "has no data rows" in _failure(lambda: wave(path, tmp_path))


def test_a_day_whose_only_starters_were_rejected_fails_but_a_day_without_starters_is_green(write_extract, plan):
    rows = [line(f"E{n}", f"p{n}@x.io") for n in range(5)] + [line("E9", "nope", start_date="2026-11-24")]
    path = write_extract(extract(*rows))
    message = _failure(lambda: plan(path, "2026-11-24"))
    assert "every row starting from 2026-11-24 to before 2026-11-25 was rejected (1 row)" in message
    assert "email is not a valid email address, e.g. 'nope' on line 7" in message
    quiet_day = plan(path, "2026-11-26")
    assert (quiet_day["cohorts"], quiet_day["hires_in_run"], quiet_day["rejected_rows"]) == ([], 0, 1)
    assert len(plan(path, "2026-11-23")["cohorts"][0]["emails"]) == 5


@pytest.mark.parametrize("share", [-0.1, 1.5, "half", None, True, float("nan")])
def test_an_invalid_threshold_names_the_param(write_extract, plan, share):
    message = _failure(lambda: plan(write_extract(extract(line())), max_rejected_share=share))
    assert message.startswith(f"Param max_rejected_share {share!r}: must be a number from 0 to 1")


# --- logs ------------------------------------------------------------------------------------------------


def test_the_log_shows_twenty_rejections_then_one_line_for_the_rest(write_extract, plan, caplog):
    rows = [line(f"E{n}", f"p{n}@x.io") for n in range(100)] + [line(f"B{n}", f"b{n}") for n in range(45)]
    caplog.set_level(logging.INFO, logger="airflow_provider_zoom.onboarding.planning")
    result = plan(write_extract(extract(*rows)))
    skipped = [r.getMessage() for r in caplog.records if "skipped:" in r.getMessage()]
    assert len(skipped) == 20 and skipped[0].endswith("row 102 (employee_id 'B0') skipped: email 'b0' is not a "
                                                      "valid email address")
    assert f"... and 25 more rejected rows; see {result['quarantine_report']}" in caplog.messages
    assert len(report_rows(result["quarantine_report"])) == 45


def test_noted_rows_proceed_are_counted_and_logged(write_extract, plan, caplog):
    rows = [line(), 'E2,b@x.io,Bob,,Sales,"Flat 2\n10 High St",2026-11-23', line("E3", "c@x.io", first_name="")]
    caplog.set_level(logging.INFO, logger="airflow_provider_zoom.onboarding.planning")
    result = plan(write_extract(extract(*rows)))
    assert (result["rejected_rows"], result["noted_rows"], result["quarantine_report"]) == (0, 2, None)
    assert sorted(email for cohort in result["cohorts"] for email in cohort["emails"]) == [
        "ann.lee@example.com", "b@x.io", "c@x.io"
    ]
    noted = [m for m in caplog.messages if "kept with a note" in m]
    assert len(noted) == 2 and "last_name is empty" in noted[0] and "location 'Flat 2\\n10 High St'" in noted[0]


# --- summary -------------------------------------------------------------------------------------------


def test_a_failed_plan_is_summarised_plainly():
    summary = summarize_run(cohort_count=None, outcomes=None, member_results=None, rejected_rows=None)
    assert summary["plan_failed"] is True and summary["message"] == PLAN_FAILED_MESSAGE
    assert format_summary(summary) == (
        "the plan step failed; nothing was sent to Zoom: see the plan_cohorts task log"
    )


def test_summary_line_keeps_its_first_four_fields_and_appends_rejections():
    outcomes = [{"outcome": "created"}, {"outcome": "exists"}, None]
    members = [{"added": ["a@x.io", "b@x.io"], "rejected": [{"email": "c@x.io", "reason": "no such user"}]},
               {"added": [], "rejected": []}]
    summary = summarize_run(cohort_count=3, outcomes=outcomes, member_results=members, rejected_rows=4)
    assert format_summary(summary) == "created=1 exists=1 failed=1 members_added=2 rejected=4 members_rejected=1"
    plain = summarize_run(cohort_count=1, outcomes=[{"outcome": "created"}], member_results=[{"added": ["a"]}],
                          rejected_rows=0)
    assert format_summary(plain) == "created=1 exists=0 failed=0 members_added=1 rejected=0"


def test_groups_sharing_a_cohorts_name_are_counted_at_the_end_of_the_summary_line():
    outcomes = [{"outcome": "exists", "also_named": [{"group_id": "g2", "name": "x"}]}, {"outcome": "created"}]
    members = [{"added": ["a@example.com"]}, {"added": []}]
    summary = summarize_run(cohort_count=2, outcomes=outcomes, member_results=members, rejected_rows=0)

    assert format_summary(summary) == "created=1 exists=1 failed=0 members_added=1 rejected=0 also_named=1"
