"""Groups that share a cohort's name on Contact Groups (``groups.contact.one_per_name``): groups made by people are
adopted and never merged or deleted; only this deployment's own recorded duplicates are ever merged."""

from __future__ import annotations

import json

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.group_spec import group_key, validate_group_spec
from airflow_provider_zoom.groups.contact.backend import ContactGroups
from airflow_provider_zoom.groups.contact.claims import RECORD_FILE, MachineNameClaims
from airflow_provider_zoom.hooks.zoom import ZoomHook

QUICK = RetryPolicy(max_attempts=12, max_retry_seconds=30, backoff_base_s=0.01, backoff_max_s=0.1)
DELETE_GROUP = "DELETE /v2/contacts/groups/{groupId}"
CREATE = "POST /v2/contacts/groups"


def api() -> ContactGroups:
    return ContactGroups(ZoomHook(retry_policy=QUICK))


def by_hand(name: str, members: list[str] = ()) -> str:
    """A group someone made in Zoom's web portal: created outside the provider's name check and record."""
    client = api()
    ids = [str(client.resolve(e).id) for e in members]
    return client.client.create_group(name, privacy=2, members=ids)["group_id"]


def account(zoom) -> dict[str, dict]:
    """group_id -> {"name", "members": sorted emails}, as users see the account."""
    return {g["group_id"]: {"name": g["group_name"], "members": sorted(m["email"] for m in g["members"])}
            for g in zoom.state()["contact_groups"]}


def test_groups_made_by_hand_under_a_cohorts_name_are_adopted_and_never_deleted(zoom, capsys):
    exact = by_hand("Onboarding 2026-W48 Sales", ["ann@example.com"])
    other = by_hand("onboarding 2026-w48 sales", ["bob@example.com"])
    before = account(zoom)

    outcome = api().create_group(validate_group_spec("Onboarding 2026-W48 Sales"), members=["cy@example.com"])
    client = api()
    added = client.add_members(outcome.group_id, ["cy@example.com"], only_missing=True,
                               name="Onboarding 2026-W48 Sales")

    assert (outcome.outcome, outcome.group_id) == ("exists", exact)  # the exact spelling first
    assert outcome.to_dict()["also_named"] == [{"group_id": other, "name": "onboarding 2026-w48 sales"}]
    assert added["group_id"] == exact and added["added"] == ["cy@example.com"]
    after = account(zoom)
    assert set(after) == set(before)  # nothing deleted, nothing created
    assert after[other] == before[other]  # the other spelling is left exactly as it was
    assert after[exact]["members"] == ["ann@example.com", "cy@example.com"]
    assert zoom.count(DELETE_GROUP) == 0 and zoom.count(CREATE) == 2
    warning = [line for line in capsys.readouterr().out.splitlines() if "leaving the others" in line]
    assert len(warning) == 1 and other in warning[0]  # the task log names the group left alone


def test_without_the_exact_spelling_the_lowest_id_is_adopted(zoom):
    ids = sorted([by_hand("onboarding 2026-w49 data"), by_hand("ONBOARDING 2026-W49 DATA")])

    outcome = api().create_group(validate_group_spec("Onboarding 2026-W49 Data"))

    assert (outcome.outcome, outcome.group_id) == ("exists", ids[0])
    assert [r["group_id"] for r in outcome.also_named] == ids[1:]
    assert set(account(zoom)) == set(ids)


def test_the_groups_this_deployment_creates_are_recorded_and_a_later_task_sees_them_without_listing(zoom, tmp_path):
    first = api()
    second = api()
    second.names.adopt("Warm up")  # the second task has listed the account before the first one creates
    created = first.create_group(validate_group_spec("Onboarding 2026-W50 Ops"))
    lists = zoom.count("GET /v2/contacts/groups")

    again = second.create_group(validate_group_spec("onboarding 2026-w50 ops"))

    assert (created.outcome, again.outcome, again.group_id) == ("created", "exists", created.group_id)
    assert zoom.count("GET /v2/contacts/groups") == lists  # the record, not a new listing, showed the group
    assert zoom.count(CREATE) == 1
    record = json.loads((tmp_path / ".zoom_tokens" / RECORD_FILE).read_text())
    (entries,) = record.values()
    assert [e["group_id"] for e in entries[group_key("Onboarding 2026-W50 Ops")]] == [created.group_id]


def test_only_our_own_recorded_duplicates_are_merged(zoom):
    """Two groups of one name that this deployment created (e.g. a lost reply on another machine sharing the
    record) are merged into the one in use; a third made by hand stays."""
    name = "Onboarding 2026-W51 Legal"
    ours = [by_hand(name, ["a@example.com"]), by_hand(name, ["b@example.com"])]
    theirs = by_hand(name, ["c@example.com"])
    client = api()
    for group_id in ours:
        client.names.claims.record(group_key(name), group_id, name)

    added = client.add_members(ours[0], ["d@example.com"], name=name)

    after = account(zoom)
    assert added["group_id"] == ours[0]
    assert set(after) == {ours[0], theirs}  # our duplicate merged away, the hand-made group kept
    assert after[ours[0]]["members"] == ["a@example.com", "b@example.com", "d@example.com"]
    assert after[theirs]["members"] == ["c@example.com"]
    assert [e["group_id"] for e in MachineNameClaims(client.names.claims.account).created(group_key(name))] == [ours[0]]


def test_a_create_whose_outcome_nobody_saw_is_looked_up_before_the_name_is_created_again(zoom):
    """A task killed after sending a create and before recording its group: the next task's listing and the record
    both predate that group, so the mark the create left makes the next claimer list the account first."""
    name = "Onboarding 2026-W52 Sales"
    later = api()
    later.names.adopt("Warm up")  # this task's listing predates the group below
    dying = api()
    dying.names.listing.creating(group_key(name))  # the create was sent...
    made = by_hand(name)  # ...Zoom made the group, and the task died before its record
    lists = zoom.count("GET /v2/contacts/groups")

    outcome = later.create_group(validate_group_spec(name))

    assert (outcome.outcome, outcome.group_id) == ("exists", made)
    assert zoom.count(CREATE) == 1 and zoom.count("GET /v2/contacts/groups") > lists
    assert not later.names.listing.left_unfinished(group_key(name))  # settled: the next create of it lists nothing
