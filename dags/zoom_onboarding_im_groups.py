"""
Onboarding cohorts from an HR extract -> Zoom IM directory groups.

Every day (catchup on, so a backfill replays late HR data) the run reads the extract, keeps the hires
starting on its day, groups them by department and ISO week, and per cohort creates the IM group
``Onboarding 2026-W48 Engineering``. A new group (HTTP 201) gets all cohort members; an existing one
(HTTP 409, e.g. created on Monday for a cohort that also has Wednesday starters) is reconciled: only
people not yet in it are added. Bad rows are reported with their row number, quarantined, skipped.
A successful run with cohorts emits an asset event with its counts through the alias
``zoom_onboarding_groups`` (see ``zoom_onboarding_followup``).

Run it on another file with
``airflow dags test zoom_onboarding_im_groups 2026-11-23 --conf '{"hr_extract_path": "/path/hires.csv"}'``.

The first day it runs (its ``start_date``) is a deployment setting: the environment variable
``ZOOM_ONBOARDING_FIRST_DAY`` (``YYYY-MM-DD``, UTC; default 2026-11-23, the sample's first day), read when the
file is parsed. Airflow runs no task of a day before it: a run of such a day is green and does nothing. Hires
starting before it go through the wave DAG ``zoom_onboarding_wave``.

``dry_run`` reads the account and writes nothing: the run's summary task logs, per cohort, what a real run
would do. ``membership: exact`` also removes from an existing cohort group the people no longer in its cohort
(the whole extract's, every start day), stopping before any change when more than ``max_removal_share`` of a
group would go.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import date
from pathlib import Path

import pendulum
from airflow.sdk import dag, task, task_group

from airflow_provider_zoom.assets import ZOOM_GROUPS_ALIAS
from airflow_provider_zoom.onboarding.params import cohort_params, late_joiner_params
from airflow_provider_zoom.operators.im_groups import CreateIMGroupOperator

log = logging.getLogger(__name__)

ZOOM_CONN_ID = "zoom_default"
SAMPLE_EXTRACT = Path(__file__).parent / "data" / "hr_new_hires_sample.csv"
PATH_FOR_OUTCOME = {"created": "onboard_cohort.add_all_members", "exists": "onboard_cohort.reconcile_members"}
FIRST_DAY_VARIABLE = "ZOOM_ONBOARDING_FIRST_DAY"
DEFAULT_FIRST_DAY = "2026-11-23"


def first_day() -> pendulum.DateTime:
    """The DAG's start_date, midnight UTC of ``$ZOOM_ONBOARDING_FIRST_DAY`` (a deployment's choice, not code's).

    A malformed value fails the parse with an error naming the variable: that line is what the UI's import
    error and ``airflow dags list-import-errors`` show, and silently falling back to the default would start
    the DAG on a day the deployment did not choose.
    """
    raw = os.environ.get(FIRST_DAY_VARIABLE, "").strip() or DEFAULT_FIRST_DAY
    try:
        # date.fromisoformat also takes 20261123 and 2026-W48-1 (Python 3.11+): the docs promise YYYY-MM-DD only.
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw, flags=re.ASCII):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"environment variable {FIRST_DAY_VARIABLE}={raw!r} is not a date: expected YYYY-MM-DD "
            f"(e.g. {DEFAULT_FIRST_DAY}), the first day the daily onboarding DAG runs"
        ) from None
    return pendulum.datetime(day.year, day.month, day.day, tz="UTC")


@dag(
    dag_id="zoom_onboarding_im_groups",
    schedule="@daily",
    start_date=first_day(),
    catchup=True,
    max_active_runs=4,
    tags=["zoom", "onboarding"],
    doc_md=__doc__,
    params={**cohort_params(hr_extract_path=str(SAMPLE_EXTRACT)), **late_joiner_params()},
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=30)},
)
def zoom_onboarding_im_groups():
    @task
    def plan_cohorts(params: dict, ti=None, data_interval_start=None, data_interval_end=None, run_id=None) -> list:
        """Cohorts of this run as the mapped group's kwargs; the quarantine report goes to its own XCom."""
        from airflow_provider_zoom.onboarding.planning import plan_run

        plan = plan_run(
            extract_path=params["hr_extract_path"],
            name_template=params["group_name_template"],
            data_interval_start=data_interval_start,
            data_interval_end=data_interval_end,
            run_id=run_id,
            quarantine_dir=params["quarantine_dir"] or None,
            max_rejected_share=params["max_rejected_share"],
        )
        for key in ("quarantine_report", "rejected_rows", "noted_rows", "hires_in_run", "window", "cohort_members",
                    "hire_names"):
            ti.xcom_push(key=key, value=plan[key])
        return plan["cohorts"]

    @task_group(group_id="onboard_cohort")
    def onboard_cohort(group_name: str, emails: list[str]):
        created = CreateIMGroupOperator(
            task_id="create_group",
            name=group_name,
            group_type="{{ params.group_type }}",
            search_by_domain="{{ params.search_by_domain }}",
            search_by_account="{{ params.search_by_account }}",
            search_by_ma_account="{{ params.search_by_ma_account }}",
            dry_run="{{ params.dry_run }}",
            zoom_conn_id=ZOOM_CONN_ID,
        )

        @task.branch
        def choose_path(outcome: dict) -> str:
            return PATH_FOR_OUTCOME[outcome["outcome"]]

        @task
        def add_all_members(outcome: dict, emails: list[str], params: dict) -> dict:
            return _add_members(outcome, emails, params, expected="created", only_missing=False)

        @task
        def reconcile_members(outcome: dict, emails: list[str], group_name: str, params: dict, ti=None) -> dict:
            cohort = (ti.xcom_pull(task_ids="plan_cohorts", key="cohort_members") or {}).get(group_name, emails)
            return _add_members(outcome, emails, params, expected="exists", only_missing=True, keep=cohort)

        choose_path(created.output) >> [
            add_all_members(created.output, emails),
            reconcile_members(created.output, emails, group_name),
        ]

    @task(trigger_rule="all_done")
    def late_joiners(params: dict, ti=None, data_interval_start=None, data_interval_end=None) -> dict:
        """Add the hires of the past ``late_joiner_days`` whose Zoom account is active now (and, with
        ``invite_missing_users``, invite the ones Zoom has no user for); runs whatever the cohorts' fate."""
        from airflow_provider_zoom.onboarding.late_joiners import late_joiner_step
        from airflow_provider_zoom.onboarding.run_window import run_window

        day, _ = run_window(data_interval_start, data_interval_end)  # the first start day this run covers
        cohorts = ti.xcom_pull(task_ids="plan_cohorts") or []
        outcomes = _pull(ti, "create_group", list(range(len(cohorts))))
        results = []
        for task_id, outcome in (("add_all_members", "created"), ("reconcile_members", "exists")):
            results += _pull(ti, task_id, [i for i, o in enumerate(outcomes) if o and o.get("outcome") == outcome])
        names = ti.xcom_pull(task_ids="plan_cohorts", key="hire_names")
        return late_joiner_step(results, day=day, params=params, names=names, conn_id=ZOOM_CONN_ID)

    # One summary at a time across the DAG's runs: the first asset event of an account creates its asset, and two
    # runs' summaries doing that at the same moment (a backfill's first runs) make Airflow 3.3's API server fail the
    # second on a unique key after the task succeeded (no retry then). A summary takes a second or two.
    @task(trigger_rule="all_done", retries=0, max_active_tis_per_dag=1, outlets=[ZOOM_GROUPS_ALIAS])
    def summarize(ti=None, outlet_events=None) -> dict:
        """One line per run; pushed before failing so that a failed run still reports its counts. A run that
        succeeds with cohorts emits one asset event (account x group API) with the counts, once per run."""
        from airflow_provider_zoom._compat import AirflowFailException
        from airflow_provider_zoom.assets import emit_groups_event
        from airflow_provider_zoom.onboarding.planning import format_summary, summarize_run

        cohorts = ti.xcom_pull(task_ids="plan_cohorts")  # None when the plan step failed
        if cohorts is None:
            summary = summarize_run(cohort_count=None)
            ti.xcom_push(key="summary", value=summary)
            raise AirflowFailException(format_summary(summary))
        outcomes = _pull(ti, "create_group", list(range(len(cohorts))))
        # Pull each cohort's result from the path its create took: the other path was skipped and has no
        # XCom (asking for it logs "XCom not found" errors in a green run).
        member_results, interrupted = [], []
        for task_id, outcome in (("add_all_members", "created"), ("reconcile_members", "exists")):
            indexes = [i for i, o in enumerate(outcomes) if o and o.get("outcome") == outcome]
            results = _pull(ti, task_id, indexes)
            member_results += results
            # Exact membership removed people, then failed: they are gone all the same.
            if task_id == "reconcile_members":
                failed = [i for i, r in zip(indexes, results, strict=True) if r is None]
                interrupted += _pull(ti, task_id, failed, key="removed_before_failure")
        late = ti.xcom_pull(task_ids="late_joiners")  # None when that step failed
        summary = summarize_run(
            cohort_count=len(cohorts),
            outcomes=outcomes,
            member_results=member_results,
            rejected_rows=ti.xcom_pull(task_ids="plan_cohorts", key="rejected_rows"),
            removed_before_failure=interrupted,
            late_joiners=late,
        )
        ti.xcom_push(key="summary", value=summary)
        if summary.get("dry_run"):
            from airflow_provider_zoom.onboarding.membership import format_dry_run

            rows = [r for r in member_results if r]
            ti.xcom_push(key="dry_run_report", value=rows)
            log.info("Dry run, nothing was written to Zoom. A real run would do:\n%s", format_dry_run(rows))
        line = format_summary(summary)
        if summary["failed"]:
            raise AirflowFailException(f"{summary['failed']} of {len(cohorts)} cohorts failed: {line}")
        log.info("Onboarding summary: %s", line)
        if not summary.get("dry_run"):  # a dry run changed nothing: no downstream DAG is woken
            emit_groups_event(outlet_events, summary, [*outcomes, late])
        if late:
            from airflow_provider_zoom.onboarding.late_joiners import report_still_pending

            report_still_pending(ti, late)
        return summary

    cohorts = plan_cohorts()
    onboard_cohort.expand_kwargs(cohorts) >> late_joiners() >> summarize()


