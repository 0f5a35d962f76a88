"""Operators adding members: emails as a template renders them, refused members reported, one group per group_key."""

from __future__ import annotations

import pytest

from airflow_provider_zoom._compat import AirflowFailException
from airflow_provider_zoom.operators.groups import AddGroupMembersOperator
from airflow_provider_zoom.operators.im_groups import CreateIMGroupOperator
from airflow_provider_zoom.operators.waves import WaveAddMembersOperator, WaveCreateGroupsOperator
from tests.operators.task_context import task_context

MEMBERS = "POST /v2/im/groups/{groupId}/members"


def _context():
    return task_context("manual__2026-12-01T10:00:00+00:00")


def _group_id(name="Cohort O") -> str:
    return CreateIMGroupOperator(task_id="create", name=name).execute({})["group_id"]


def test_emails_rendered_as_one_string_add_those_people(zoom):
    group_id = _group_id()
    result = AddGroupMembersOperator(
        task_id="add", group_id=group_id, emails="a@example.com, b@example.com"
    ).execute({})
    assert result["added"] == ["a@example.com", "b@example.com"] and result["rejected"] == []
    assert zoom.groups() == {"Cohort O": ["a@example.com", "b@example.com"]}


def test_a_refused_member_is_in_the_xcom_and_the_others_are_added(zoom):
    group_id = _group_id()
    result = AddGroupMembersOperator(
        task_id="add", group_id=group_id, emails=["a@example.com", "not an address", "b@example.com"]
    ).execute({})
    assert zoom.groups() == {"Cohort O": ["a@example.com", "b@example.com"]}
    assert [r["email"] for r in result["rejected"]] == ["not an address"]


def test_emails_that_cannot_be_read_fail_the_task_naming_the_field(zoom):
    group_id = _group_id()
    with pytest.raises(AirflowFailException, match="emails must be emails, not a mapping"):
        AddGroupMembersOperator(task_id="add", group_id=group_id, emails='{"a": "a@example.com"}').execute({})
    assert zoom.count(MEMBERS) == 0


def test_two_spellings_of_one_group_end_as_one_group_holding_both_lists(zoom):
    names = ["Onboarding 2026-W48 Support", "Onboarding 2026-W48 support"]
    created = WaveCreateGroupsOperator(task_id="create", groups=names).execute(_context())
    added = WaveAddMembersOperator(
        task_id="add", groups=created, source="created",
        members_by_name={names[0]: ["first@example.com"], names[1]: ["second@example.com"]},
    ).execute(_context())

    assert zoom.groups() == {"Onboarding 2026-W48 Support": ["first@example.com", "second@example.com"]}
    assert added["members_added"] == 2


def test_names_equal_under_group_key_are_created_once(zoom):
    created = WaveCreateGroupsOperator(task_id="create", groups=["Team\u200dOne", "TeamOne"]).execute(_context())
    assert created["created_count"] == 1 and len(zoom.state()["groups"]) == 1


def test_a_wave_reports_refused_members_and_still_adds_the_rest(zoom):
    created = WaveCreateGroupsOperator(task_id="create", groups=["W1", "W2"]).execute(_context())
    added = WaveAddMembersOperator(
        task_id="add", groups=created, source="created",
        members_by_name={"W1": "a@example.com; broken@; b@example.com", "W2": ["c@example.com"]},
    ).execute(_context())

    assert zoom.groups() == {"W1": ["a@example.com", "b@example.com"], "W2": ["c@example.com"]}
    assert (added["members_added"], added["members_rejected"], added["failed_count"]) == (3, 1, 0)
    w1 = next(g for g in added["groups"] if g["name"] == "W1")
    assert [r["email"] for r in w1["rejected"]] == ["broken@"]


def test_a_wave_given_group_ids_reads_each_groups_emails_string(zoom):
    group_id = _group_id("W3")
    added = WaveAddMembersOperator(
        task_id="add", groups=[{"group_id": group_id, "name": "W3", "emails": '["x@example.com", "y@example.com"]'}],
    ).execute(_context())
    assert added["members_added"] == 2
    assert zoom.groups() == {"W3": ["x@example.com", "y@example.com"]}
