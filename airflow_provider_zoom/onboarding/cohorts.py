"""Turning validated hires into onboarding cohorts, one Zoom IM group each.

A cohort is everybody in one department starting in the same ISO week, so people who start on a
Wednesday still join the group of colleagues who started that Monday. The group name is what Zoom
knows the group by, and Zoom compares names regardless of case, so cohorts are finally keyed by the
identity (``group_key``: trimmed, NFKC, case-folded) of their *rendered* name: "Support" and "support"
are one cohort, and if a template leaves out ``{department}`` (or the week), the keys that collide
become one cohort instead of two create requests for the same name. Which spelling a cohort is shown
and created under is decided by :func:`name_cohorts`.
"""

from __future__ import annotations

import datetime
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from airflow_provider_zoom.group_spec import InvalidGroupSpec, group_key, normalize_group_name, validate_group_name
from airflow_provider_zoom.onboarding.hr_extract import Hire, RowProblem

DEFAULT_COHORT_NAME_TEMPLATE = "Onboarding {iso_week} {department}"
NAME_PLACEHOLDERS = ("department", "iso_week", "iso_year", "week")
_SAMPLE_VALUES = {"department": "Engineering", "iso_week": "2026-W48", "iso_year": 2026, "week": 48}
_PREVIEW_LENGTH = 60
KIND_COHORT_NAME = "cohort name is not a valid Zoom group name"


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
    """Hires starting on ``day``."""
    _require_date("day", day)
    return hires_in_interval(hires, day, day + datetime.timedelta(days=1))


def _require_date(name: str, value: object) -> None:
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__} {value!r}")


@dataclass(frozen=True)
class CohortNaming:
    """Which spelling a cohort is shown and created under, decided once for a whole extract.

    ``departments`` maps a department's identity (``group_key``) to its shown spelling, ``names`` a group
    name's identity to the name sent to Zoom; ``problems`` are the hires whose cohort name Zoom would reject.
    """

    departments: dict[str, str]
    names: dict[str, str]
    problems: tuple[RowProblem, ...] = ()


def name_cohorts(hires: Iterable[Hire], name_template: str = DEFAULT_COHORT_NAME_TEMPLATE) -> CohortNaming:
    """Choose the spelling of every department and cohort name of ``hires``.

    Identity is the trimmed, NFKC-normalised, case-folded text (:func:`group_key`): "Support",
    "support" and "Sup<zero-width space>port" are one department. The rule, the same for departments
    and group names: **the spelling (after normalisation) used by the most hires wins; on a tie, the
    spelling of the earliest row.** Decided over a whole extract, it gives every daily run of a cohort
    the same name, even a run whose day only holds a minority spelling.
    """
    check_name_template(name_template)
    naming, _ = _assign(list(hires), name_template, None)
    return naming


def build_cohorts(
    hires: Iterable[Hire],
    name_template: str = DEFAULT_COHORT_NAME_TEMPLATE,
    *,
    naming: CohortNaming | None = None,
) -> tuple[list[Cohort], list[RowProblem]]:
    """Cohorts sorted by name, plus a problem for every hire whose cohort name Zoom would reject.

    Hires whose rendered names have one :func:`group_key` are one cohort, whatever their spelling; its
    name follows ``naming`` (from :func:`name_cohorts` over the whole extract) where that knows the
    cohort, else the same rule applied to ``hires``. A too-long name drops the whole cohort rather than
    truncating it: truncated names can collide and nobody chose them.
    """
    check_name_template(name_template)
    chosen, entries = _assign(list(hires), name_template, naming)
    by_key: dict[str, list[tuple[str, str, Hire]]] = {}
    for key, department_key, week_label, hire in entries:
        by_key.setdefault(key, []).append((chosen.departments[department_key], week_label, hire))
    cohorts = [
        Cohort(
            name=chosen.names[key],
            department=", ".join(sorted({department for department, _, _ in members})),
            iso_week=", ".join(sorted({week_label for _, week_label, _ in members})),
            members=_members(hire for _, _, hire in members),
        )
        for key, members in by_key.items()
    ]
    cohorts.sort(key=lambda cohort: cohort.name)
    problems = sorted(chosen.problems, key=lambda problem: (problem.row_number, problem.employee_id))
    return cohorts, problems


class _Votes:
    """Spelling -> (hires using it, first row, first position): the most used wins, then the earliest."""

    def __init__(self) -> None:
        self.by_key: dict[str, dict[str, list]] = {}  # key -> spelling -> [hires, (first row, first position)]

    def add(self, key: str, spelling: str, row: int, position: int) -> None:
        tally = self.by_key.setdefault(key, {}).setdefault(spelling, [0, (row, position)])
        tally[0] += 1
        tally[1] = min(tally[1], (row, position))

    def winners(self) -> dict[str, str]:
        return {
            key: min(tallies.items(), key=lambda item: (-item[1][0], item[1][1]))[0]
            for key, tallies in self.by_key.items()
        }


@dataclass(frozen=True)
class _Unusable:
    reason: str
    example: str

    def problem(self, hire: Hire) -> RowProblem:
        return RowProblem(hire.row_number, hire.employee_id, self.reason, hire.start_date,
                          (KIND_COHORT_NAME,), (self.example,))


def _assign(
    hires: list[Hire], name_template: str, base: CohortNaming | None
) -> tuple[CohortNaming, list[tuple[str, str, str, Hire]]]:
    """The naming of ``hires`` (``base`` wins where it knows a key), and per usable hire
    ``(name key, department key, week label, hire)``."""
    problems: list[RowProblem] = []
    department_votes = _Votes()
    shown_department: dict[str, tuple[str, str] | _Unusable] = {}  # raw -> (key, shown spelling)
    usable: list[tuple[int, Hire, str]] = []
    for position, hire in enumerate(hires):
        known = shown_department.get(hire.department)
        if known is None:
            try:
                known = (group_key(hire.department), normalize_group_name(hire.department))
            except InvalidGroupSpec as exc:
                shown = _preview(hire.department)
                known = _Unusable(f"department {shown} {exc.reason}", shown)
            shown_department[hire.department] = known
        if isinstance(known, _Unusable):
            problems.append(known.problem(hire))
            continue
        department_key, spelling = known
        department_votes.add(department_key, spelling, hire.row_number, position)
        usable.append((position, hire, department_key))
    departments = department_votes.winners()
    if base is not None:
        departments.update((key, value) for key, value in base.departments.items() if key in departments)

    name_votes = _Votes()
    rendered: dict[tuple[str, int, int], tuple[str, str] | _Unusable] = {}  # -> (key, name)
    entries: list[tuple[str, str, str, Hire]] = []
    for position, hire, department_key in usable:
        year, week, _ = hire.start_date.isocalendar()
        known = rendered.get((department_key, year, week))
        if known is None:
            text = name_template.format(
                department=departments[department_key], iso_week=_week_label(year, week), iso_year=year, week=week
            )
            try:
                name = validate_group_name(text)
                known = (group_key(name), name)
            except InvalidGroupSpec as exc:
                shown = _preview(text.strip())
                known = _Unusable(f"cohort name {shown} {exc.reason}", shown)
            rendered[(department_key, year, week)] = known
        if isinstance(known, _Unusable):
            problems.append(known.problem(hire))
            continue
        key, name = known
        name_votes.add(key, name, hire.row_number, position)
        entries.append((key, department_key, _week_label(year, week), hire))
    names = name_votes.winners()
    if base is not None:
        names.update((key, value) for key, value in base.names.items() if key in names)
    return CohortNaming(departments, names, tuple(problems)), entries


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
