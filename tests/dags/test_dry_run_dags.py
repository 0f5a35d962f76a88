"""Dry runs of both DAGs (real ``dag.test()``, the emulator over HTTP): they report per cohort what a real run
would do, and the emulator's request counters show that they sent no write request at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests

from airflow_provider_zoom.onboarding.membership import format_dry_run
from airflow_provider_zoom.onboarding.planning import format_summary
from tests.airflow_runs import run_dag, xcom_values

HEADER = "employee_id,email,first_name,last_name,department,location,start_date\n"
SALES, ENGINEERING = "Onboarding 2026-W48 Sales", "Onboarding 2026-W48 Engineering"
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def _writes(zoom) -> dict[str, int]:
    """Requests answered on every API route that writes (the OAuth token POST is not a write to the account)."""
    counters = zoom.state()["counters"]["requests"]
    return {route: sum(by_status.values()) for route, by_status in counters.items()
            if route.split(" ", 1)[0] in WRITES and " /v2/" in route}


def _use(zoom, monkeypatch, group_api: str) -> None:
    if group_api == "contact_groups":
        zoom.configure(im_groups="gone")
        conn = json.loads(zoom.server.connection_uri_json())
        conn["extra"]["group_api"] = "contact_groups"
        monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))


def _groups(zoom, group_api: str) -> dict[str, list[str]]:
    if group_api == "im_groups":
        return zoom.groups()
    return {name: copies[0] for name, copies in zoom.server.contact_groups(timeout=10).items()}


def _conf(tmp_path, text: str, name: str, **params) -> dict:
    extract = tmp_path / name
    extract.write_text(text, encoding="utf-8")
    return {"hr_extract_path": str(extract), "quarantine_dir": str(tmp_path / "q"), **params}


def _emails(*people: str) -> list[str]:
    return sorted(f"{p}@example.com" for p in people)


def _hires(*rows: tuple[str, str]) -> str:
    return HEADER + "".join(
        f"E{n},{person}@example.com,{person.title()},X,{department},Lisbon,2026-11-23\n"
        for n, (person, department) in enumerate(rows, 1)
    )


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_dry_run_on_a_new_account_writes_nothing_and_predicts_the_real_run(zoom, zoom_pool, monkeypatch,
                                                                                tmp_path, group_api):
    _use(zoom, monkeypatch, group_api)
    conf = {"quarantine_dir": str(tmp_path)}  # the 50-row sample extract

    dry = run_dag("zoom_onboarding_wave", {**conf, "dry_run": True})

    assert dry.state == "success"
    assert _writes(zoom) == {}
    assert _groups(zoom, group_api) == {}
    (predicted,) = xcom_values(dry, "summarize")
    assert predicted["dry_run"] == 1
    (report,) = xcom_values(dry, "summarize", "dry_run_report")
    assert len(report) == 14 and {row["action"] for row in report} == {"create"}
    table = format_dry_run(report)  # as the summarize task logs it
    assert table.splitlines()[0].split() == ["Cohort", "Action", "Add", "Pending", "Remove", "Note"]
    assert format_summary(predicted).startswith("created=14 exists=0 failed=0 members_added=45")
    assert format_summary(predicted).endswith(" dry_run=1")  # the flag last

    real = run_dag("zoom_onboarding_wave", conf)

    assert real.state == "success"
    (summary,) = xcom_values(real, "summarize")
    del predicted["dry_run"]
    assert predicted == summary  # what the dry run said is what the real run did
    assert len(_groups(zoom, group_api)) == 14


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_wave_dry_run_with_exact_reports_adds_pending_and_removals_by_name(zoom, zoom_pool, monkeypatch, tmp_path,
                                                                           group_api):
    _use(zoom, monkeypatch, group_api)
    first = _hires(("sam", "Sales"), ("sue", "Sales"), ("sid", "Sales"), ("sia", "Sales"), ("eli", "Engineering"))
    assert run_dag("zoom_onboarding_wave", _conf(tmp_path, first, "first.csv")).state == "success"
    before, writes = _groups(zoom, group_api), _writes(zoom)
    assert writes  # the counters see the real run's creates and adds
    # Sam moves to Engineering, Sue withdraws, Nia joins Sales (not in Zoom yet on Contact Groups).
    changed = _hires(("sam", "Engineering"), ("sid", "Sales"), ("sia", "Sales"), ("nia", "Sales"),
                     ("eli", "Engineering"))
    if group_api == "contact_groups":
        requests.post(f"{zoom.url}/_emulator/users", json={"missing": ["nia@example.com"]},
                      timeout=10).raise_for_status()

    run = run_dag("zoom_onboarding_wave", _conf(tmp_path, changed, "changed.csv", membership="exact", dry_run=True))

    assert run.state == "success"
    assert _writes(zoom) == writes  # reads only
    assert _groups(zoom, group_api) == before
    (report,) = xcom_values(run, "summarize", "dry_run_report")
    rows = {row["name"]: row for row in report}
    assert rows[ENGINEERING]["action"] == rows[SALES]["action"] == "exists"
    assert rows[ENGINEERING]["added"] == _emails("sam") and rows[ENGINEERING]["removed"] == []
    assert rows[SALES]["removed"] == _emails("sam", "sue")
    if group_api == "contact_groups":
        assert (rows[SALES]["added"], rows[SALES]["pending"]) == ([], _emails("nia"))
    else:
        assert (rows[SALES]["added"], rows[SALES]["pending"]) == (_emails("nia"), [])
    (summary,) = xcom_values(run, "summarize")
    assert (summary["members_removed"], summary["dry_run"]) == (2, 1)


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_daily_dry_run_reports_each_cohort_and_writes_nothing(zoom, airflow_db, monkeypatch, tmp_path, group_api):
    _use(zoom, monkeypatch, group_api)
    first = _hires(("ana", "Engineering"), ("ben", "Engineering"), ("cleo", "Sales"))
    assert _run_day("2026-11-23", _conf(tmp_path, first, "first.csv")).state == "success"
    before, writes = _groups(zoom, group_api), _writes(zoom)
    assert writes
    # Ben moves to Sales; a new department starts the same day.
    changed = _hires(("ana", "Engineering"), ("ben", "Sales"), ("cleo", "Sales"), ("max", "Marketing"))

    run = _run_day("2026-11-23", _conf(tmp_path, changed, "changed.csv", membership="exact", dry_run=True))

    assert run.state == "success"
    assert _writes(zoom) == writes
    assert _groups(zoom, group_api) == before
    (report,) = xcom_values(run, "summarize", "dry_run_report")
    rows = {row["name"]: row for row in report}
    assert {n: (r["action"], r["added"], r.get("removed")) for n, r in rows.items()} == {
        ENGINEERING: ("exists", [], _emails("ben")),
        SALES: ("exists", _emails("ben"), []),
        "Onboarding 2026-W48 Marketing": ("create", _emails("max"), None),
    }
    (summary,) = xcom_values(run, "summarize", "summary")
    assert (summary["created"], summary["exists"], summary["members_added"], summary["members_removed"],
            summary["dry_run"]) == (1, 2, 2, 1, 1)
    assert "Onboarding 2026-W48 Engineering: remove ben@example.com" in format_dry_run(report)


def _run_day(day: str, conf: dict):
    return run_dag("zoom_onboarding_im_groups", conf, datetime.fromisoformat(day).replace(tzinfo=UTC))
