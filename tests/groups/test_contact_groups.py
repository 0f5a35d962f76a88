"""The Contact Groups backend (``groups.contact``) against the emulator's Contact Groups: create/exists, members (pending, missing), reconcile,
paging, removal limits, a lost reply, the IM-gone signal."""

from __future__ import annotations

import logging

import pytest
import requests

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomGroupExistsError, ZoomInvalidInput
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.groups.base import GroupOutcome
from airflow_provider_zoom.groups.contact.backend import ContactGroups
from airflow_provider_zoom.groups.contact.wire import contact_group_gone, is_im_groups_gone
from airflow_provider_zoom.hooks.zoom import ZoomHook

QUICK = RetryPolicy(max_attempts=12, max_retry_seconds=30, backoff_base_s=0.01, backoff_max_s=0.1)
CREATE = "POST /v2/contacts/groups"
ADD = "POST /v2/contacts/groups/{groupId}/members"
REMOVE = "DELETE /v2/contacts/groups/{groupId}/members"
LIST = "GET /v2/contacts/groups"
MEMBERS = "GET /v2/contacts/groups/{groupId}/members"
GET_USER = "GET /v2/users/{userId}"


def contact_groups(zoom) -> dict[str, list[list[str]]]:
    """Contact groups as users see them: name -> one sorted list of member emails per group of that name."""
    result: dict[str, list[list[str]]] = {}
    for group in zoom.state()["contact_groups"]:
        result.setdefault(group["group_name"], []).append(sorted(m["email"] or m["id"] for m in group["members"]))
    return result


def api() -> ContactGroups:
    return ContactGroups(ZoomHook(retry_policy=QUICK))


def seed_users(zoom, emails, status):
    reply = requests.post(f"{zoom.url}/_emulator/users", json={"emails": emails, "status": status}, timeout=10)
    reply.raise_for_status()


def people(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:03d}@example.com" for i in range(n)]


def test_create_then_exists_for_case_space_and_invisible_variants(zoom):
    first = api().create_group(validate_group_spec("Onboarding 2026-W48 Engineering"))
    assert isinstance(first, GroupOutcome)
    assert (first.status_code, first.outcome) == (201, "created")

    for variant in ("  onboarding 2026-w48 ENGINEERING ", "Onboarding\u00a02026-W48  Engineering",
                    "Onboard\u200bing 2026-W48 Engineering", "ＯＮＢＯＡＲＤＩＮＧ 2026-W48 Engineering"):
        again = api().create_group(validate_group_spec(variant))
        assert (again.status_code, again.outcome, again.group_id) == (409, "exists", first.group_id), variant

    with pytest.raises(ZoomGroupExistsError):
        api().create_group(validate_group_spec("ONBOARDING 2026-W48 ENGINEERING"), on_conflict="fail")
    assert zoom.count(CREATE) == 1
    assert list(contact_groups(zoom)) == ["Onboarding 2026-W48 Engineering"]


def test_a_group_made_by_someone_else_is_found_by_its_key(zoom):
    other = api().client.create_group("Sales Berlin", privacy=1)  # created outside the name check, e.g. by an admin
    outcome = api().create_group(validate_group_spec("sales  berlin"))
    assert (outcome.outcome, outcome.group_id) == ("exists", other["group_id"])


def test_type_maps_to_privacy_and_search_flags_are_logged_once(zoom, caplog):
    client = api()
    logged = []
    client.log = type("Log", (), {"warning": lambda self, *a: logged.append(a[0] % a[1:]),
                                  "info": lambda self, *a: None})()
    for name, kind in (("Shared", "shared"), ("Normal", "normal"), ("Restricted", "restricted")):
        outcome = client.create_group(validate_group_spec(name, kind, search_by_domain=True))
        assert client.client.get_group(outcome.group_id)["group_privacy"] == {"shared": 1, "normal": 2, "restricted": 3}[kind]
    assert len([m for m in logged if "search_by_domain" in m and "ignored" in m]) == 1


def test_members_in_the_create_with_pending_missing_and_malformed_people(zoom):
    seed_users(zoom, ["penny.pending@example.com"], "pending")
    active = people("hire", 3)
    outcome = api().create_group(
        validate_group_spec("Cohort with guests"),
        members=[*active, "Penny.Pending@example.com", "ghost@nowhere.test", "not-an-address", active[0].upper()],
    )

    assert outcome.outcome == "created"
    assert outcome.members_added == tuple(active)
    assert outcome.members_pending == ("penny.pending@example.com", "ghost@nowhere.test")
    assert outcome.members_rejected == ({"email": "not-an-address", "reason": "not a valid email address"},)
    assert outcome.to_dict()["members_pending"] == ["penny.pending@example.com", "ghost@nowhere.test"]
    assert contact_groups(zoom) == {"Cohort with guests": [sorted(active)]}
    assert zoom.count(CREATE) == 1 and zoom.count(ADD) == 0  # the members rode in the create
    assert zoom.count(GET_USER) == 5  # one lookup per distinct well-formed address


