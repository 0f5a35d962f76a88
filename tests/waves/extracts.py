"""Generated HR extracts for wave-sized tests."""

from __future__ import annotations

import csv
from datetime import date, timedelta


def write_wave_extract(path, cohorts: int) -> dict[str, list[str]]:
    """``cohorts`` cohorts of two hires each (100 departments x weeks); returns the expected groups."""
    expected: dict[str, list[str]] = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["employee_id", "email", "first_name", "last_name", "department", "location", "start_date"])
        for n in range(cohorts):
            department, week = f"Dept {n % 100:03d}", n // 100
            monday = date(2027, 1, 4) + timedelta(weeks=week)
            name = f"Onboarding {monday.isocalendar().year}-W{monday.isocalendar().week:02d} {department}"
            for k in range(2):
                email = f"hire{n:04d}.{k}@example.com"
                writer.writerow([f"W{n:04d}{k}", email, "Wave", f"Hire{n}", department, "Remote",
                                 (monday + timedelta(days=k)).isoformat()])
                expected.setdefault(name, []).append(email)
    return expected
