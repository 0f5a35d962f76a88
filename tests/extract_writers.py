"""Generated HR extracts for the wave-sized tests (``tests/e2e``; ``tests/waves/extracts.py`` can call it too), and
the groups a run of one should leave: one writer instead of one per test file.

Each test gets weeks and e-mail addresses of its own (``tag``, ``first_monday``), so that tests sharing one emulator
account (the e2e stack's) never meet each other's groups.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

from airflow_provider_zoom.onboarding.cohorts import build_cohorts
from airflow_provider_zoom.onboarding.hr_extract import read_hr_extract

HEADER = ["employee_id", "email", "first_name", "last_name", "department", "location", "start_date", "manager_email"]


@dataclass(frozen=True, kw_only=True)
class WaveExtract:
    """``departments`` x ``weeks`` cohorts of ``hires_per_cohort`` people, starting Monday to Friday of the weeks
    from ``first_monday``. ``tag`` names the people (``{tag}.hire00001@example.com``, employee ids starting with the
    tag's first letter in capitals) and their manager; ``department`` is a format for the department's 1-based
    number."""

    tag: str
    first_monday: datetime.date
    departments: int
    weeks: int
    hires_per_cohort: int
    department: str = "Department {:02d}"

    @property
    def hires(self) -> int:
        return self.departments * self.weeks * self.hires_per_cohort

    def write(self, path: Path) -> Path:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(HEADER)
            number = 0
            for week in range(self.weeks):
                for department in range(self.departments):
                    for person in range(self.hires_per_cohort):
                        number += 1
                        start = self.first_monday + datetime.timedelta(weeks=week, days=person % 5)
                        writer.writerow([
                            f"{self.tag[0].upper()}{number:05d}",
                            f"{self.tag}.hire{number:05d}@example.com",
                            self.tag.title(),
                            f"Hire{number}",
                            self.department.format(department + 1),
                            "Remote",
                            start.isoformat(),
                            f"{self.tag}.manager@example.com",
                        ])
        return path


def expected_groups(path: Path) -> dict[str, list[str]]:
    """Group name -> sorted member e-mails, as the provider's own planner makes the cohorts of ``path``."""
    cohorts, problems = build_cohorts(read_hr_extract(path).hires)
    assert problems == []
    return {cohort.name: sorted(member.email for member in cohort.members) for cohort in cohorts}
