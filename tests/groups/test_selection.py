"""Selecting the group backend: a registered backend is all a new group API takes; every call goes through it."""

from __future__ import annotations

import logging

import pytest

from airflow_provider_zoom._transport import group_api_memory
from airflow_provider_zoom._transport.oauth import S2SCredentials
from airflow_provider_zoom.exceptions import ZoomIMGroupsGoneError
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.groups import selection
from airflow_provider_zoom.groups.base import GroupOutcome, GroupRef
from airflow_provider_zoom.groups.selection import Backend, SelectedGroups
from airflow_provider_zoom.hooks.zoom import ZoomHook


class _Requester:
    log = logging.getLogger("test")

    def request(self, method, path, **kwargs):
        raise AssertionError("the fake backend makes no calls")

    request_json = request


class _ThirdAPI:
    """A group API the provider did not know: only the GroupAPI methods."""

    api_name = "third_groups"

    def __init__(self, requester):
        self.log = requester.log
        self.created: list[str] = []

    def list_groups(self):
        return [{"key": "k1", "title": "Cohort"}]

    def group_refs(self):
        return [GroupRef(group_id="k1", name="Cohort")]

    def find_group(self, name):
        return GroupRef(group_id="k1", name="Cohort") if name.lower() == "cohort" else None

    def create_group(self, spec, *, on_conflict="reuse", description=None, members=()):
        self.created.append(spec.name)
        return GroupOutcome(201, "created", "k2", spec.name)

    def add_members(self, group_id, emails, *, only_missing=False, name=None):
        return {"group_id": group_id, "added": list(emails), "already_members": [], "rejected": [], "pending": []}

    def plan_members(self, group_id, emails, *, keep=None, list_current=True):
        return {"group_id": group_id, "members": 0, "add": list(emails), "already_members": [], "pending": [],
                "rejected": [], "remove": []}

    def remove_members(self, group_id, members, *, on_removed=None):
        for member in members:
            if on_removed is not None:
                on_removed(member["email"])
        return [m["email"] for m in members]


def test_a_registered_backend_gets_every_call(monkeypatch, tmp_path):
    monkeypatch.setattr(selection, "BACKENDS", dict(selection.BACKENDS))
    selection.register(Backend("third_groups", _ThirdAPI))
    groups = SelectedGroups(_Requester(), setting="third_groups",
                            credentials=S2SCredentials("https://zoom.test/oauth/token", "id", "secret", "acct"),
                            memory_dir=tmp_path, conn_id="zoom_default")

    assert groups.api_name == "third_groups"
    assert groups.find_group("COHORT") == {"group_id": "k1", "name": "Cohort"}
    assert groups.add_members("k1", ["a@example.com"])["added"] == ["a@example.com"]
    assert groups.remove_members("k1", [{"id": "u1", "email": "a@example.com"}]) == ["a@example.com"]
    assert groups.backend() is groups.backend("third_groups")  # one object per backend: shared caches


def test_auto_switches_to_contact_groups_on_410_4137_and_remembers_it(zoom):
    group_api_memory.forget_all()
    zoom.configure(im_groups="gone")
    outcome = ZoomHook().groups.create_group(validate_group_spec("Cohort gone"), members=[])

    assert (outcome.outcome, outcome.group_id is not None) == ("created", True)
    assert [g["group_name"] for g in zoom.state()["contact_groups"]] == ["Cohort gone"]
    group_api_memory.forget_all()  # a later task of the machine: the file remembers
    later = ZoomHook().groups
    assert later.api_name == "contact_groups"
    assert later.find_group("cohort GONE") == {"group_id": outcome.group_id, "name": "Cohort gone"}


def test_a_connection_set_to_im_groups_is_told_to_switch(zoom):
    zoom.configure(im_groups="gone")
    with pytest.raises(ZoomIMGroupsGoneError, match='"contact_groups"'):
        ZoomHook(group_api="im_groups").groups.list_groups()
