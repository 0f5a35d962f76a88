"""Exact membership and dry runs in a member wave defer on Zoom's daily limit like every other wave step, and
resume with only what is left; every person removed before the limit is still named (both group APIs, the
emulator over HTTP)."""

from __future__ import annotations

import pytest

from airflow_provider_zoom._compat import AirflowException
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.hooks.zoom import ZoomHook
from airflow_provider_zoom.operators.waves import PROGRESS_XCOM_KEY, WaveAddMembersOperator
from tests.dags.cohort_runs import account_groups, use_group_api
from tests.operators.test_wave_daily_limit import ResumableTI, TaskDeferred, _context, _wait_for

IM_MEMBERS = "GET /v2/im/groups/{groupId}/members"
# The removal calls' category: IM Groups removes one member per call (Light), Contact Groups 20 per call (Heavy).
REMOVAL_CAP = {"im_groups": {"light_daily": 2}, "contact_groups": {"heavy_daily": 1}}


def _people(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:02d}@example.com" for i in range(n)]


def _group(name: str, members: list[str]) -> str:
    hook = ZoomHook()
    outcome = hook.groups.create_group(validate_group_spec(name), members=members)
    if not outcome.members_added:  # IM Groups: members go in after the create
        hook.groups.add_members(outcome.group_id, members)
    return str(outcome.group_id)


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_exact_wave_defers_mid_removal_and_names_everyone_it_removed(zoom, monkeypatch, group_api, capfd):
    use_group_api(zoom, monkeypatch, group_api)
    # Contact Groups removes 20 per call: its 24 leavers take two calls, IM Groups' 4 leavers four.
    people = _people("p", 44 if group_api == "contact_groups" else 6)
    stay = people[:20] if group_api == "contact_groups" else people[:2]
    leave = people[len(stay):]
    group_id = _group("Exact Capped", people)
    zoom.configure(**REMOVAL_CAP[group_api], daily_reset_in=2)
    ti = ResumableTI()

    def operator() -> WaveAddMembersOperator:
        return WaveAddMembersOperator(task_id="reconcile", groups=[{"group_id": group_id, "name": "Exact Capped",
                                                                    "emails": stay}],
                                      membership="exact", max_removal_share=0.8, max_workers=1)

    with pytest.raises(TaskDeferred) as deferred:
        operator().execute(_context(ti))

    (left,) = account_groups(zoom, group_api).values()
    before_reset = sorted(set(people) - set(left))
    assert before_reset and len(before_reset) < len(leave)  # the limit struck in the middle of the removals
    assert sorted(ti.pushed[PROGRESS_XCOM_KEY]["removed"]["0"]) == before_reset  # kept across the deferral
    logged = capfd.readouterr().out
    assert all(f"Group Exact Capped: removed {email} (no longer in the cohort)" in logged for email in before_reset)

    _wait_for(deferred.value)
    result = operator().resume_wave(_context(ti))

    assert account_groups(zoom, group_api) == {"Exact Capped": sorted(stay)}
    (row,) = result["groups"]
    assert sorted(row["removed"]) == sorted(leave)  # those removed before the limit too
    assert result["members_removed"] == len(leave) and result["failed_count"] == 0
    assert "already done, sending the other 1" in capfd.readouterr().out


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_dry_run_wave_defers_on_the_daily_limit_and_plans_only_the_groups_left(zoom, monkeypatch, group_api, capfd):
    use_group_api(zoom, monkeypatch, group_api)
    names = [f"Dry {i}" for i in range(4)]
    groups = [{"group_id": _group(name, _people(f"d{i}x", 2)), "name": name, "emails": _people(f"d{i}x", 3)}
              for i, name in enumerate(names)]
    uninterrupted = WaveAddMembersOperator(task_id="dry", groups=groups, membership="exact",
                                           dry_run=True).execute(_context(ResumableTI()))
    # Planning lists each group's members (Medium): room for about half of the groups before the reset.
    zoom.configure(medium_daily=2, daily_reset_in=2)
    ti = ResumableTI()

    def operator() -> WaveAddMembersOperator:
        return WaveAddMembersOperator(task_id="dry", groups=groups, membership="exact", dry_run=True, max_workers=1)

    with pytest.raises(TaskDeferred) as deferred:
        operator().execute(_context(ti))
    planned = len(ti.pushed[PROGRESS_XCOM_KEY]["plans"]["done"])
    assert 0 < planned < len(names)

    _wait_for(deferred.value)
    zoom.configure(medium_daily=None)  # the next "day" has room for the rest
    result = operator().resume_wave(_context(ti))

    assert f"{planned} of 4 group plans already done, sending the other {4 - planned}" in capfd.readouterr().out
    assert result == uninterrupted  # the report an uninterrupted dry run gives
    assert [row["added"] for row in result["groups"]] == [g["emails"][2:] for g in groups]
    assert account_groups(zoom, group_api) == {g["name"]: sorted(g["emails"][:2]) for g in groups}  # nothing written
    if group_api == "im_groups":  # each group listed once by the uninterrupted run, once by the deferred one
        assert zoom.count(IM_MEMBERS, 200) == 2 * len(names)


class StateStore:
    """Airflow 3.3's task state store as the tries of one task see it: it outlives a failed try, XComs do not."""

    def __init__(self):
        self.values: dict = {}

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value):
        self.values[key] = value

    def delete(self, key):
        self.values.pop(key, None)


@pytest.mark.parametrize("group_api", ["im_groups", "contact_groups"])
def test_a_retry_names_the_people_its_failed_try_removed(zoom, monkeypatch, group_api):
    use_group_api(zoom, monkeypatch, group_api)
    people = _people("r", 44 if group_api == "contact_groups" else 6)
    stay = people[:20] if group_api == "contact_groups" else people[:2]
    group_id = _group("Exact Retried", people)
    zoom.configure(**REMOVAL_CAP[group_api], daily_reset_in=3600)
    store = StateStore()

    def try_once(ti: ResumableTI) -> dict:
        return WaveAddMembersOperator(
            task_id="reconcile", groups=[{"group_id": group_id, "name": "Exact Retried", "emails": stay}],
            membership="exact", max_removal_share=0.8, on_daily_limit="fail",
        ).execute({**_context(ti), "task_state_store": store})

    first = ResumableTI()
    with pytest.raises(AirflowException, match="daily rate limit"):
        try_once(first)

    (left,) = account_groups(zoom, group_api).values()
    gone = sorted(set(people) - set(left))
    assert gone and len(gone) < len(people) - len(stay)
    partial = first.pushed["partial_result"]
    (failed,) = partial["failed"]
    assert sorted(failed["removed"]) == gone and partial["members_removed"] == len(gone)  # the failed try's XCom

    zoom.configure(light_daily=None, heavy_daily=None)
    result = try_once(ResumableTI())  # the retry: a new try, without the first one's XComs

    assert account_groups(zoom, group_api) == {"Exact Retried": sorted(stay)}
    (row,) = result["groups"]
    assert sorted(row["removed"]) == sorted(people[len(stay):])  # the first try's removals too
    assert result["members_removed"] == len(people) - len(stay)
    assert store.values == {}  # named now: a later re-run does not count them again
