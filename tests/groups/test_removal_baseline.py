"""The removal guard across runs (``groups.removal_baseline`` and ``membership.check_removals``) and the members
``keep_members`` keeps, without Zoom: the decisions alone."""

from __future__ import annotations

import pytest

from airflow_provider_zoom.exceptions import ZoomInvalidInput, ZoomRemovalLimitError
from airflow_provider_zoom.groups.membership import check_removals, keep_patterns
from airflow_provider_zoom.groups.removal_baseline import MemoryBaselines, baseline_key, default_baselines


def _plan(members: int, removing: int, add: int = 0) -> dict:
    return {"members": members, "add": [f"new{i}@example.com" for i in range(add)],
            "remove": [{"id": f"u{i}", "email": f"p{i}@example.com"} for i in range(removing)]}


def test_a_series_of_runs_each_within_the_share_is_stopped_against_the_baseline():
    baselines = MemoryBaselines()
    size = 4
    # 4 -> 2: half of the group, "more than" 0.5 only stops beyond it.
    baseline = max(baselines.get("im_groups", "g1") or 0, size)
    check_removals("G", _plan(size, 2), 0.5, baseline)
    baselines.raise_to("im_groups", "g1", baseline)
    size = 2
    # 2 -> 1 is half of the group now, but leaves 1 of the 4 it had.
    baseline = max(baselines.get("im_groups", "g1") or 0, size)
    with pytest.raises(ZoomRemovalLimitError, match=r"would leave it 1 of the 4 members it has had .*: 3 gone \(75%\)"):
        check_removals("G", _plan(size, 1), 0.5, baseline)
    check_removals("G", _plan(size, 1), 0.75, baseline)  # raising the Param lets it through


def test_the_baseline_only_rises_and_is_per_api_and_group():
    baselines = MemoryBaselines()
    assert baselines.raise_to("im_groups", "g1", 8) == 8
    assert baselines.raise_to("im_groups", "g1", 3) == 8
    assert baselines.get("contact_groups", "g1") is None and baselines.get("im_groups", "g2") is None
    assert baseline_key("contact_groups", "g1") == "zoom_removal_baseline__contact_groups__g1"


def test_outside_an_airflow_task_the_baselines_are_the_process_own():
    assert isinstance(default_baselines(), MemoryBaselines)
    assert default_baselines() is default_baselines()


@pytest.mark.parametrize(("value", "expected"), [
    (["Buddy@Example.com", "*@HR.example.com"], ("buddy@example.com", "*@hr.example.com")),
    ("buddy@example.com, *@hr.example.com", ("buddy@example.com", "*@hr.example.com")),
    ("['buddy@example.com']", ("buddy@example.com",)),  # a rendered template of the list Param
    (None, ()), ("", ()), ([], ()),
])
def test_keep_members_are_read_as_lower_case_patterns(value, expected):
    assert keep_patterns(value) == expected


@pytest.mark.parametrize("value", [[1], ["ok@example.com", " "], {"a": 1}])
def test_unreadable_keep_members_name_the_field(value):
    with pytest.raises(ZoomInvalidInput, match=r"keep_members"):
        keep_patterns(value)
