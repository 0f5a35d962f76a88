"""Dry runs of both DAGs (real ``dag.test()``, the emulator over HTTP): they report per cohort what a real run
would do, and the emulator's request counters show that they sent no write request at all."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_zoom.onboarding.membership import format_dry_run
from airflow_provider_zoom.onboarding.planning import format_summary
from tests.airflow_runs import run_dag, xcom_values
from tests.dags.cohort_runs import (
    ENGINEERING,
    SALES,
    account_groups,
    emails,
    extract_conf,
    hires,
    run_day,
    use_group_api,
)

WRITES = ("POST", "PATCH", "PUT", "DELETE")


def _writes(zoom) -> dict[str, int]:
    """Requests answered on every API route that writes (the OAuth token POST is not a write to the account)."""
    counters = zoom.state()["counters"]["requests"]
    return {route: sum(by_status.values()) for route, by_status in counters.items()
            if route.split(" ", 1)[0] in WRITES and " /v2/" in route}

















@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_dry_run_on_a_new_account_writes_nothing_and_predicts_the_real_run(zoom, zoom_pool, monkeypatch,
                                                                                tmp_path, group_api):
    use_group_api(zoom, monkeypatch, group_api)
    conf = {"quarantine_dir": str(tmp_path)}  # the 50-row sample extract

    dry = run_dag("zoom_onboarding_wave", {**conf, "dry_run": True})

    assert dry.state == "success"
    assert _writes(zoom) == {}
    assert account_groups(zoom, group_api) == {}
    (predicted,) = xcom_values(dry, "summarize")
    assert predicted["dry_run"] == 1
    (report,) = xcom_values(dry, "summarize", "dry_run_report")
    assert len(report) == 14 and {row["action"] for row in report} == {"create"}
    table = format_dry_run(report)  # as the summarize task logs it
    assert table.splitlines()[0].split() == ["Cohort", "Action", "Add", "Pending", "Remove", "Note"]
    assert format_summary(predicted).startswith("created=14 exists=0 failed=0 members_added=45")
    # the flag after the old counts; the late joiners' counts (new) at the end
    assert format_summary(predicted).endswith(" dry_run=1 late_added=0 still_pending=0")

    real = run_dag("zoom_onboarding_wave", conf)

    assert real.state == "success"
    (summary,) = xcom_values(real, "summarize")
    del predicted["dry_run"]
    assert predicted == summary  # what the dry run said is what the real run did
    assert len(account_groups(zoom, group_api)) == 14


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_dry_run_with_exact_reports_adds_pending_and_removals_by_name(zoom, zoom_pool, monkeypatch, tmp_path,
                                                                           group_api):
    use_group_api(zoom, monkeypatch, group_api)
    first = hires(("sam", "Sales"), ("sue", "Sales"), ("sid", "Sales"), ("sia", "Sales"), ("eli", "Engineering"))
    assert run_dag("zoom_onboarding_wave", extract_conf(tmp_path, first, "first.csv")).state == "success"
    before, writes = account_groups(zoom, group_api), _writes(zoom)
    assert writes  # the counters see the real run's creates and adds
    # Sam moves to Engineering, Sue withdraws, Nia joins Sales (not in Zoom yet on Contact Groups).
    changed = hires(("sam", "Engineering"), ("sid", "Sales"), ("sia", "Sales"), ("nia", "Sales"),
                     ("eli", "Engineering"))
    if group_api == "contact_groups":
        requests.post(f"{zoom.url}/_emulator/users", json={"missing": ["nia@example.com"]},
                      timeout=10).raise_for_status()

    run = run_dag("zoom_onboarding_wave", extract_conf(tmp_path, changed, "changed.csv", membership="exact", dry_run=True))

    assert run.state == "success"
    assert _writes(zoom) == writes  # reads only
    assert account_groups(zoom, group_api) == before
    (report,) = xcom_values(run, "summarize", "dry_run_report")
    rows = {row["name"]: row for row in report}
    assert rows[ENGINEERING]["action"] == rows[SALES]["action"] == "exists"
    assert rows[ENGINEERING]["added"] == emails("sam") and rows[ENGINEERING]["removed"] == []
    assert rows[SALES]["removed"] == emails("sam", "sue")
    if group_api == "contact_groups":
        assert (rows[SALES]["added"], rows[SALES]["pending"]) == ([], emails("nia"))
    else:
        assert (rows[SALES]["added"], rows[SALES]["pending"]) == (emails("nia"), [])
    (summary,) = xcom_values(run, "summarize")
    assert (summary["members_removed"], summary["dry_run"]) == (2, 1)


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_daily_dry_run_reports_each_cohort_and_writes_nothing(zoom, airflow_db, monkeypatch, tmp_path, group_api):
    use_group_api(zoom, monkeypatch, group_api)
    first = hires(("ana", "Engineering"), ("ben", "Engineering"), ("cleo", "Sales"))
    assert run_day("2026-11-23", extract_conf(tmp_path, first, "first.csv")).state == "success"
    before, writes = account_groups(zoom, group_api), _writes(zoom)
    assert writes
    # Ben moves to Sales; a new department starts the same day.
    changed = hires(("ana", "Engineering"), ("ben", "Sales"), ("cleo", "Sales"), ("max", "Marketing"))

    run = run_day("2026-11-23", extract_conf(tmp_path, changed, "changed.csv", membership="exact", dry_run=True))

    assert run.state == "success"
    assert _writes(zoom) == writes
    assert account_groups(zoom, group_api) == before
    (report,) = xcom_values(run, "summarize", "dry_run_report")
    rows = {row["name"]: row for row in report}
    assert {n: (r["action"], r["added"], r.get("removed")) for n, r in rows.items()} == {
        ENGINEERING: ("exists", [], emails("ben")),
        SALES: ("exists", emails("ben"), []),
        "Onboarding 2026-W48 Marketing": ("create", emails("max"), None),
    }
    (summary,) = xcom_values(run, "summarize", "summary")
    assert (summary["created"], summary["exists"], summary["members_added"], summary["members_removed"],
            summary["dry_run"]) == (1, 2, 2, 1, 1)
    assert "Onboarding 2026-W48 Engineering: remove ben@example.com" in format_dry_run(report)


