"""HR extracts for the end-to-end runs: N cohorts of two hires each, in the format the DAGs read."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

HEADER = ["employee_id", "email", "first_name", "last_name", "department", "location", "start_date"]
WAVE_FIRST_MONDAY = date(2027, 1, 4)
# The per-group sample DAG runs daily from 2026-11-23; its run for this day onboards the hires starting on it.
DAY = date(2026, 11, 23)


def _name(day: date, department: str) -> str:
    iso = day.isocalendar()
    return f"Onboarding {iso.year}-W{iso.week:02d} {department}"


def write_wave_extract(path: Path, cohorts: int) -> dict[str, list[str]]:
    """A wave: 100 departments x ``cohorts // 100`` ISO weeks, two hires per cohort (as in the wave tests)."""
    expected: dict[str, list[str]] = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(cohorts):
            department, week = f"Dept {n % 100:03d}", n // 100
            monday = WAVE_FIRST_MONDAY + timedelta(weeks=week)
            for k in range(2):
                email = f"hire{n:04d}.{k}@example.com"
                writer.writerow([f"W{n:04d}{k}", email, "Wave", f"Hire{n}", department, "Remote",
                                 (monday + timedelta(days=k)).isoformat()])
                expected.setdefault(_name(monday, department), []).append(email)
    return expected


def write_day_extract(path: Path, cohorts: int, day: date = DAY) -> dict[str, list[str]]:
    """``cohorts`` departments with two hires each, all starting on ``day``: one daily run's worth."""
    expected: dict[str, list[str]] = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(cohorts):
            department = f"Dept {n:03d}"
            for k in range(2):
                email = f"day{n:04d}.{k}@example.com"
                writer.writerow([f"D{n:04d}{k}", email, "Day", f"Hire{n}", department, "Remote", day.isoformat()])
                expected.setdefault(_name(day, department), []).append(email)
    return expected
