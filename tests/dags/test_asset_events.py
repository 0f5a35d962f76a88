"""Both onboarding DAGs end a successful run with one asset event per account and group API, the run's counts in
its extra (real Airflow ``dag.test()``, events read back from the metadata DB; the emulator over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.airflow_runs import asset_events, run_dag, xcom_values
from tests.dags.test_onboarding_dag import EXTRACT

ALIAS = "zoom_onboarding_groups"


def _use(zoom, monkeypatch, group_api: str) -> None:
    if group_api == "im_groups":
        return
    zoom.configure(im_groups="gone")  # 410/4137: the connection's ``auto`` switches to Contact Groups mid-run
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", zoom.server.connection_uri_json(group_api="auto"))


def _expected(zoom, run, group_api: str) -> list[dict]:
    (summary,) = xcom_values(run, "summarize", "summary")
    return [
        {
            "uri": f"zoom://{zoom.server.account_id}/{group_api}",
            "extra": {**summary, "group_api": group_api},
            "task_id": "summarize",
            "aliases": [ALIAS],
        }
    ]


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_run_emits_its_counts_on_the_accounts_asset(zoom, zoom_pool, monkeypatch, tmp_path, group_api):
    _use(zoom, monkeypatch, group_api)
    conf = {"quarantine_dir": str(tmp_path)}

    first = run_dag("zoom_onboarding_wave", conf)
    second = run_dag("zoom_onboarding_wave", conf)

    assert (first.state, second.state) == ("success", "success")
    assert asset_events(first) == _expected(zoom, first, group_api)
    (event,) = asset_events(first)
    assert event["extra"]["created"] == 14 and event["extra"]["members_added"] == 45
    (again,) = asset_events(second)
    assert (again["extra"]["created"], again["extra"]["exists"], again["extra"]["members_added"]) == (0, 14, 0)
    assert again["uri"] == event["uri"]


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_daily_run_emits_once_with_its_counts_and_a_day_without_hires_not_at_all(
    zoom, airflow_db, monkeypatch, tmp_path, group_api
):
    _use(zoom, monkeypatch, group_api)
    extract = tmp_path / "hires.csv"
    extract.write_text(EXTRACT, encoding="utf-8")
    conf = {"hr_extract_path": str(extract), "quarantine_dir": str(tmp_path / "quarantine")}

    def run_day(day: str):
        return run_dag("zoom_onboarding_im_groups", conf, datetime.fromisoformat(day).replace(tzinfo=UTC))

    monday, tuesday = run_day("2026-11-23"), run_day("2026-11-24")

    assert (monday.state, tuesday.state) == ("success", "success")
    assert asset_events(monday) == _expected(zoom, monday, group_api)  # one event for the two cohorts
    (event,) = asset_events(monday)
    assert (event["extra"]["created"], event["extra"]["members_added"], event["extra"]["rejected"]) == (2, 3, 2)
    assert asset_events(tuesday) == []  # no hires that day: downstream DAGs are not woken


def test_a_failed_run_emits_no_event(zoom, zoom_pool, tmp_path):
    extract = tmp_path / "header_only.csv"
    extract.write_text(EXTRACT.splitlines()[0] + "\n", encoding="utf-8")

    run = run_dag("zoom_onboarding_wave", {"hr_extract_path": str(extract), "quarantine_dir": str(tmp_path)})

    assert run.state == "failed"
    assert asset_events(run) == []