def test_add_by_email_reports_pending_and_reconcile_adds_them_once_active(zoom):
    seed_users(zoom, ["late.joiner@example.com"], "pending")
    group = api().client.create_group("Cohort reconcile", members=[])["group_id"]
    emails = ["ann@example.com", "bob@example.com", "late.joiner@example.com", "ghost@nowhere.test"]

    first = api().add_members(group, ", ".join(emails))
    assert first == {"group_id": group, "added": ["ann@example.com", "bob@example.com"], "already_members": [],
                     "rejected": [], "pending": ["late.joiner@example.com", "ghost@nowhere.test"]}

    seed_users(zoom, ["late.joiner@example.com"], "active")  # the invitation was accepted
    again = api().add_members(group, emails, only_missing=True)
    assert again["added"] == ["late.joiner@example.com"]
    assert again["already_members"] == ["ann@example.com", "bob@example.com"]
    assert again["pending"] == ["ghost@nowhere.test"]

    third = api().add_members(group, emails, only_missing=True)
    assert third["added"] == [] and len(third["already_members"]) == 3
    adds = zoom.count(ADD)
    api().add_members(group, emails[:2])  # without only_missing: Zoom skips them, the list confirms
    assert zoom.count(ADD) == adds + 1
    assert contact_groups(zoom)["Cohort reconcile"] == [
        ["ann@example.com", "bob@example.com", "late.joiner@example.com"]]


def test_a_user_lookup_is_cached_within_one_api_object(zoom):
    client = api()
    group = client.client.create_group("Cached", members=[])["group_id"]
    client.add_members(group, ["ann@example.com", "ghost@nowhere.test"])
    client.add_members(group, ["ANN@example.com", "ghost@nowhere.test"], only_missing=True)
    assert zoom.count(GET_USER) == 2


def test_paging_and_batches_over_fifty(zoom):
    client = api()
    hires = people("big", 120)
    outcome = client.create_group(validate_group_spec("Big cohort"), members=hires)
    assert outcome.outcome == "created" and len(outcome.members_added) == 120
    assert zoom.count(CREATE) == 1 and zoom.count(ADD) == 2  # 50 in the create, then 50 + 20

    listed = client.client.list_members(outcome.group_id)
    assert len(listed) == 120 and len({m["id"] for m in listed}) == 120
    assert zoom.count(MEMBERS) == 3  # pages of 50

    for i in range(60):
        client.client.create_group(f"Paged {i:02d}", members=[])
    before = zoom.count(LIST)
    assert len(client.client.list_groups()) == 61
    assert zoom.count(LIST) - before == 2


def test_both_member_list_keys_are_read(zoom):
    client = api()
    group = client.create_group(validate_group_spec("Keys"), members=people("key", 3)).group_id
    for key in ("members", "both", "group_members"):
        zoom.configure(contact_members_key=key)
        assert len(client.client.list_members(group)) == 3, key


def test_remove_twenty_per_call_and_never_the_last_member(zoom):
    client = api()
    hires = people("rm", 45)
    group = client.create_group(validate_group_spec("Shrinking"), members=hires).group_id
    ids = [m["id"] for m in client.client.list_members(group)]

    result = client.client.remove_members(group, [*ids[1:], "not-a-member"])
    assert len(result["removed"]) == 44 and result["not_members"] == ["not-a-member"]
    assert zoom.count(REMOVE) == 3  # 20 + 20 + 4
    assert contact_groups(zoom)["Shrinking"] == [[hires[0]]]

    with pytest.raises(ZoomInvalidInput, match="without members"):
        client.client.remove_members(group, [ids[0]])
    assert zoom.count(REMOVE) == 3  # refused before anything was sent
    assert contact_groups(zoom)["Shrinking"] == [[hires[0]]]


