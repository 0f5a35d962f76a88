"""The late-joiner visit (``onboarding.late_joiners``) against the emulator, without Airflow: what the record keeps
when Zoom's daily create cap or the account's seats stop invitations, and how a backfill's earlier day moves a
window's start."""

from __future__ import annotations

import json
from datetime import date

import pytest
import requests

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomRateLimitError
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.groups.users import ZoomUsers
from airflow_provider_zoom.hooks.zoom import ZoomHook
from airflow_provider_zoom.onboarding.late_joiners import owed_from_results, visit_late_joiners

QUICK = RetryPolicy(max_attempts=2, max_retry_seconds=2, backoff_base_s=0.01, backoff_max_s=0.02)
DAY = date(2026, 11, 23)


@pytest.fixture
def account(zoom):
    """An IM group holding ann; max, zed and kim have no Zoom user."""
    requests.post(f"{zoom.url}/_emulator/users", json={"missing": ["max@example.com", "zed@example.com",
                                                                   "kim@example.com"]}, timeout=10).raise_for_status()
    hook = ZoomHook(retry_policy=QUICK)
    group = hook.groups.create_group(validate_group_spec("Onboarding 2026-W48 Sales"))
    hook.groups.add_members(group.group_id, ["ann@example.com"])
    return hook, group.group_id


def _owed(group_id: str, *people: str, day: date = DAY) -> list[dict[str, str]]:
    pending = [f"{p}@example.com" for p in people]
    return owed_from_results([{"group_id": group_id, "name": "Onboarding 2026-W48 Sales", "pending": pending}], day)


def _visit(hook, tmp_path, *, invite: bool = True, **kwargs):
    return visit_late_joiners(hook.groups, ZoomUsers(hook), folder=tmp_path, invite_missing_users=invite, **kwargs)


def test_the_daily_create_cap_stops_invitations_and_the_next_run_sends_the_rest(zoom, account, tmp_path):
    hook, group_id = account
    zoom.configure(user_create_daily=2)

    with pytest.raises(ZoomRateLimitError):
        _visit(hook, tmp_path, day=DAY, new_owed=_owed(group_id, "kim", "max", "zed"))

    invited = json.loads((tmp_path / "invitations-zoom_default.json").read_text())["invitations"]
    assert sorted(invited) == ["kim@example.com", "max@example.com"]  # recorded before the task failed
    owed = json.loads((tmp_path / "late_joiners-zoom_onboarding.json").read_text())["owed"]
    assert len(owed) == 3  # nobody owed was lost
    zoom.configure(user_create_daily=100)  # the next day's quota

    report = _visit(hook, tmp_path, day=date(2026, 11, 24))

    assert report.invited == ["zed@example.com"]
    assert zoom.count("POST /v2/users", 201) == 3


def test_no_seat_left_stops_inviting_and_is_reported(zoom, account, tmp_path):
    hook, group_id = account
    zoom.configure(user_seats=0)

    report = _visit(hook, tmp_path, day=DAY, new_owed=_owed(group_id, "kim", "max"))

    assert report.invited == []
    (problem,) = report.invite_problems  # the first refusal stops the run's invitations
    assert problem["email"] == "kim@example.com" and "no seat" in problem["reason"]
    assert zoom.count("POST /v2/users") == 1


def test_a_backfilled_earlier_day_moves_the_window_start(zoom, account, tmp_path):
    hook, group_id = account
    later = date(2026, 11, 25)
    _visit(hook, tmp_path, day=later, new_owed=_owed(group_id, "max", day=later), window_days=3, invite=False)
    _visit(hook, tmp_path, day=DAY, new_owed=_owed(group_id, "max", day=DAY), window_days=3, invite=False)

    report = _visit(hook, tmp_path, day=date(2026, 11, 26), window_days=3, invite=False)

    assert [p["since"] for p in report.still_pending] == ["2026-11-23"]  # 3 days after the earlier start
