"""The wave operators on Contact Groups where names are shared: groups made by hand are adopted and left in place
(the dry run says which one, the real run does the same), racing waves create each name once and report no
deleted group, and a wave lists the account a bounded number of times whatever its size."""

from __future__ import annotations

import math
import threading

import pytest

from airflow_provider_zoom.operators.waves import WaveAddMembersOperator, WaveCreateGroupsOperator
from tests.groups.test_contact_group_names import account, by_hand
from tests.operators.task_context import task_context

LIST = "GET /v2/contacts/groups"
DELETE_GROUP = "DELETE /v2/contacts/groups/{groupId}"
SALES, DATA = "Onboarding 2026-W48 Sales", "Onboarding 2026-W48 Data"


def _context():
    return task_context("manual__2026-11-26T10:00:00+00:00")


@pytest.mark.parametrize("membership", ["add_only", "exact"])
def test_same_named_groups_made_by_hand_stay_and_the_dry_run_reports_what_the_real_run_does(zoom, membership):
    zoom.configure(im_groups="gone")  # a current account: Contact Groups (``auto`` switches on the 410)
    exact = by_hand(SALES, ["ann@example.com", "cy@example.com"])
    other = by_hand("onboarding 2026-w48 sales", ["bob@example.com"])
    members = {SALES: ["cy@example.com", "dee@example.com"], DATA: ["eve@example.com"]}
    before = account(zoom)

    dry = WaveCreateGroupsOperator(task_id="create", groups=[SALES, DATA], members_by_name=members,
                                   dry_run=True).execute(_context())
    real = WaveCreateGroupsOperator(task_id="create", groups=[SALES, DATA], members_by_name=members).execute(_context())
    for source in ("created", "exists"):
        WaveAddMembersOperator(task_id=f"members_{source}", groups=real, members_by_name=members, source=source,
                               membership=membership).execute(_context())

    adopted = [{"name": SALES, "group_id": exact, "also_named": [{"group_id": other,
                                                                  "name": "onboarding 2026-w48 sales"}]}]
    assert dry["exists"] == real["exists"] == adopted
    assert dry["also_named_count"] == real["also_named_count"] == 1
    assert [g["name"] for g in dry["created"]] == [g["name"] for g in real["created"]] == [DATA]
    after = account(zoom)
    assert zoom.count(DELETE_GROUP) == 0 and set(before) <= set(after)  # no group deleted
    assert after[other] == before[other]  # the other spelling: untouched
    kept = ["cy@example.com", "dee@example.com"] if membership == "exact" else \
        ["ann@example.com", "cy@example.com", "dee@example.com"]
    assert after[exact]["members"] == kept
    (data_id,) = set(after) - set(before)
    assert after[data_id] == {"name": DATA, "members": ["eve@example.com"]}


def test_two_concurrent_waves_create_each_name_once_and_report_no_deleted_group(zoom):
    zoom.configure(im_groups="gone", faults={"seed": 3, "latency_ms": 1, "latency_jitter_ms": 15})
    names = [f"Onboarding 2026-W{week} {team}" for week in (49, 50) for team in ("Sales", "Data", "Ops", "Legal")]
    members = {name: [f"n{i}-a@example.com", f"n{i}-b@example.com"] for i, name in enumerate(names)}
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def wave(order: list[str]) -> None:
        operator = WaveCreateGroupsOperator(task_id="create", groups=order, members_by_name=members, max_workers=4)
        barrier.wait()
        try:
            results.append(operator.execute(_context()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=wave, args=(order,)) for order in (names, names[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not errors, errors
    final = account(zoom)
    assert sorted(g["name"] for g in final.values()) == sorted(names)  # one group per name
    assert zoom.count(DELETE_GROUP) == 0
    reported = [g for result in results for g in result["created"] + result["exists"]]
    assert len(reported) == 2 * len(names) and all(g["group_id"] in final for g in reported)  # no deleted id
    assert sum(result["created_count"] for result in results) == len(names)  # created once, by one wave
    by_name = {g["name"]: g["group_id"] for g in reported if g in results[0]["created"] + results[1]["created"]}
    assert all(g["group_id"] == by_name[g["name"]] for g in reported)  # both waves name the same group


def test_a_wave_lists_the_account_a_bounded_number_of_times_whatever_its_size(zoom, capsys):
    zoom.configure(im_groups="gone", faults={"seed": 5, "latency_ms": 1, "latency_jitter_ms": 3})
    for i in range(120):  # an account with groups of its own
        by_hand(f"Team {i:03d}")
    names = [f"Onboarding 2026-W50 Cohort {i:03d}" for i in range(100)]
    listed_before = zoom.count(LIST)

    result = WaveCreateGroupsOperator(
        task_id="create", groups=names, members_by_name={n: [f"p{i}@example.com"] for i, n in enumerate(names)},
        max_workers=8,
    ).execute(_context())

    pages = zoom.count(LIST) - listed_before
    full_listing = math.ceil((120 + len(names)) / 50)
    with capsys.disabled():
        print(f"\nwave of {len(names)} contact groups on an account of 120: {pages} list pages "
              f"(a full listing is {full_listing})")
    assert result["created_count"] == len(names)
    assert pages <= 3 * full_listing


def test_the_single_group_dry_run_names_the_group_the_real_run_adopts(zoom):
    """The daily DAG's per-cohort create task: the same rule and the same report, dry and real."""
    from airflow_provider_zoom.operators.im_groups import CreateIMGroupOperator

    zoom.configure(im_groups="gone")
    names = {by_hand(spelling): spelling for spelling in ("onboarding 2026-w48 data", "ONBOARDING 2026-W48 DATA")}
    ids = sorted(names)

    dry = CreateIMGroupOperator(task_id="c", name=DATA, dry_run=True).execute({})
    real = CreateIMGroupOperator(task_id="c", name=DATA).execute({})

    assert (dry["outcome"], real["outcome"]) == ("exists", "exists")
    assert dry["group_id"] == real["group_id"] == ids[0]  # no exact spelling: the lowest id
    assert dry["also_named"] == real["also_named"] == [{"group_id": ids[1], "name": names[ids[1]]}]
    assert sorted(account(zoom)) == ids and zoom.count(DELETE_GROUP) == 0
