from __future__ import annotations

import datetime
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_zoom.group_spec import MAX_GROUP_NAME_LENGTH, group_key
from airflow_provider_zoom.onboarding.cohorts import (
    DEFAULT_COHORT_NAME_TEMPLATE,
    Cohort,
    Member,
    build_cohorts,
    check_name_template,
    hires_in_interval,
    hires_on,
    iso_week,
    name_cohorts,
)
from airflow_provider_zoom.onboarding.hr_extract import Hire, RowProblem

D = datetime.date
MONDAY_W48 = D(2026, 11, 23)


def hire(n: int, department: str = "Engineering", start: D = MONDAY_W48, email: str | None = None) -> Hire:
    return Hire(
        employee_id=f"E{n}",
        email=email or f"person{n}@example.com",
        first_name=f"First{n}",
        last_name=f"Last{n}",
        department=department,
        location="London",
        start_date=start,
        row_number=n + 1,
    )


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (D(2026, 11, 23), "2026-W48"),  # Monday
        (D(2026, 11, 29), "2026-W48"),  # Sunday ends the ISO week
        (D(2026, 11, 30), "2026-W49"),
        (D(2026, 12, 31), "2026-W53"),
        (D(2027, 1, 1), "2026-W53"),  # calendar 2027, ISO year 2026
        (D(2027, 1, 3), "2026-W53"),
        (D(2027, 1, 4), "2027-W01"),
        (D(2025, 12, 29), "2026-W01"),  # calendar 2025, ISO year 2026
        (D(2026, 1, 5), "2026-W02"),
    ],
)
def test_iso_week(day, label):
    assert iso_week(day) == label


def test_a_week_of_one_department_is_one_cohort_even_across_days():
    wednesday, sunday, next_monday = D(2026, 11, 25), D(2026, 11, 29), D(2026, 11, 30)
    hires = [hire(1), hire(2, start=wednesday), hire(3, start=sunday), hire(4, start=next_monday)]
    cohorts, problems = build_cohorts(hires)
    assert problems == []
    assert [(c.name, [m.employee_id for m in c.members]) for c in cohorts] == [
        ("Onboarding 2026-W48 Engineering", ["E1", "E2", "E3"]),
        ("Onboarding 2026-W49 Engineering", ["E4"]),
    ]


def test_the_iso_week_that_spans_new_year_is_one_cohort():
    cohorts, _ = build_cohorts([hire(1, start=D(2026, 12, 31)), hire(2, start=D(2027, 1, 1))])
    assert [(c.name, c.iso_week, len(c.members)) for c in cohorts] == [
        ("Onboarding 2026-W53 Engineering", "2026-W53", 2)
    ]


def test_cohorts_sorted_by_name_members_sorted_and_unique_by_email():
    hires = [
        hire(1, "Sales", email="zed@example.com"),
        hire(2, "Sales", email="amy@example.com"),
        hire(4, "Sales", email="mia@example.com"),
        hire(3, "Sales", email="mia@example.com"),  # only possible when hires do not come from one extract
        hire(5, "Engineering"),
    ]
    cohorts, _ = build_cohorts(hires)
    assert [c.name for c in cohorts] == ["Onboarding 2026-W48 Engineering", "Onboarding 2026-W48 Sales"]
    assert cohorts[1].members == (
        Member("amy@example.com", "First2", "Last2", "E2"),
        Member("mia@example.com", "First3", "Last3", "E3"),
        Member("zed@example.com", "First1", "Last1", "E1"),
    )


def test_to_dict_is_json_and_round_trips():
    cohorts, _ = build_cohorts([hire(1, "Customer Success"), hire(2, "Customer Success")])
    data = json.loads(json.dumps(cohorts[0].to_dict()))
    assert data == {
        "name": "Onboarding 2026-W48 Customer Success",
        "department": "Customer Success",
        "iso_week": "2026-W48",
        "members": [
            {"email": "person1@example.com", "first_name": "First1", "last_name": "Last1", "employee_id": "E1"},
            {"email": "person2@example.com", "first_name": "First2", "last_name": "Last2", "employee_id": "E2"},
        ],
    }
    assert Cohort.from_dict(data) == cohorts[0]


