"""Late joiners on the daily DAG, on both group APIs (real ``dag.test()`` runs, the emulator over HTTP): hires whose
Zoom account is pending or missing on their start day join their cohort group once active, without re-running
their day; invitations go out once per missing hire however often a range is run; hires still pending after the
look-back window are reported; a dry run sends nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from airflow_provider_zoom.onboarding.planning import format_summary
from tests.airflow_runs import asset_events, run_dag, xcom_values
from tests.dags.cohort_runs import HEADER, account_groups, emails, extract_conf, run_day, use_group_api

GROUP_APIS = ["im_groups", "contact_groups"]
SALES = "Onboarding 2026-W48 Sales"
USER_LOOKUP = "GET /v2/users/{userId}"
CREATE_USER = "POST /v2/users"


def _extract(*rows: tuple[str, str]) -> str:
    """``(person, start day)`` rows, all in Sales; emails ``person@example.com``."""
    return HEADER + "".join(f"E{n},{person}@example.com,{person.title()},X,Sales,Lisbon,{day}\n"
                            for n, (person, day) in enumerate(rows, 1))


def _users(zoom, *, pending=(), missing=(), active=()) -> None:
    for body in ({"emails": emails(*pending), "status": "pending"}, {"missing": emails(*missing)},
                 {"emails": emails(*active), "status": "active"}):
        if body.get("emails") or body.get("missing"):
            requests.post(f"{zoom.url}/_emulator/users", json=body, timeout=10).raise_for_status()


def _run(day: str, conf: dict) -> tuple[dict, dict]:
    run = run_day(day, conf)
    assert run.state == "success", day
    (summary,) = xcom_values(run, "summarize", "summary")
    (late,) = xcom_values(run, "late_joiners")
    return summary, late


@pytest.mark.parametrize("group_api", GROUP_APIS)
def test_a_hire_who_activates_on_day_3_joins_on_day_3_without_rerunning_day_1(zoom, airflow_db, monkeypatch,
                                                                                 tmp_path, group_api):
    use_group_api(zoom, monkeypatch, group_api)
    _users(zoom, pending=["pia"], missing=["max"])
    conf = extract_conf(tmp_path, _extract(("ann", "2026-11-23"), ("pia", "2026-11-23"), ("max", "2026-11-23")),
                        "hires.csv")

    _run("2026-11-23", conf)
    on_day_1 = account_groups(zoom, group_api)[SALES]
    # Zoom takes an invited (pending) user in an IM group by e-mail; a contact group needs an active user's id.
    assert on_day_1 == (emails("ann", "pia") if group_api == "im_groups" else emails("ann"))
    summary, _ = _run("2026-11-24", conf)  # nobody starts on Tuesday; still nobody active
    assert summary["late_added"] == 0
    assert account_groups(zoom, group_api)[SALES] == on_day_1

    _users(zoom, active=["pia", "max"])  # pia accepts the invitation, max gets a Zoom user
    lookups = zoom.count(USER_LOOKUP)
    summary, late = _run("2026-11-25", conf)

    assert account_groups(zoom, group_api)[SALES] == emails("ann", "max", "pia")
    joined = ["max"] if group_api == "im_groups" else ["max", "pia"]
    assert sorted(a["email"] for a in late["late_added"]) == emails(*joined)
    assert (summary["late_added"], summary["still_pending"]) == (len(joined), 0)
    # Only the people not yet in their group: looked up on Contact Groups (members are ids), sent by e-mail to IM.
    assert zoom.count(USER_LOOKUP) - lookups == (0 if group_api == "im_groups" else 2)

    # A backfill of the same days again: nobody is added twice, nobody is looked up for the group again.
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        summary, _ = _run(day, conf)
        assert (summary["members_added"], summary["late_added"]) == (0, 0)
    assert account_groups(zoom, group_api)[SALES] == emails("ann", "max", "pia")


@pytest.mark.parametrize("group_api", GROUP_APIS)
def test_invitations_go_out_once_per_missing_hire_across_a_backfill_run_twice(zoom, airflow_db, monkeypatch,
                                                                              tmp_path, group_api):
    use_group_api(zoom, monkeypatch, group_api)
    _users(zoom, missing=["max", "zed", "kim", "ext"])
    zoom.configure(foreign_users=["ext@example.com"])  # a user of another Zoom account: 400 / 1009
    conf = extract_conf(
        tmp_path,
        _extract(("ann", "2026-11-23"), ("max", "2026-11-23"), ("zed", "2026-11-23"), ("ext", "2026-11-23"),
                 ("kim", "2026-11-24")),
        "hires.csv", invite_missing_users=True,
    )

    first = [_run(day, conf) for day in ("2026-11-23", "2026-11-24", "2026-11-25")]
    again = [_run(day, conf) for day in ("2026-11-23", "2026-11-24", "2026-11-25")]

    assert zoom.count(CREATE_USER, 201) == 3  # max, zed, kim: one invitation each
    assert zoom.count(CREATE_USER) == 4  # and the one to ext, refused (another account), never sent again
    assert [s["invited"] for s, _ in first] == [2, 1, 0]
    assert [s["invited"] for s, _ in again] == [0, 0, 0]
    assert sorted(first[0][1]["invited"]) == emails("max", "zed")
    (problem,) = first[0][1]["invite_problems"]
    assert problem["email"] == "ext@example.com" and "another account" in problem["reason"]
    users = {u["email"]: u["status"] for u in requests.get(f"{zoom.url}/_emulator/users", timeout=10).json()["users"]}
    assert {e: users.get(e) for e in emails("kim", "max", "zed")} == dict.fromkeys(emails("kim", "max", "zed"),
                                                                                   "pending")

    _users(zoom, active=["max", "zed", "kim"])  # they accept
    last, _ = _run("2026-11-26", conf)
    # Each joins once: on IM Groups as soon as invited (Zoom takes a pending user there), else once active.
    assert sum(s["late_added"] for s, _ in [*first, *again]) + last["late_added"] == 3
    assert last["late_added"] == (0 if group_api == "im_groups" else 3)
    assert account_groups(zoom, group_api)[SALES] == emails("ann", "kim", "max", "zed")


@pytest.mark.parametrize("group_api", GROUP_APIS)
def test_a_hire_who_never_activates_is_reported_still_pending_when_the_window_has_passed(zoom, airflow_db,
                                                                                         monkeypatch, tmp_path,
                                                                                         group_api):
    use_group_api(zoom, monkeypatch, group_api)
    _users(zoom, missing=["pia"])  # never a user: on both APIs, out of the group
    conf = extract_conf(tmp_path, _extract(("ann", "2026-11-23"), ("pia", "2026-11-23")), "hires.csv",
                        late_joiner_days=2)

    runs = {}
    for day in ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"):
        runs[day] = run_day(day, conf)
        assert runs[day].state == "success"
    summaries = {day: xcom_values(run, "summarize", "summary")[0] for day, run in runs.items()}

    assert [s["still_pending"] for s in summaries.values()] == [0, 0, 1, 0]  # reported once, when day 3 closes it
    assert xcom_values(runs["2026-11-25"], "summarize", "still_pending_emails") == [["pia@example.com"]]
    (event,) = asset_events(runs["2026-11-25"])
    assert event["extra"]["still_pending"] == 1
    assert format_summary(summaries["2026-11-25"]).endswith(" late_added=0 still_pending=1")  # the logged line
    assert account_groups(zoom, group_api)[SALES] == emails("ann")


@pytest.mark.parametrize("group_api", GROUP_APIS)
def test_a_dry_run_lists_its_invitations_and_additions_and_sends_nothing(zoom, airflow_db, monkeypatch, tmp_path,
                                                                         group_api):
    use_group_api(zoom, monkeypatch, group_api)
    _users(zoom, missing=["max", "pia"])
    rows = _extract(("ann", "2026-11-23"), ("max", "2026-11-23"), ("pia", "2026-11-23"))
    conf = extract_conf(tmp_path, rows, "hires.csv", invite_missing_users=True)
    _run("2026-11-23", {**conf, "invite_missing_users": False})  # a real day 1, without invitations
    _users(zoom, active=["pia"])
    before = account_groups(zoom, group_api)

    summary, late = _run("2026-11-24", {**conf, "dry_run": True})

    assert zoom.count(CREATE_USER) == 0
    assert account_groups(zoom, group_api) == before == {SALES: emails("ann")}
    assert late["invited"] == ["max@example.com"] and late["dry_run"] is True
    assert [a["email"] for a in late["late_added"]] == ["pia@example.com"]
    assert (summary["dry_run"], summary["late_added"], summary["invited"]) == (1, 1, 1)
    # The dry run recorded nothing: the real run of the same day does what it listed.
    summary, late = _run("2026-11-24", conf)
    assert (summary["late_added"], summary["invited"]) == (1, 1)
    assert zoom.count(CREATE_USER, 201) == 1
    assert account_groups(zoom, group_api)[SALES] == emails("ann", "pia")


@pytest.mark.parametrize("group_api", GROUP_APIS)
def test_a_waves_late_joiners_are_added_by_the_daily_runs_and_invited_once(zoom, zoom_pool, monkeypatch, tmp_path,
                                                                          group_api):
    """The wave DAG records whom it could not add; a later daily run (a day without starters) adds them once active.
    Both DAGs share the record and the invitations of the connection."""
    use_group_api(zoom, monkeypatch, group_api)
    _users(zoom, missing=["max", "pia"])
    conf = extract_conf(tmp_path, _extract(("ann", "2026-11-23"), ("max", "2026-11-23"), ("pia", "2026-11-23")),
                        "hires.csv", invite_missing_users=True)

    wave = run_dag("zoom_onboarding_wave", conf, datetime(2026, 11, 23, tzinfo=UTC))
    assert wave.state == "success"
    (summary,) = xcom_values(wave, "summarize")
    assert (summary["invited"], summary["still_pending"]) == (2, 0)
    assert zoom.count(CREATE_USER, 201) == 2
    _users(zoom, active=["max", "pia"])  # both accept

    daily, _ = _run("2026-11-25", conf)  # nobody starts that day

    assert daily["late_added"] == 2
    assert daily["invited"] == 0 and zoom.count(CREATE_USER) == 2
    assert account_groups(zoom, group_api)[SALES] == emails("ann", "max", "pia")
