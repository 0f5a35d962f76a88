"""
Baseline for ``make bench``: the onboarding wave as a user writes it without airflow-provider-zoom.

Plain ``HttpOperator`` (apache-airflow-providers-http) mapped per cohort: ``create_group`` posts the
multipart ``POST /im/groups``, ``add_members`` posts the cohort's members to the new group. Each task
fetches its own Server-to-Server OAuth token: ``HttpHook`` builds ``auth_type()`` once per task, and
``ZoomS2SAuth`` asks the token endpoint for a token there. Cohorts are department x ISO week, as in the
provider's DAGs; one member call per cohort (the bench's cohorts have at most 10 hires).

Connections: ``zoom_api_http`` (``host`` = API base URL, e.g. ``https://api.zoom.us/v2``, no login) and
``zoom_oauth`` (``host`` = token URL, ``login`` / ``password`` = client ID / secret, extra ``account_id``).
"""

from __future__ import annotations

import csv
import json
from datetime import date

import pendulum
import requests
from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import Param, dag, task
from requests.auth import AuthBase

API_CONN_ID = "zoom_api_http"
TOKEN_CONN_ID = "zoom_oauth"


class ZoomS2SAuth(AuthBase):
    """Bearer auth with a token fetched when the hook builds its session: one token request per task."""

    def __init__(self, *_ignored):
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(TOKEN_CONN_ID)
        reply = requests.post(
            conn.host,
            auth=(conn.login, conn.password),
            data={"grant_type": "account_credentials", "account_id": conn.extra_dejson["account_id"]},
            timeout=30,
        )
        reply.raise_for_status()
        self.token = reply.json()["access_token"]

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def create_request(cohort: dict) -> dict:
    fields = {"name": cohort["name"], "type": "normal", "search_by_domain": "false", "search_by_account": "true",
              "search_by_ma_account": "false"}
    return {"request_kwargs": {"files": {k: (None, v) for k, v in fields.items()}}}


def members_request(created_and_cohort) -> dict:
    group_id, cohort = created_and_cohort
    return {
        "endpoint": f"im/groups/{group_id}/members",
        "data": json.dumps({"members": [{"email": email} for email in cohort["emails"]]}),
    }


@dag(
    dag_id="baseline_http_mapped",
    schedule=None,
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    tags=["bench"],
    doc_md=__doc__,
    params={"hr_extract_path": Param("", type="string")},
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=30)},
)
def baseline_http_mapped():
    @task
    def plan_cohorts(params: dict) -> list[dict]:
        cohorts: dict[str, list[str]] = {}
        with open(params["hr_extract_path"], newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                year, week, _ = date.fromisoformat(row["start_date"]).isocalendar()
                name = f"Onboarding {year}-W{week:02d} {row['department']}"
                cohorts.setdefault(name, []).append(row["email"].strip().lower())
        return [{"name": name, "emails": emails} for name, emails in sorted(cohorts.items())]

    cohorts = plan_cohorts()
    created = HttpOperator.partial(
        task_id="create_group",
        http_conn_id=API_CONN_ID,
        endpoint="im/groups",
        method="POST",
        auth_type=ZoomS2SAuth,
        response_filter=lambda response: response.json()["id"],
    ).expand_kwargs(cohorts.map(create_request))
    HttpOperator.partial(
        task_id="add_members",
        http_conn_id=API_CONN_ID,
        method="POST",
        headers={"Content-Type": "application/json"},
        auth_type=ZoomS2SAuth,
    ).expand_kwargs(created.output.zip(cohorts).map(members_request))


baseline_http_mapped()
