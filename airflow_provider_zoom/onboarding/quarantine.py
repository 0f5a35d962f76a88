"""The quarantine report: the rows of an HR extract that were not onboarded, and why.

It is meant to be opened by HR in a spreadsheet, so every text cell is defused against formula
injection (a value from the extract like ``=HYPERLINK(...)`` must not execute), the file is UTF-8 with
a byte order mark (without one, Excel reads a CSV in the machine's legacy code page and "José" comes
out as "JosÃ©"), and it is written atomically so a reader never sees half a report.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections.abc import Iterable
from typing import IO

from airflow_provider_zoom._files import write_atomically
from airflow_provider_zoom.onboarding.hr_extract import RowProblem

REPORT_COLUMNS = ("source", "row_number", "employee_id", "reason")
# OWASP's list: these make a spreadsheet treat the cell as a formula.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_RUN_ID_IN_FILENAME = 100


def quarantine_filename(run_id: str) -> str:
    """A stable, filesystem-safe name per run, so a retried task overwrites its own report.

    Run ids carry ``:`` and ``+`` (``scheduled__2026-11-23T00:00:00+00:00``); replacing them could make
    two run ids look alike, so a short hash of the original keeps the names distinct.
    """
    readable = _UNSAFE_IN_FILENAME.sub("_", run_id)[:_MAX_RUN_ID_IN_FILENAME]
    digest = hashlib.sha256(run_id.encode("utf-8")).hexdigest()[:8]
    return f"hr_quarantine_{readable}_{digest}.csv"


def write_quarantine_report(
    problems: Iterable[RowProblem],
    directory: str | os.PathLike[str],
    run_id: str,
    source_path: str | os.PathLike[str],
) -> str | None:
    """Write the report and return its path, or return ``None`` (and write nothing) when all rows were fine."""
    ordered = sorted(problems, key=lambda problem: problem.row_number)
    if not ordered:
        return None
    source = _defuse(os.fspath(source_path))

    def write(handle: IO[str]) -> None:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        for problem in ordered:
            writer.writerow((source, problem.row_number, _defuse(problem.employee_id), _defuse(problem.reason)))

    # Owner-only permissions (write_atomically) suit a report that quotes personal data.
    target = write_atomically(os.path.join(os.fspath(directory), quarantine_filename(run_id)), write,
                              encoding="utf-8-sig", newline="", durable=True)
    return target


def _defuse(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text
