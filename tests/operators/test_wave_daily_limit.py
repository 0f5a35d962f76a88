"""A daily-limit 429 defers a wave until Zoom's reset; it then sends only what it had not done."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from airflow.providers.standard.triggers.temporal import DateTimeTrigger

try:  # Airflow >= 3.2
    from airflow.sdk.exceptions import TaskDeferred
except ImportError:  # Airflow 3.1: BaseOperator.defer raises airflow.exceptions' class
    from airflow.exceptions import TaskDeferred  # type: ignore[no-redef]

from airflow_provider_zoom._compat import AirflowException
from airflow_provider_zoom.exceptions import ZoomRateLimitError
from airflow_provider_zoom.operators._wave_runner import daily_limit_resume_at
from airflow_provider_zoom.operators.waves import PROGRESS_XCOM_KEY, WaveAddMembersOperator, WaveCreateGroupsOperator
from tests.operators.task_context import FakeTI

CREATE = "POST /v2/im/groups"
NAMES = [f"Capped {i:02d}" for i in range(12)]


class ResumableTI(FakeTI):
    """Keeps the XComs of the try, as Airflow does across a deferral."""

    def xcom_pull(self, task_ids, key):
        return self.pushed.get(key)


def _context(ti: FakeTI) -> dict:
    return {"ti": ti, "run_id": "manual__2026-12-01T10:00:00+00:00"}


def _wait_for(deferred: TaskDeferred) -> None:
    """What the triggerer does: run the trigger until it fires (Zoom's reset plus a margin)."""
    event = asyncio.run(anext(deferred.trigger.run()))
    assert event is not None


def test_create_wave_defers_at_the_daily_limit_and_resumes_with_only_the_rest(zoom, capfd):
    zoom.configure(light_daily=7, daily_reset_in=2)
    reset_at = datetime.fromisoformat(zoom.state()["config"]["daily_reset_at"])
    ti = ResumableTI()
    operator = WaveCreateGroupsOperator(task_id="create", groups=NAMES, max_workers=4)

    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(_context(ti))

    trigger = deferred.value.trigger
    assert isinstance(trigger, DateTimeTrigger) and deferred.value.method_name == "resume_wave"
    # Zoom's reset, plus the margin (1-2 s) and up to 1 s more: the Date header it is measured from has no fractions.
    assert reset_at < trigger.moment <= reset_at + timedelta(seconds=5)
    assert zoom.count(CREATE, 201) == 7 and len(ti.pushed[PROGRESS_XCOM_KEY]["done"]) == 7
    logged = capfd.readouterr().out
    assert "daily limit of the Light category is used up" in logged and "7 done, 5 waiting" in logged

    _wait_for(deferred.value)  # the next daily window has room for the other 5
    result = WaveCreateGroupsOperator(task_id="create", groups=NAMES, max_workers=4).resume_wave(
        _context(ti), event=trigger.moment
    )

    assert "7 of 12 groups already done, sending the other 5" in capfd.readouterr().out
    assert zoom.count(CREATE, 201) == 12  # each group created once
    assert zoom.count(CREATE, 409) == 0  # and none sent again
    assert sorted(zoom.groups()) == NAMES
    assert (result["created_count"], result["exists_count"], result["failed_count"]) == (12, 0, 0)
    # The XCom is the one an uninterrupted run returns.
    ids = {g["name"]: g["id"] for g in zoom.state()["groups"]}
    assert result["created"] == [{"name": name, "group_id": ids[name]} for name in NAMES]


def test_member_wave_defers_at_the_daily_limit_and_adds_each_group_once(zoom):
    created = WaveCreateGroupsOperator(task_id="create", groups=[f"M{i}" for i in range(8)]).execute(
        _context(FakeTI())
    )
    ids = {g["name"]: g["group_id"] for g in created["created"]}
    groups = [{"name": f"M{i}", "group_id": ids[f"M{i}"], "emails": [f"p{2 * i}@example.com", f"p{2 * i + 1}@example.com"]}
              for i in range(8)]
    zoom.configure(medium_daily=5, daily_reset_in=1)
    ti = ResumableTI()

    with pytest.raises(TaskDeferred) as deferred:
        WaveAddMembersOperator(task_id="members", groups=groups, max_workers=1).execute(_context(ti))

    assert zoom.count("POST /v2/im/groups/{groupId}/members", 201) == 5
    _wait_for(deferred.value)
    result = WaveAddMembersOperator(task_id="members", groups=groups, max_workers=1).resume_wave(_context(ti))

    assert zoom.count("POST /v2/im/groups/{groupId}/members", 201) == 8
    assert (result["groups_count"], result["members_added"], result["failed_count"]) == (8, 16, 0)
    assert [g["added"] for g in result["groups"]] == [g["emails"] for g in groups]
    assert zoom.groups() == {g["name"]: g["emails"] for g in groups}


def test_fail_option_fails_the_task_with_the_partial_result(zoom):
    zoom.configure(light_daily=3, daily_reset_in=600)
    ti = ResumableTI()

    with pytest.raises(AirflowException) as info:
        WaveCreateGroupsOperator(task_id="create", groups=NAMES, on_daily_limit="fail").execute(_context(ti))

    assert "daily rate limit of the Light category is used up" in str(info.value)
    partial = ti.pushed["partial_result"]
    assert (partial["created_count"], partial["failed_count"]) == (3, 9)
    assert PROGRESS_XCOM_KEY not in ti.pushed
    assert zoom.count(CREATE, 201) == 3


def test_a_rendered_on_daily_limit_is_checked():
    with pytest.raises(ValueError, match="on_daily_limit"):
        WaveCreateGroupsOperator(task_id="create", groups=NAMES, on_daily_limit="wait")


def test_resume_time_follows_zoom_within_the_bound():
    now = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    exc = ZoomRateLimitError("POST", "/im/groups", "Light", "2026-12-02T00:00:00Z", "daily")
    moment, capped = daily_limit_resume_at(exc, now=now, max_wait=timedelta(hours=25))
    assert not capped and datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC) <= moment <= datetime(2026, 12, 2, 0, 0, 2, tzinfo=UTC)
    moment, capped = daily_limit_resume_at(exc, now=now, max_wait=timedelta(hours=1))
    assert capped and moment == now + timedelta(hours=1)  # a reset further away: wait in steps
    unknown = ZoomRateLimitError("POST", "/im/groups", "Light", None, "daily")
    moment, _ = daily_limit_resume_at(unknown, now=now, max_wait=timedelta(hours=25))
    assert moment >= datetime(2026, 12, 2, tzinfo=UTC)  # no reset given: the next 00:00 UTC
