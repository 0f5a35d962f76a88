"""Which asset a run's event lands on, and what its extra may hold (the DAG runs: tests/dags/test_asset_events.py)."""

from __future__ import annotations

import pytest
from airflow.sdk import AssetAlias

from airflow_provider_zoom.assets import ZOOM_GROUPS_ALIAS, emit_groups_event, event_extra, zoom_groups_asset


class Recorder:
    """Stands in for a task's ``outlet_events``: records what is added through each alias (by name: Airflow 3.1's
    ``AssetAlias`` is not hashable)."""

    def __init__(self):
        self.by_alias = {}

    def __getitem__(self, alias):
        return self.by_alias.setdefault(alias.name, _Accessor())


class _Accessor:
    def __init__(self):
        self.added = []

    def add(self, asset, extra=None):
        self.added.append((asset.uri, extra))


def test_one_asset_per_account_and_group_api():
    assert zoom_groups_asset("acct_1", "im_groups").uri == "zoom://acct_1/im_groups"
    assert zoom_groups_asset("acct_1", "contact_groups").name == "zoom_groups/acct_1/contact_groups"
    with pytest.raises(ValueError, match="group_api must be one of"):
        zoom_groups_asset("acct_1", "auto")
    with pytest.raises(ValueError, match="names no account"):
        zoom_groups_asset("", "im_groups")


def test_a_run_that_switched_to_contact_groups_lands_on_the_contact_groups_asset():
    events = Recorder()
    summary = {"created": 2, "exists": 0, "failed": 0, "members_added": 3, "members_pending": 1}

    emit_groups_event(
        events,
        summary,
        [{"account_id": "A", "group_api": "im_groups"}, None, {"account_id": "A", "group_api": "contact_groups"}],
    )

    assert events[ZOOM_GROUPS_ALIAS].added == [("zoom://A/contact_groups", {**summary, "group_api": "contact_groups"})]


def test_no_zoom_work_no_event():
    events = Recorder()
    assert emit_groups_event(events, {"created": 0}, [None, {}]) == []
    assert events.by_alias == {}


def test_a_dry_run_emits_nothing():
    events = Recorder()
    target = {"account_id": "A", "group_api": "im_groups"}
    assert emit_groups_event(events, {"dry_run": True, "created": 3}, [target]) == []
    assert events.by_alias == {}


def test_the_extra_holds_counts_only():
    summary = {"created": 1, "plan_failed": True, "message": "text", "rejected_rows": [{"email": "a@example.com"}]}
    assert event_extra(summary, "im_groups") == {"created": 1, "group_api": "im_groups"}


def test_another_alias_can_be_used():
    events = Recorder()
    alias = AssetAlias(name="mine")
    emit_groups_event(events, {"created": 1}, [{"account_id": "B", "group_api": "im_groups"}], alias=alias)
    assert events[alias].added == [("zoom://B/im_groups", {"created": 1, "group_api": "im_groups"})]