@pytest.mark.parametrize(
    ("template", "name"),
    [
        (DEFAULT_COHORT_NAME_TEMPLATE, "Onboarding 2027-W01 Finance"),
        ("{department} new hires {iso_year} week {week}", "Finance new hires 2027 week 1"),
        ("{department} {iso_year}-{week:02d}", "Finance 2027-01"),
        ("  {department:>9} / {iso_week}  ", "Finance / 2027-W01"),
        ("Onboarding {{{department}}}", "Onboarding {Finance}"),
    ],
)
def test_name_template_rendering(template, name):
    cohorts, _ = build_cohorts([hire(1, "Finance", D(2027, 1, 6))], template)
    assert cohorts[0].name == name


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("Onboarding {location}", "unknown placeholder {location}; allowed: {department}, {iso_week}, {iso_year}"),
        ("{Department}", "unknown placeholder {Department}"),
        ("{department.upper}", "unknown placeholder {department.upper}"),
        ("{department[0]}", "unknown placeholder {department[0]}"),
        ("{}", "unknown placeholder {}"),
        ("{0}", "unknown placeholder {0}"),
        ("{department:{start}}", "unknown placeholder {start}"),
        ("Onboarding {department", "is invalid: expected '}' before end of string"),
        ("Onboarding }", "is invalid: Single '}' encountered"),
        ("{week:s}", "is invalid: Unknown format code 's'"),
        ("{department!x}", "is invalid"),
        ("   ", "renders an empty group name"),
    ],
)
def test_bad_templates_fail_before_any_hire_is_considered(template, message):
    with pytest.raises(ValueError, match="cohort name template") as caught:
        build_cohorts([], template)
    assert message in str(caught.value)
    with pytest.raises(ValueError):
        check_name_template(template)


def test_template_must_be_text():
    with pytest.raises(TypeError, match="must be a string"):
        check_name_template(None)  # type: ignore[arg-type]


def test_name_over_the_zoom_limit_drops_the_cohort_and_reports_each_hire():
    prefix = "Onboarding 2026-W48 "
    fits = "F" * (MAX_GROUP_NAME_LENGTH - len(prefix))
    too_long = "L" * (MAX_GROUP_NAME_LENGTH - len(prefix) + 1)
    cohorts, problems = build_cohorts([hire(1, too_long), hire(2, fits), hire(3, too_long), hire(4)])
    assert [c.name for c in cohorts] == [prefix + "Engineering", prefix + fits]
    assert len(cohorts[1].name) == MAX_GROUP_NAME_LENGTH
    assert [(p.row_number, p.employee_id) for p in problems] == [(2, "E1"), (4, "E3")]
    assert problems[0].reason.startswith("cohort name 'Onboarding 2026-W48 LLLL")
    assert problems[0].reason.endswith("…' is 129 characters long, Zoom allows at most 128")


def test_the_limit_applies_after_trimming():
    department = "D" * (MAX_GROUP_NAME_LENGTH - len("Onboarding "))
    cohorts, problems = build_cohorts([hire(1, department)], "   Onboarding {department}   ")
    assert problems == [] and len(cohorts[0].name) == MAX_GROUP_NAME_LENGTH


def test_keys_rendering_to_one_name_become_one_cohort():
    hires = [hire(1, "Sales"), hire(2, "Engineering", D(2026, 11, 26)), hire(3, "Sales", D(2026, 12, 1))]
    cohorts, problems = build_cohorts(hires, "New hires {iso_week}")
    assert problems == []
    assert [(c.name, c.department, c.iso_week, len(c.members)) for c in cohorts] == [
        ("New hires 2026-W48", "Engineering, Sales", "2026-W48", 2),
        ("New hires 2026-W49", "Sales", "2026-W49", 1),
    ]
    (everyone,), _ = build_cohorts(hires, "All new hires")
    assert (everyone.department, everyone.iso_week, len(everyone.members)) == (
        "Engineering, Sales",
        "2026-W48, 2026-W49",
        3,
    )


def test_names_differing_only_by_surrounding_space_are_one_cohort():
    cohorts, _ = build_cohorts([hire(1, "Sales"), hire(2, "Sales ")], "{department}")
    assert [(c.name, len(c.members)) for c in cohorts] == [("Sales", 2)]


def test_no_hires_no_cohorts():
    assert build_cohorts([]) == ([], [])


def test_problems_come_sorted_by_row():
    long_a, long_b = "A" * 130, "B" * 130
    _, problems = build_cohorts([hire(5, long_b), hire(1, long_a), hire(3, long_b)])
    assert [p.row_number for p in problems] == [2, 4, 6]
    assert all(isinstance(p, RowProblem) for p in problems)


def test_hires_in_interval_is_half_open():
    hires = [hire(n, start=D(2026, 11, 22 + n)) for n in range(4)]  # 22nd .. 25th
    assert [h.employee_id for h in hires_in_interval(hires, D(2026, 11, 23), D(2026, 11, 25))] == ["E1", "E2"]
    assert hires_in_interval(hires, D(2026, 11, 23), D(2026, 11, 23)) == []
    assert [h.employee_id for h in hires_on(hires, D(2026, 11, 25))] == ["E3"]


def test_interval_bounds_must_be_ordered_dates():
    with pytest.raises(ValueError, match="before its start"):
        hires_in_interval([], D(2026, 11, 24), D(2026, 11, 23))
    with pytest.raises(TypeError, match="start must be a datetime.date, not datetime"):
        hires_in_interval([], datetime.datetime(2026, 11, 23), D(2026, 11, 24))
    with pytest.raises(TypeError, match="day must be a datetime.date, not str"):
        hires_on([], "2026-11-23")  # type: ignore[arg-type]


