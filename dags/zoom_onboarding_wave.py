"""
A whole onboarding wave -> Zoom IM groups, in a handful of tasks however large the extract.

``plan_wave`` turns the extract into cohorts (department x ISO week); ``create_groups`` creates them
all in one task at the Zoom plan's rate, each new group's members going in as soon as it exists (so
creates and member adds share the time); then ``route`` follows one or both paths: members for the
new groups (only who the creates could not add: pending people, an add that failed), and a reconcile
(add only who is missing) for groups that already existed. Every Zoom task runs in the ``zoom_api``
pool, so parallel runs share one account's budget. A successful ``summarize`` emits an asset event
with the run's counts through the alias ``zoom_onboarding_groups`` (see ``zoom_onboarding_followup``).
Zoom's daily limit defers a task until the reset (the triggerer waits; no worker or pool slot is held);
it then finishes what it had not done.

Trigger with ``--conf '{"hr_extract_path": "/data/wave.csv", "zoom_plan": "business"}'``.

``dry_run`` reads the account and writes nothing; ``summarize`` logs per cohort what a real run would do.
``membership: exact`` makes the reconcile step also remove the people no longer in their cohort, after
checking every group against ``max_removal_share``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pendulum
from airflow.sdk import dag, task

from airflow_provider_zoom.assets import ZOOM_GROUPS_ALIAS
from airflow_provider_zoom.onboarding.params import late_joiner_params, wave_params
from airflow_provider_zoom.operators.waves import WaveAddMembersOperator, WaveCreateGroupsOperator

log = logging.getLogger(__name__)

ZOOM_CONN_ID = "zoom_default"
ZOOM_POOL = "zoom_api"
SAMPLE_EXTRACT = Path(__file__).parent / "data" / "hr_new_hires_sample.csv"
WAVE_SETTINGS = {
    "plan": "{{ params.zoom_plan }}",
    "pool": ZOOM_POOL,
    "zoom_conn_id": ZOOM_CONN_ID,
    "on_daily_limit": "{{ params.on_daily_limit }}",
}


@dag(
    dag_id="zoom_onboarding_wave",
    schedule=None,
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    tags=["zoom", "onboarding"],
    doc_md=__doc__,
    params={**wave_params(hr_extract_path=str(SAMPLE_EXTRACT)), **late_joiner_params()},
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=30)},
)
def zoom_onboarding_wave():
    @task(multiple_outputs=True)
    def plan_wave(params: dict, ti=None, run_id=None) -> dict:
        from airflow_provider_zoom.onboarding.planning import plan_wave as plan

        wave = plan(
            extract_path=params["hr_extract_path"],
            name_template=params["group_name_template"],
            run_id=run_id,
            quarantine_dir=params["quarantine_dir"] or None,
            max_rejected_share=params["max_rejected_share"],
        )
        return wave

    wave = plan_wave()
    created = WaveCreateGroupsOperator(
        task_id="create_groups",
        groups=wave["groups"],
        members_by_name=wave["members_by_name"],  # added with each create: members and creates run side by side
        group_type="{{ params.group_type }}",
        search_by_domain="{{ params.search_by_domain }}",
        search_by_account="{{ params.search_by_account }}",
        search_by_ma_account="{{ params.search_by_ma_account }}",
        dry_run="{{ params.dry_run }}",
        **WAVE_SETTINGS,
    )

    @task.branch
    def route(result: dict) -> list[str]:
        paths = []
        if result["created_count"] and result.get("members_left", 1):  # none left: the creates added them all
            paths.append("add_members_to_new_groups")
        if result["exists_count"]:
            paths.append("reconcile_existing_groups")
        return paths

    add_new = WaveAddMembersOperator(
        task_id="add_members_to_new_groups",
        groups=created.output,
        members_by_name=wave["members_by_name"],
        source="created",
        dry_run="{{ params.dry_run }}",
        **WAVE_SETTINGS,
    )
    reconcile = WaveAddMembersOperator(
        task_id="reconcile_existing_groups",
        groups=created.output,
        members_by_name=wave["members_by_name"],
        source="exists",
        only_missing=True,
        membership="{{ params.membership }}",
        max_removal_share="{{ params.max_removal_share }}",
        keep_members="{{ params.keep_members }}",
        dry_run="{{ params.dry_run }}",
        **WAVE_SETTINGS,
    )

    @task(trigger_rule="all_done")
    def late_joiners(params: dict, ti=None, dag_run=None) -> dict:
        """Record who the wave could not add yet (pending, not in Zoom) and add the owed people of the past
        ``late_joiner_days`` who are active now; the daily DAG's runs visit the same record (one per connection)."""
        from airflow_provider_zoom.onboarding.late_joiners import late_joiner_step
        from airflow_provider_zoom.operators.waves import load_report

        created = ti.xcom_pull(task_ids="create_groups") or {}
        rows = [{"group_id": g.get("group_id"), "name": g.get("name"), "pending": g.get("members_pending", []),
                 "rejected": g.get("members_rejected", [])} for g in load_report(created).get("created", [])]
        for task_id in ("add_members_to_new_groups", "reconcile_existing_groups"):
            result = ti.xcom_pull(task_ids=task_id)
            rows += load_report(result).get("groups", []) if result else []
        when = dag_run.logical_date or dag_run.run_after
        day = pendulum.instance(when).in_timezone("UTC").date()
        return late_joiner_step(rows, day=day, params=params, names=None, conn_id=ZOOM_CONN_ID)

    # One summary at a time across the DAG's runs: the first asset event of an account creates its asset, and two
    # runs' summaries doing that at the same moment (a backfill's first runs) make Airflow 3.3's API server fail the
    # second on a unique key after the task succeeded (no retry then). A summary takes a second or two.
    @task(trigger_rule="all_done", retries=0, max_active_tis_per_dag=1, outlets=[ZOOM_GROUPS_ALIAS])
    def summarize(ti=None, outlet_events=None) -> dict:
        """One line per run, also when a step failed: pushed as XCom before the task fails. A run that succeeds
        emits one asset event (account x group API) with the counts: downstream DAGs see the whole run, once."""
        from airflow_provider_zoom._compat import AirflowFailException
        from airflow_provider_zoom.assets import emit_groups_event
        from airflow_provider_zoom.onboarding.late_joiners import report_still_pending
        from airflow_provider_zoom.onboarding.planning import format_summary, late_joiner_counts, summarize_run

        result = ti.xcom_pull(task_ids="create_groups")
        if ti.xcom_pull(task_ids="plan_wave", key="groups") is None:
            summary = summarize_run(cohort_count=None)
            # The planner's message names the daily DAG's plan task; this DAG's is plan_wave.
            summary["message"] = summary["message"].replace("plan_cohorts", "plan_wave")
            ti.xcom_push(key="summary", value=summary)
            raise AirflowFailException(format_summary(summary))
        result = result or ti.xcom_pull(task_ids="create_groups", key="partial_result") or {}
        # Only the paths ``route`` took: a skipped task has no XCom, and asking for it logs an error line.
        taken = [task_id for task_id, count in (
            ("add_members_to_new_groups", result.get("created_count") and result.get("members_left", 1)),
            ("reconcile_existing_groups", result.get("exists_count"))) if count]
        added = [ti.xcom_pull(task_ids=task_id) or ti.xcom_pull(task_ids=task_id, key="partial_result")
                 for task_id in taken]
        summary = {
            "created": result.get("created_count", 0),
            "exists": result.get("exists_count", 0),
            "failed": result.get("failed_count", 0) + sum(a["failed_count"] for a in added if a),
            "members_added": result.get("members_added", 0) + sum(a["members_added"] for a in added if a),
            "rejected": ti.xcom_pull(task_ids="plan_wave", key="rejected_rows"),
        }
        # Refused at the create or by a members step; pending people are always left to the members step.
        for count in ("members_rejected", "members_pending"):
            if "members_left" in result or any(a and count in a for a in added):
                summary[count] = result.get(count, 0) + sum(a.get(count, 0) for a in added if a)
        if any(a and "members_removed" in a for a in added):  # exact membership
            summary["members_removed"] = sum(a.get("members_removed", 0) for a in added if a)
        if result.get("also_named_count"):  # other groups sharing a cohort's name, left alone
            summary["also_named"] = result["also_named_count"]
        if result.get("dry_run"):
            _report_dry_run(ti, result, added)
            summary["dry_run"] = 1  # the counts are what a real run would do; nothing was written
        if not result or None in added:
            summary["failed"] = max(summary["failed"], 1)  # a Zoom step failed before it could count
        late = ti.xcom_pull(task_ids="late_joiners")  # None when that step failed
        summary.update(late_joiner_counts(late))
        ti.xcom_push(key="summary", value=summary)
        if late:
            report_still_pending(ti, late)
        line = format_summary(summary)
        if summary["failed"]:
            raise AirflowFailException(f"Wave failed: {line}")
        log.info("Wave summary: %s", line)
        if not summary.get("dry_run"):  # a dry run changed nothing: no downstream DAG is woken
            emit_groups_event(outlet_events, summary, [result, *added, late])
        return summary

    route(created.output) >> [add_new, reconcile] >> late_joiners() >> summarize()


def _report_dry_run(ti, created: dict, added: list) -> None:
    """One table for the run: per cohort, create or exists, and who would be added, pending or removed."""
    from airflow_provider_zoom.onboarding.membership import format_dry_run
    from airflow_provider_zoom.operators.waves import load_report

    wave = load_report(created)
    rows = {g["name"]: {"name": g["name"], "action": "create", "added": [], "pending": []} for g in wave["created"]}
    rows.update({g["name"]: {"name": g["name"], "action": "exists", "added": [], "pending": []}
                 for g in wave["exists"]})
    for result in added:
        for group in load_report(result).get("groups", []) if result else []:
            rows[group["name"]] = {**rows.get(group["name"], {}), **group}
    report = [rows[name] for name in sorted(rows)]
    ti.xcom_push(key="dry_run_report", value=report)
    log.info("Dry run, nothing was written to Zoom. A real run would do:\n%s", format_dry_run(report))


zoom_onboarding_wave()
