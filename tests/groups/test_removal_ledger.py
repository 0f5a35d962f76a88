"""Every removal Zoom confirmed is named, also when Zoom's daily limit stops the batch half-way (both group APIs,
the emulator over HTTP): ``remove_members(on_removed=...)`` and ``sync_members``' ``ZoomRemovalInterrupted``."""

from __future__ import annotations

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomRateLimitError, ZoomRemovalInterrupted
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.groups.membership import sync_members
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.dags.cohort_runs import account_groups, use_group_api

QUICK = RetryPolicy(max_attempts=4, max_retry_seconds=5, backoff_base_s=0.01, backoff_max_s=0.1)
# The daily cap of the removal calls' category: IM Groups removes one member per call (Light), Contact Groups
# 20 per call (Heavy); after this many calls the rest of the day is refused (its reset an hour away).
CAP = {"im_groups": {"light_daily": 2}, "contact_groups": {"heavy_daily": 1}}


def _people(n: int) -> list[str]:
    return [f"p{i:02d}@example.com" for i in range(n)]


def _group(hook: ZoomHook, members: list[str]) -> str:
    outcome = hook.groups.create_group(validate_group_spec("Ledger"), members=members)
    if not outcome.members_added:  # IM Groups: members go in after the create
        hook.groups.add_members(outcome.group_id, members)
    return str(outcome.group_id)


def _cohort(group_api: str) -> tuple[list[str], list[str]]:
    """Who stays and who leaves: Contact Groups removes 20 per call, so its leavers need two calls."""
    people = _people(44) if group_api == "contact_groups" else _people(6)
    stay = people[:20] if group_api == "contact_groups" else people[:2]
    return stay, people[len(stay):]


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_a_daily_cap_mid_batch_leaves_every_removed_person_named(zoom, monkeypatch, group_api):
    use_group_api(zoom, monkeypatch, group_api)
    hook = ZoomHook(retry_policy=QUICK)
    stay, leave = _cohort(group_api)
    group_id = _group(hook, stay + leave)
    plan = hook.groups.plan_members(group_id, stay, keep=stay)
    zoom.configure(**CAP[group_api], daily_reset_in=3600)
    confirmed: list[str] = []

    with pytest.raises(ZoomRateLimitError):
        hook.groups.remove_members(group_id, plan["remove"] or [], on_removed=confirmed.append)

    (left,) = account_groups(zoom, group_api).values()
    gone = sorted(set(stay + leave) - set(left))
    assert gone and len(gone) < len(leave)  # the cap struck in the middle of the batch
    assert sorted(confirmed) == gone  # and everyone Zoom removed was reported


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_exact_membership_names_who_it_removed_before_a_failure(zoom, monkeypatch, group_api, capfd):
    use_group_api(zoom, monkeypatch, group_api)
    hook = ZoomHook(retry_policy=QUICK)
    stay, leave = _cohort(group_api)
    group_id = _group(hook, stay + leave)
    zoom.configure(**CAP[group_api], daily_reset_in=3600)

    with pytest.raises(ZoomRemovalInterrupted) as info:
        sync_members(hook.groups, group_id, stay, name="Ledger", membership="exact", max_removal_share=0.9)

    (left,) = account_groups(zoom, group_api).values()
    gone = sorted(set(stay + leave) - set(left))
    assert gone and len(gone) < len(leave)
    assert sorted(info.value.removed) == gone  # the error names them (and its text, which the task log shows)
    assert all(email in str(info.value) for email in gone) and "daily rate limit" in str(info.value)
    assert isinstance(info.value.__cause__, ZoomRateLimitError)
    logged = capfd.readouterr().out
    assert all(f"Group Ledger: removed {email} (no longer in the cohort)" in logged for email in gone)
