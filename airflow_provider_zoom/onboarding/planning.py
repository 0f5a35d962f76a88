"""The two ends of an onboarding run: what to create from the extract, and what came of it.

Kept out of the DAG file so that parsing stays cheap and the rules are tested without Airflow.

A plan fails (``AirflowFailException``, after the quarantine report is written) rather than going green
having done nothing useful: when the extract has no data rows, when more than ``max_rejected_share`` of
its rows are rejected, when no row at all can be onboarded, or when every row of the run's days was
rejected. A day that simply has no starters is a normal, green run.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from airflow_provider_zoom.group_spec import group_key
from airflow_provider_zoom.onboarding.cohorts import (
    Cohort,
    build_cohorts,
    check_name_template,
    hires_in_interval,
    name_cohorts,
)
from airflow_provider_zoom.onboarding.hr_extract import Hire, HRExtractError, RowProblem, read_hr_extract
from airflow_provider_zoom.onboarding.quarantine import write_quarantine_report
from airflow_provider_zoom.onboarding.run_window import run_window

log = logging.getLogger(__name__)

DEFAULT_MAX_REJECTED_SHARE = 0.5
# Rows logged one by one; the rest is one line pointing at the quarantine report.
LOGGED_ROWS = 20
PLAN_FAILED_MESSAGE = "the plan step failed; nothing was sent to Zoom: see the plan_cohorts task log"
SUMMARY_FIELDS = (
    "created", "exists", "failed", "members_added", "rejected", "members_rejected", "members_pending",
    "members_removed", "dry_run", "also_named", "late_added", "invited", "still_pending",
)


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
    max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE,
) -> dict[str, Any]:
    """Cohorts of the hires starting in this run's window, for the per-cohort DAG.

    Cohort names are decided over the whole extract before the window is applied, so every daily run
    of one cohort uses the same name. Returns ``cohorts`` as ``[{"group_name", "emails"}]`` (the mapped
    task group's kwargs), the ``quarantine_report`` path (or None) and counts, all JSON-serialisable.
    """
    first_day, end_day = run_window(data_interval_start, data_interval_end)
    log.info("Run covers start dates from %s to before %s", first_day, end_day)
    cohorts, plan = _plan(
        extract_path, name_template, run_id, quarantine_dir, max_rejected_share,
        lambda hires: hires_in_interval(hires, first_day, end_day),
        (first_day, end_day),
    )
    return {
        "cohorts": [{"group_name": c.name, "emails": [m.email for m in c.members]} for c in cohorts],
        **plan,
        # for the invitations of hires Zoom has no user for (late_joiners)
        "hire_names": {m.email: {"first_name": m.first_name, "last_name": m.last_name}
                       for c in cohorts for m in c.members},
        "window": [first_day.isoformat(), end_day.isoformat()],
    }


def plan_wave(
    *,
    extract_path: str,
    name_template: str,
    run_id: str,
    quarantine_dir: str | os.PathLike | None = None,
    max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE,
) -> dict[str, Any]:
    """Cohorts of every hire in the extract, for the one-task-per-step wave DAG."""
    cohorts, plan = _plan(
        extract_path, name_template, run_id, quarantine_dir, max_rejected_share, lambda hires: hires, None
    )
    return {
        "groups": [{"name": c.name} for c in cohorts],
        "members_by_name": {c.name: [m.email for m in c.members] for c in cohorts},
        **plan,
    }


def _plan(
    extract_path: str,
    name_template: str,
    run_id: str,
    quarantine_dir: str | os.PathLike | None,
    max_rejected_share: float,
    select: Callable[[list[Hire]], list[Hire]],
    window: tuple[date, date] | None,
) -> tuple[list[Cohort], dict[str, Any]]:
    """Read, name, select, group into cohorts; report and quarantine every row that cannot be onboarded."""
    from airflow_provider_zoom._compat import AirflowFailException

    # Configuration and whole-file problems: a retry cannot fix them, so fail the task at once.
    try:
        check_name_template(name_template)
    except ValueError as exc:
        raise AirflowFailException(f"Param group_name_template {name_template!r}: {exc}") from None
    share = _check_share(max_rejected_share)
    try:
        extract = read_hr_extract(extract_path)
    except HRExtractError as exc:
        raise AirflowFailException(str(exc)) from None
    if extract.rows_read == 0:
        raise AirflowFailException(f"HR extract {extract.path}: has no data rows, only a header; nothing to onboard")

    # Names are decided over the whole extract, then the run's hires are selected.
    naming = name_cohorts(extract.hires, name_template)
    unnamed = {problem.row_number for problem in naming.problems}
    usable = [hire for hire in extract.hires if hire.row_number not in unnamed] if unnamed else extract.hires
    hires = select(usable)
    cohorts, _ = build_cohorts(hires, name_template, naming=naming)
    _check_unique_names(cohorts)
    cohort_members: dict[str, list[str]] = {}
    if window is not None and cohorts:  # a day's cohorts, as the whole extract has them (exact membership)
        names = {cohort.name for cohort in cohorts}
        whole, _ = build_cohorts(usable, name_template, naming=naming)
        cohort_members = {c.name: [m.email for m in c.members] for c in whole if c.name in names}
    problems = sorted([*extract.problems, *naming.problems], key=lambda p: p.row_number)

    report = write_quarantine_report(
        problems, quarantine_dir or default_quarantine_dir(), run_id=run_id, source_path=extract.path
    )
    _log_rows(extract.path, problems, "skipped", "rejected rows", report)
    _log_rows(extract.path, extract.notes, "kept with a note", "noted rows", None)
    log.info(
        "%d data rows: %d valid hires (%d merged duplicates), %d rejected, %d noted; %d hires selected, in %d cohorts",
        extract.rows_read, len(usable), extract.duplicates_merged, len(problems), len(extract.notes),
        len(hires), len(cohorts),
    )

    source = f"HR extract {extract.path}"
    rejected_share = len(problems) / extract.rows_read
    if rejected_share > share:
        raise AirflowFailException(
            f"{source}: {len(problems)} of {extract.rows_read} rows rejected (threshold {share * 100:g}%); "
            f"{most_common_problem(problems)}{_see(report)}"
        )
    if not usable:
        if len(problems) == extract.rows_read:
            what = "the only row was rejected" if len(problems) == 1 else f"all {len(problems)} rows were rejected"
        else:
            repeats = extract.rows_read - len(problems)
            what = f"{len(problems)} of {extract.rows_read} rows were rejected and the other {repeats} repeat them"
        raise AirflowFailException(
            f"{source}: {what}, nothing to onboard; {most_common_problem(problems)}{_see(report)}"
        )
    if not hires and window is not None:
        in_window = [p for p in problems if p.start_date is not None and window[0] <= p.start_date < window[1]]
        if in_window:
            raise AirflowFailException(
                f"{source}: every row starting from {window[0]} to before {window[1]} was rejected "
                f"({_rows(len(in_window))}), nothing to onboard in this run; "
                f"{most_common_problem(in_window)}{_see(report)}"
            )
    extra = {"cohort_members": cohort_members} if window is not None else {}
    return cohorts, {
        **extra,
        "quarantine_report": str(report) if report else None,
        "rows_read": extract.rows_read,
        "rejected_rows": len(problems),
        "noted_rows": len(extract.notes),
        "hires_in_run": len(hires),
    }


def _check_share(value: Any) -> float:
    from airflow_provider_zoom._compat import AirflowFailException

    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value <= 1) or math.isnan(value):
        raise AirflowFailException(
            f"Param max_rejected_share {value!r}: must be a number from 0 to 1 (0.5: fail when more than half "
            "of the extract's rows are rejected)"
        )
    return float(value)


def _check_unique_names(cohorts: Sequence[Cohort]) -> None:
    """The plan must never ask Zoom for two groups that Zoom considers one."""
    keys = Counter(group_key(cohort.name) for cohort in cohorts)
    clashing = sorted(cohort.name for cohort in cohorts if keys[group_key(cohort.name)] > 1)
    if clashing:  # pragma: no cover - build_cohorts keys cohorts by group_key
        raise RuntimeError(f"cohort names that Zoom would treat as one group: {clashing}")


def most_common_problem(problems: Sequence[RowProblem]) -> str:
    """``most common problem (200 rows): start_date is not a valid date (...), e.g. '23/11/2026' on line 2``.

    Problems are grouped by kind (the field and what is wrong with it, not the value); a row with two
    problems counts for both.
    """
    counts: Counter[str] = Counter()
    first: dict[str, tuple[int, str]] = {}
    for problem in problems:
        kinds = problem.kinds or (problem.reason,)
        examples = problem.examples or ("",) * len(kinds)
        for kind, example in zip(kinds, examples, strict=False):
            counts[kind] += 1
            first.setdefault(kind, (problem.row_number, example))
    if not counts:
        return "no problem recorded"
    kind, count = min(counts.items(), key=lambda item: (-item[1], first[item[0]][0]))
    line, example = first[kind]
    instance = f"{example} on line {line}" if example else f"line {line}"
    return f"most common problem ({_rows(count)}): {kind}, e.g. {instance}"


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def _see(report: str | None) -> str:
    return f"; every rejected row and why is in {report}" if report else ""


def _log_rows(source: str, rows: Sequence[RowProblem], verb: str, what: str, report: str | None) -> None:
    """The first ``LOGGED_ROWS`` rows one per line, then a single line for the rest."""
    for problem in rows[:LOGGED_ROWS]:
        log.warning(
            "HR extract %s row %d (employee_id %r) %s: %s",
            source, problem.row_number, problem.employee_id, verb, problem.reason,
        )
    if len(rows) > LOGGED_ROWS:
        where = f"; see {report}" if report else ""
        log.warning("... and %d more %s%s", len(rows) - LOGGED_ROWS, what, where)
    elif rows and report:
        log.warning("%d %s written to quarantine report %s", len(rows), what, report)


def summarize_run(
    *,
    cohort_count: int | None,
    outcomes: Sequence[dict | None] | None = (),
    member_results: Sequence[dict | None] | None = (),
    rejected_rows: int | None = None,
    removed_before_failure: Sequence[list[str] | None] | None = (),
    late_joiners: dict | None = None,
) -> dict[str, Any]:
    """Count what the run did. A cohort counts as failed unless one of its member paths finished.

    ``removed_before_failure``: per member task that failed, the people exact membership had removed before
    (its ``removed_before_failure`` XCom): they are gone from Zoom, so ``members_removed`` counts them.

    ``cohort_count=None`` means the plan step failed (no cohorts at all): the summary says so plainly
    (``plan_failed``, ``message``) instead of counting. ``rejected_rows`` is the plan's count of rejected
    rows, reported as ``rejected``; members Zoom refused (a ``rejected`` list in a member result) are
    counted as ``members_rejected`` when any member result reports them. ``late_joiners`` (the late-joiner
    step's XCom) adds ``late_added``, ``invited`` (when invitations are on) and ``still_pending``.
    """
    answered: list[dict] = [o for o in outcomes or () if o]
    finished: list[dict] = [r for r in member_results or () if r]
    if cohort_count is None:
        summary: dict[str, Any] = {"plan_failed": True, "message": PLAN_FAILED_MESSAGE,
                                   "created": 0, "exists": 0, "failed": 0, "members_added": 0}
    else:
        summary = {
            "created": sum(1 for o in answered if o.get("outcome") == "created"),
            "exists": sum(1 for o in answered if o.get("outcome") == "exists"),
            "failed": cohort_count - len(finished),
            "members_added": sum(len(r.get("added", [])) for r in finished),
        }
    if rejected_rows is not None:
        summary["rejected"] = rejected_rows
    if any("rejected" in r for r in finished):
        summary["members_rejected"] = sum(len(r.get("rejected") or []) for r in finished)
    if any("pending" in r for r in finished):
        summary["members_pending"] = sum(len(r.get("pending") or []) for r in finished)
    interrupted = [r for r in removed_before_failure or () if r]
    if any("removed" in r for r in finished) or interrupted:
        summary["members_removed"] = sum(len(r.get("removed") or []) for r in finished) + sum(map(len, interrupted))
    if any(r.get("dry_run") for r in [*answered, *finished]):
        summary["dry_run"] = 1  # every count above is what a real run would do; nothing was written
    if any(o.get("also_named") for o in answered):  # other groups sharing a cohort's name, left alone
        summary["also_named"] = sum(len(o.get("also_named") or []) for o in answered)
    summary.update(late_joiner_counts(late_joiners))
    return summary


def late_joiner_counts(late_joiners: dict | None) -> dict[str, int]:
    """The summary's counts of the late-joiner step's XCom: ``late_added``, ``invited`` (invitations on),
    ``still_pending`` (and ``dry_run``); nothing when the step did not run."""
    if not late_joiners:
        return {}
    counts = {"late_added": len(late_joiners.get("late_added") or [])}
    if "invited" in late_joiners:
        counts["invited"] = len(late_joiners["invited"])
    counts["still_pending"] = len(late_joiners.get("still_pending") or [])
    if late_joiners.get("dry_run"):
        counts["dry_run"] = 1
    return counts


def format_summary(summary: dict[str, Any]) -> str:
    """``created=2 exists=1 failed=0 members_added=4 rejected=3`` (the optional counts at the end), or,
    for a failed plan, the message saying so."""
    if summary.get("plan_failed"):
        return summary.get("message") or PLAN_FAILED_MESSAGE
    return " ".join(f"{key}={summary[key]}" for key in SUMMARY_FIELDS if key in summary)
