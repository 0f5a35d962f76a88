"""
What comes after the groups: an example DAG scheduled on the onboarding DAGs' asset events.

``zoom_onboarding_wave`` and ``zoom_onboarding_im_groups`` end a successful run with one asset event on
``zoom://<account_id>/im_groups`` or ``zoom://<account_id>/contact_groups``, attached to the alias
``zoom_onboarding_groups``, its extra holding the run's counts (``created``, ``exists``, ``failed``,
``members_added``, ...) and ``group_api``. This DAG runs after each such event and logs the counts: put the
welcome messages or access requests here. To follow one account only, schedule on
``zoom_groups_asset("<account_id>", "contact_groups")`` instead of the alias.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import dag, task

from airflow_provider_zoom.assets import ZOOM_GROUPS_ALIAS

log = logging.getLogger(__name__)


@dag(
    dag_id="zoom_onboarding_followup",
    schedule=[ZOOM_GROUPS_ALIAS],
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    tags=["zoom", "onboarding", "example"],
    doc_md=__doc__,
)
def zoom_onboarding_followup():
    @task
    def log_onboarded_groups(triggering_asset_events=None) -> list[dict]:
        """One line per triggering event: which account and API, which run, and its counts."""
        seen = []
        for event in (triggering_asset_events or {}).get(ZOOM_GROUPS_ALIAS, []):
            counts = dict(event.extra)
            log.info(
                "Zoom groups ready on %s after %s / %s: %s",
                event.asset.uri,
                event.source_dag_id,
                event.source_run_id,
                " ".join(f"{key}={counts[key]}" for key in sorted(counts)),
            )
            seen.append(
                {
                    "asset": event.asset.uri,
                    "source_dag_id": event.source_dag_id,
                    "source_run_id": event.source_run_id,
                    "extra": counts,
                }
            )
        return seen

    log_onboarded_groups()


zoom_onboarding_followup()