def test_update_uses_its_own_keys_and_delete_then_unknown_group(zoom):
    client = api()
    group = client.client.create_group("Before", privacy=1, description="old")["group_id"]
    client.client.update_group(group, name="After", privacy=3, description="new")
    assert {k: client.client.get_group(group)[k] for k in ("group_name", "group_privacy", "description")} == {
        "group_name": "After", "group_privacy": 3, "description": "new"}
    patches = zoom.count("PATCH /v2/contacts/groups/{groupId}")
    client.client.update_group(group)  # nothing to change: nothing sent
    assert zoom.count("PATCH /v2/contacts/groups/{groupId}") == patches

    client.client.delete_group(group)
    with pytest.raises(ZoomAPIError) as info:
        client.client.get_group(group)
    assert contact_group_gone(info.value)
    assert (info.value.status_code, info.value.code) == (400, 300)


def test_add_to_a_merged_group_goes_to_the_winner_when_the_name_is_given(zoom):
    client = api()
    loser = client.client.create_group("Cohort merged", members=[])["group_id"]
    client.client.delete_group(loser)
    winner = client.client.create_group("Cohort merged", members=[])["group_id"]

    result = api().add_members(loser, ["ann@example.com"], name="Cohort merged")
    assert result["group_id"] == winner and result["added"] == ["ann@example.com"]
    assert client.add_members(loser, ["bob@example.com"])["group_id"] == winner  # it saw the group's name
    with pytest.raises(ZoomAPIError):
        api().add_members(loser, ["ann@example.com"])  # a stranger to the id, given no name
    assert contact_groups(zoom) == {"Cohort merged": [["ann@example.com", "bob@example.com"]]}


def test_lost_create_replies_are_looked_up_not_resent(zoom):
    zoom.configure(faults={"seed": 11, "commit_then_fail": 1.0})
    client = api()

    outcomes = [client.create_group(validate_group_spec(f"Lost reply {i}"), members=people(f"l{i}-", 2))
                for i in range(4)]

    assert [o.outcome for o in outcomes] == ["created"] * 4
    state = zoom.state()
    assert sorted(g["group_name"] for g in state["contact_groups"]) == [f"Lost reply {i}" for i in range(4)]
    assert {o.group_id for o in outcomes} == {g["group_id"] for g in state["contact_groups"]}
    assert state["counters"]["faults"]["commit_then_fail"] == 4
    assert zoom.count(CREATE) == 4  # each create sent once: its failure was followed by a lookup, not a resend
    assert all(len(groups) == 1 and len(groups[0]) == 2 for groups in contact_groups(zoom).values())


def test_failed_creates_that_did_nothing_are_sent_again(zoom):
    zoom.configure(faults={"seed": 3, "error_5xx": 0.3})
    client = api()
    outcomes = [client.create_group(validate_group_spec(f"Flaky {i}"), members=people(f"f{i}-", 2))
                for i in range(10)]
    assert {o.outcome for o in outcomes} == {"created"}
    assert sorted(contact_groups(zoom)) == sorted(f"Flaky {i}" for i in range(10))
    assert all(len(g) == 1 for g in contact_groups(zoom).values())


def test_im_groups_gone_is_recognised(zoom):
    zoom.configure(im_groups="gone")
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=QUICK).list_im_groups()
    assert is_im_groups_gone(info.value)
    assert not is_im_groups_gone(ZoomAPIError("GET", "/im/groups", 410, 4130))
    assert not is_im_groups_gone(ZoomAPIError("GET", "/im/groups", 404, 4137))
    assert not is_im_groups_gone(ValueError("410"))


def test_no_request_sends_more_than_zoom_allows(zoom):
    client = api()
    client.log = logging.getLogger("test")
    outcome = client.create_group(validate_group_spec("Limits"), members=people("lim", 75))
    assert zoom.count(CREATE, 201) == 1 and zoom.count(ADD, 201) == 1
    assert zoom.count(CREATE, 400) == zoom.count(ADD, 400) == 0
    assert len(client.client.list_members(outcome.group_id)) == 75


def test_a_wave_of_threads_shares_listings_and_creates_each_group_once(zoom):
    from concurrent.futures import ThreadPoolExecutor

    client = api()  # one object for the wave: its index and user cache are shared by the threads
    names = [f"Wave cohort {i:02d}" for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(
            lambda i: client.create_group(validate_group_spec(names[i]), members=people(f"w{i}-", 2)),
            range(len(names))))

    assert {o.outcome for o in outcomes} == {"created"}
    assert zoom.count(CREATE) == 40 and zoom.count(ADD) == 0
    assert all(len(g) == 1 and len(g[0]) == 2 for g in contact_groups(zoom).values())
    assert zoom.count(LIST) < 40  # the checks after each create share listings