def _pull(ti, task_id: str, map_indexes: list[int], key: str = "return_value") -> list:
    """One value per map index of a task of the cohort group (None where it failed)."""
    if not map_indexes:
        return []
    values = ti.xcom_pull(task_ids=f"onboard_cohort.{task_id}", map_indexes=map_indexes, key=key)
    return list(values) if isinstance(values, (list, tuple)) else [values]


def _add_members(
    outcome: dict, emails: list[str], params: dict, *, expected: str, only_missing: bool, keep: list | None = None
) -> dict:
    # Airflow 3.3 cannot skip the path not taken inside a *mapped* task group (the branch's skip
    # targets map indexes that are not expanded yet), so each path checks the outcome itself.
    from airflow.sdk import get_current_context

    from airflow_provider_zoom._compat import AirflowSkipException
    from airflow_provider_zoom.exceptions import fail_fast_on_permanent_errors
    from airflow_provider_zoom.groups.removal_baseline import default_baselines
    from airflow_provider_zoom.hooks.zoom import ZoomHook
    from airflow_provider_zoom.onboarding.membership import sync_members
    from airflow_provider_zoom.operators._removal_ledger import removals_across_tries

    if outcome["outcome"] != expected:
        raise AirflowSkipException(f"group {outcome['name']!r} was {outcome['outcome']}, not {expected}")
    with fail_fast_on_permanent_errors():  # who was removed before a failure: XCom removed_before_failure
        result = removals_across_tries(get_current_context(), outcome["group_id"], lambda: sync_members(
            ZoomHook(zoom_conn_id=ZOOM_CONN_ID).groups, outcome["group_id"], emails, name=outcome["name"], keep=keep,
            only_missing=only_missing, membership=params["membership"] if expected == "exists" else "add_only",
            max_removal_share=params["max_removal_share"], dry_run=bool(params["dry_run"]),
            action="create" if expected == "created" else "exists", keep_members=params.get("keep_members"),
            baselines=default_baselines(),
        ))
    return {"name": outcome["name"], "outcome": outcome["outcome"], **result}


zoom_onboarding_im_groups()
