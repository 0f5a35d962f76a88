"""Turning validated hires into onboarding cohorts, one Zoom IM group each.

A cohort is everybody in one department starting in the same ISO week, so people who start on a
Wednesday still join the group of colleagues who started that Monday. The group name is what Zoom
knows the group by, so cohorts are finally keyed by their *rendered* name: if a template leaves out
``{department}`` (or the week), the keys that collide become one cohort instead of two create
requests for the same name.
"""

from __future__ import annotations

import datetime
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from airflow_provider_zoom.group_spec import InvalidGroupSpec, validate_group_name
from airflow_provider_zoom.onboarding.hr_extract import Hire, RowProblem

DEFAULT_COHORT_NAME_TEMPLATE = "Onboarding {iso_week} {department}"
NAME_PLACEHOLDERS = ("department", "iso_week", "iso_year", "week")
_SAMPLE_VALUES = {"department": "Engineering", "iso_week": "2026-W48", "iso_year": 2026, "week": 48}
_PREVIEW_LENGTH = 60


@dataclass(frozen=True)
class Member:
    email: str
    first_name: str
    last_name: str
    employee_id: str


@dataclass(frozen=True)
class Cohort:
    """One group to create. ``department``/``iso_week`` list every merged value, comma separated."""

    name: str
    department: str
    iso_week: str
    members: tuple[Member, ...]  # sorted by email, unique by email

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types, so the cohort can travel through an Airflow XCom."""
        return {
            "name": self.name,
            "department": self.department,
            "iso_week": self.iso_week,
            "members": [
                {
                    "email": member.email,
                    "first_name": member.first_name,
                    "last_name": member.last_name,
                    "employee_id": member.employee_id,
                }
                for member in self.members
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cohort:
        """Inverse of :meth:`to_dict`, for the task that pulls the XCom."""
        return cls(
            name=data["name"],
            department=data["department"],
            iso_week=data["iso_week"],
            members=tuple(Member(**member) for member in data["members"]),
        )


def iso_week(day: datetime.date) -> str:
    """``2026-W53`` for 2027-01-01: the ISO year, not the calendar year, owns the week."""
    year, week, _ = day.isocalendar()
    return _week_label(year, week)


def _week_label(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


def check_name_template(template: str) -> None:
    """Fail loudly on a template that could never render, before any hire is looked at.

    Only the bare placeholders of :data:`NAME_PLACEHOLDERS` are allowed (format specs such as
    ``{week:02d}`` are fine); attribute or index access would leak Python internals into group names.
    """
    if not isinstance(template, str):
        raise TypeError(f"cohort name template must be a string, got {template!r}")
    try:
        _check_fields(template)
        rendered = template.format(**_SAMPLE_VALUES)
    except ValueError as exc:
        raise ValueError(f"cohort name template {template!r} is invalid: {exc}") from None
    if not rendered.strip():
        raise ValueError(f"cohort name template {template!r} renders an empty group name")


def _check_fields(template: str) -> None:
    allowed = ", ".join(f"{{{name}}}" for name in NAME_PLACEHOLDERS)
    for _, field_name, format_spec, _ in string.Formatter().parse(template):
        if field_name is None:
            continue
        if field_name not in NAME_PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{field_name}}}; allowed: {allowed}")
        if format_spec:
            _check_fields(format_spec)


def hires_in_interval(hires: Iterable[Hire], start: datetime.date, end: datetime.date) -> list[Hire]:
    """Hires with ``start <= start_date < end``, matching Airflow's half-open data interval.

    Calendar dates only: which day a datetime bound falls on depends on a timezone policy that belongs
    to the caller (the DAG's run window), not to this filter.
    """
    _require_date("start", start)
    _require_date("end", end)
    if end < start:
        raise ValueError(f"interval end {end} is before its start {start}")
    return [hire for hire in hires if start <= hire.start_date < end]


def hires_on(hires: Iterable[Hire], day: datetime.date) -> list[Hire]:
    _require_date("day", day)
    return hires_in_interval(hires, day, day + datetime.timedelta(days=1))


def _require_date(name: str, value: object) -> None:
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__} {value!r}")


def build_cohorts(
    hires: Iterable[Hire], name_template: str = DEFAULT_COHORT_NAME_TEMPLATE
) -> tuple[list[Cohort], list[RowProblem]]:
    """Cohorts sorted by name, plus a problem for every hire whose cohort name Zoom would reject.

    A too-long name drops the whole cohort rather than truncating it: truncated names can collide
    and nobody chose them.
    """
    check_name_template(name_template)
    by_key: dict[tuple[str, int, int], list[Hire]] = {}
    for hire in hires:
        year, week, _ = hire.start_date.isocalendar()
        by_key.setdefault((hire.department, year, week), []).append(hire)

    by_name: dict[str, list[tuple[str, str, Hire]]] = {}
    for (department, year, week), members in by_key.items():
        week_label = _week_label(year, week)
        name = name_template.format(department=department, iso_week=week_label, iso_year=year, week=week)
        by_name.setdefault(name.strip(), []).extend((department, week_label, hire) for hire in members)

    cohorts: list[Cohort] = []
    problems: list[RowProblem] = []
    for name, entries in by_name.items():
        try:
            group_name = validate_group_name(name)
        except InvalidGroupSpec as exc:
            reason = f"cohort name {_preview(name)} {exc.reason}"
            problems.extend(RowProblem(hire.row_number, hire.employee_id, reason) for _, _, hire in entries)
            continue
        cohorts.append(
            Cohort(
                name=group_name,
                department=", ".join(sorted({department for department, _, _ in entries})),
                iso_week=", ".join(sorted({week_label for _, week_label, _ in entries})),
                members=_members(hire for _, _, hire in entries),
            )
        )
    cohorts.sort(key=lambda cohort: cohort.name)
    problems.sort(key=lambda problem: (problem.row_number, problem.employee_id))
    return cohorts, problems


def _members(hires: Iterable[Hire]) -> tuple[Member, ...]:
    """One member per email; should two hires share one, the lowest employee_id wins, deterministically."""
    members: dict[str, Member] = {}
    for hire in sorted(hires, key=lambda hire: (hire.email, hire.employee_id)):
        members.setdefault(
            hire.email, Member(hire.email, hire.first_name, hire.last_name, hire.employee_id)
        )
    return tuple(members.values())


def _preview(name: str) -> str:
    if len(name) > _PREVIEW_LENGTH:
        name = name[:_PREVIEW_LENGTH] + "…"
    return repr(name)
