"""The two ends of an onboarding run: what to create from the extract, and what came of it.

Kept out of the DAG file so that parsing stays cheap and the rules are tested without Airflow.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow_provider_zoom.onboarding.cohorts import Cohort, build_cohorts, check_name_template, hires_in_interval
from airflow_provider_zoom.onboarding.hr_extract import HRExtractError, read_hr_extract
from airflow_provider_zoom.onboarding.quarantine import write_quarantine_report
from airflow_provider_zoom.onboarding.run_window import run_window

log = logging.getLogger(__name__)


def default_quarantine_dir() -> Path:
    return Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow")) / "zoom_quarantine"


def plan_run(
    *,
    extract_path: str,
    name_template: str,
    data_interval_start: datetime,
    data_interval_end: datetime,
    run_id: str,
    quarantine_dir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Cohorts of the hires starting in this run's window, for the per-cohort DAG.

    Returns ``cohorts`` as ``[{"group_name", "emails"}]`` (the mapped task group's kwargs), the
    ``quarantine_report`` path (or None) and counts, all JSON-serialisable for XCom.
    """
    first_day, end_day = run_window(data_interval_start, data_interval_end)
    cohorts, plan = _plan(
        extract_path, name_template, run_id, quarantine_dir,
        lambda hires: hires_in_interval(hires, first_day, end_day),
    )
    log.info("Run covers start dates from %s to before %s", first_day, end_day)
    return {
        "cohorts": [{"group_name": c.name, "emails": [m.email for m in c.members]} for c in cohorts],
        **plan,
        "window": [first_day.isoformat(), end_day.isoformat()],
    }


def plan_wave(
    *, extract_path: str, name_template: str, run_id: str, quarantine_dir: str | os.PathLike | None = None
) -> dict[str, Any]:
    """Cohorts of every hire in the extract, for the one-task-per-step wave DAG."""
    cohorts, plan = _plan(extract_path, name_template, run_id, quarantine_dir, lambda hires: hires)
    return {
        "groups": [{"name": c.name} for c in cohorts],
        "members_by_name": {c.name: [m.email for m in c.members] for c in cohorts},
        **plan,
    }


def _plan(extract_path, name_template, run_id, quarantine_dir, select) -> tuple[list[Cohort], dict[str, Any]]:
    """Read, select, group into cohorts; report and quarantine every row that cannot be onboarded."""
    from airflow.sdk.exceptions import AirflowFailException

    # Configuration and whole-file problems: a retry cannot fix them, so fail the task at once.
    try:
        check_name_template(name_template)
    except ValueError as exc:
        raise AirflowFailException(f"Param group_name_template {name_template!r}: {exc}") from None
    try:
        extract = read_hr_extract(extract_path)
    except HRExtractError as exc:
        raise AirflowFailException(str(exc)) from None
    hires = select(extract.hires)
    cohorts, naming_problems = build_cohorts(hires, name_template)
    problems = sorted([*extract.problems, *naming_problems], key=lambda p: p.row_number)
    for problem in problems:
        log.warning(
            "HR extract %s row %d (employee_id %r) skipped: %s",
            extract.path, problem.row_number, problem.employee_id, problem.reason,
        )
    report = write_quarantine_report(
        problems, quarantine_dir or default_quarantine_dir(), run_id=run_id, source_path=extract.path
    )
    if report:
        log.warning("%d rejected rows written to quarantine report %s", len(problems), report)
    log.info("%d of %d valid hires selected, in %d cohorts", len(hires), len(extract.hires), len(cohorts))
    return cohorts, {
        "quarantine_report": str(report) if report else None,
        "rejected_rows": len(problems),
        "hires_in_run": len(hires),
    }


def summarize_run(
    *, cohort_count: int, outcomes: list[dict | None], member_results: list[dict | None]
) -> dict[str, int]:
    """Count what the run did. A cohort counts as failed unless one of its member paths finished."""
    outcomes = [o for o in outcomes if o]
    member_results = [r for r in member_results if r]
    return {
        "created": sum(1 for o in outcomes if o.get("outcome") == "created"),
        "exists": sum(1 for o in outcomes if o.get("outcome") == "exists"),
        "failed": cohort_count - len(member_results),
        "members_added": sum(len(r.get("added", [])) for r in member_results),
    }


def format_summary(summary: dict[str, int]) -> str:
    return " ".join(f"{key}={summary[key]}" for key in ("created", "exists", "failed", "members_added"))
