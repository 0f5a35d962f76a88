"""The sample extract the demo DAG runs on: its figures are part of the demo's story, so pin them."""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

from airflow_provider_zoom.onboarding.cohorts import build_cohorts, hires_in_interval, hires_on
from airflow_provider_zoom.onboarding.hr_extract import RowProblem, read_hr_extract

SAMPLE = Path(__file__).resolve().parents[2] / "dags" / "data" / "hr_new_hires_sample.csv"


def test_sample_file_is_plain_utf8_with_lf():
    data = SAMPLE.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
    assert data.split(b"\n", 1)[0].endswith(b",manager_email")


def test_sample_figures():
    result = read_hr_extract(SAMPLE)
    assert (result.rows_read, len(result.hires), result.duplicates_merged) == (49, 45, 1)
    assert result.problems == [
        RowProblem(13, "E20492", "email 'kenji.watanabe_example.com' is not a valid email address"),
        RowProblem(27, "E20505", "start_date '2026-13-01' is not a valid date (expected YYYY-MM-DD)"),
        RowProblem(41, "E20519", "department is empty"),
    ]
    assert {hire.first_name for hire in result.hires} >= {"José", "Zoë", "Łukasz", "Søren"}
    assert len({hire.department for hire in result.hires}) == 6


def test_sample_cohorts():
    hires = read_hr_extract(SAMPLE).hires
    cohorts, problems = build_cohorts(hires)
    assert problems == [] and len(cohorts) == 14
    assert Counter(cohort.iso_week for cohort in cohorts) == {"2026-W48": 5, "2026-W49": 4, "2026-W50": 5}
    assert sum(len(cohort.members) for cohort in cohorts) == 45

    start_days = {cohort.name: set() for cohort in cohorts}
    by_email = {hire.email: hire for hire in hires}
    for cohort in cohorts:
        start_days[cohort.name].update(by_email[member.email].start_date for member in cohort.members)
    assert sorted(name for name, days in start_days.items() if len(days) > 1) == [
        "Onboarding 2026-W48 Engineering",
        "Onboarding 2026-W48 Marketing",
        "Onboarding 2026-W49 Customer Success",
        "Onboarding 2026-W49 Engineering",
        "Onboarding 2026-W49 Sales",
        "Onboarding 2026-W50 Customer Success",
        "Onboarding 2026-W50 Sales",
    ]


def test_sample_by_run_window():
    hires = read_hr_extract(SAMPLE).hires
    monday = datetime.date(2026, 11, 23)
    week = datetime.timedelta(weeks=1)
    per_week = [hires_in_interval(hires, monday + n * week, monday + (n + 1) * week) for n in range(3)]
    assert [len(week_hires) for week_hires in per_week] == [15, 15, 15]
    assert len(hires_on(hires, monday)) == 10
    (engineering_mon,), _ = build_cohorts([h for h in hires_on(hires, monday) if h.department == "Engineering"])
    assert len(engineering_mon.members) == 3