# --- cohort identity: one cohort per group_key, one spelling by a fixed rule --------------------------


def test_departments_differing_only_by_case_are_one_cohort_named_by_the_majority():
    hires = [hire(1, "support"), hire(2, "Support"), hire(3, "Support", D(2026, 11, 25))]
    cohorts, problems = build_cohorts(hires)
    assert problems == []
    assert [(c.name, c.department, [m.employee_id for m in c.members]) for c in cohorts] == [
        ("Onboarding 2026-W48 Support", "Support", ["E1", "E2", "E3"])
    ]


def test_a_tie_between_spellings_goes_to_the_earliest_row():
    cohorts, _ = build_cohorts([hire(5, "SUPPORT"), hire(2, "support")])
    assert [(c.name, len(c.members)) for c in cohorts] == [("Onboarding 2026-W48 support", 2)]


@pytest.mark.parametrize("variant", ["Sa\u200bles", "Sales\u00a0", "\u00a0Sales", "Sa\u00adles", "Ｓａｌｅｓ", "  sales "])
def test_invisible_space_and_width_variants_of_a_department_are_one_cohort(variant):
    cohorts, problems = build_cohorts([hire(1, "Sales"), hire(2, variant), hire(3, "Sales")])
    assert problems == []
    assert [(c.name, c.department, len(c.members)) for c in cohorts] == [("Onboarding 2026-W48 Sales", "Sales", 3)]


def test_names_are_decided_over_the_whole_extract_so_every_daily_run_uses_the_same_one():
    """Monday's run holds only the minority spelling; it still creates the group under the majority's."""
    everyone = [hire(1, "customer success"), hire(2, "Customer Success", D(2026, 11, 25)),
                hire(3, "Customer Success", D(2026, 11, 26))]
    naming = name_cohorts(everyone)
    monday = hires_on(everyone, MONDAY_W48)
    (alone,), _ = build_cohorts(monday)
    assert alone.name == "Onboarding 2026-W48 customer success"  # what it would be on its own
    (cohort,), _ = build_cohorts(monday, naming=naming)
    (later,), _ = build_cohorts(hires_on(everyone, D(2026, 11, 25)), naming=naming)
    assert cohort.name == later.name == "Onboarding 2026-W48 Customer Success"
    assert cohort.department == "Customer Success"


def test_a_spelling_used_in_other_weeks_decides_the_department_everywhere():
    hires = [hire(1, "people ops"), hire(2, "People Ops", D(2026, 12, 1)), hire(3, "People Ops", D(2026, 12, 2))]
    cohorts, _ = build_cohorts(hires)
    assert [c.name for c in cohorts] == ["Onboarding 2026-W48 People Ops", "Onboarding 2026-W49 People Ops"]


def test_a_template_that_folds_departments_together_names_the_cohort_by_its_most_used_rendering():
    hires = [hire(1, "Support"), hire(2, "Supplies"), hire(3, "Supplies"), hire(4, "supply")]
    (cohort,), _ = build_cohorts(hires, "{department:.3} team")
    assert (cohort.name, cohort.department, len(cohort.members)) == ("Sup team", "Supplies, Support, supply", 4)


def test_a_department_with_a_bidi_control_is_reported_not_grouped():
    cohorts, problems = build_cohorts([hire(1, "Sa\u202eles"), hire(2, "Sales")])
    assert [c.name for c in cohorts] == ["Onboarding 2026-W48 Sales"]
    assert [(p.row_number, p.employee_id) for p in problems] == [(2, "E1")]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE at position 3" in problems[0].reason


def test_name_cohorts_reports_the_names_zoom_would_reject():
    naming = name_cohorts([hire(1, "L" * 200), hire(2, "Sales")])
    assert [p.row_number for p in naming.problems] == [2]
    assert list(naming.names.values()) == ["Onboarding 2026-W48 Sales"]


_SPELLINGS = st.sampled_from(["Sales", "sales", "SALES", " Sales ", "Sa\u200bles", "Sales\u00a0", "Ｓａｌｅｓ",
                              "Support", "support", "SUPPORT", "People", "people"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_SPELLINGS, st.dates(D(2026, 11, 16), D(2026, 12, 13))), max_size=40))
def test_every_cohort_name_is_unique_by_group_key_and_every_hire_is_in_the_cohort_of_its_identity(entries):
    hires = [hire(n, department, start) for n, (department, start) in enumerate(entries)]
    cohorts, problems = build_cohorts(hires)
    assert problems == []
    assert len({group_key(c.name) for c in cohorts}) == len(cohorts)
    by_id = {h.employee_id: h for h in hires}
    assert sum(len(c.members) for c in cohorts) == len(hires)
    for cohort in cohorts:
        expected = {group_key(f"Onboarding {iso_week(by_id[m.employee_id].start_date)} {by_id[m.employee_id].department}")
                    for m in cohort.members}
        assert expected == {group_key(cohort.name)}
