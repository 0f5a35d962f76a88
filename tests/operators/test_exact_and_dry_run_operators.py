"""The member operators' ``membership="exact"`` and ``dry_run`` on one group, against the emulator over HTTP."""

from __future__ import annotations

import pytest

from airflow_provider_zoom._compat import AirflowFailException
from airflow_provider_zoom._transport.rate_limit import category_of
from airflow_provider_zoom.operators.groups import AddGroupMembersOperator
from airflow_provider_zoom.operators.im_groups import CreateIMGroupOperator
from airflow_provider_zoom.operators.waves import WaveAddMembersOperator
from tests.operators.task_context import task_context

IM_REMOVE = "DELETE /v2/im/groups/{groupId}/members/{memberId}"
PEOPLE = [f"p{n}@example.com" for n in range(1, 5)]


def _group(emails: list[str], name: str = "Cohort X") -> str:
    group_id = CreateIMGroupOperator(task_id="create", name=name).execute({})["group_id"]
    AddGroupMembersOperator(task_id="add", group_id=group_id, emails=emails).execute({})
    return group_id


def _writes(zoom) -> int:
    counters = zoom.state()["counters"]["requests"]
    return sum(sum(s.values()) for route, s in counters.items()
               if route.split(" ")[0] in ("POST", "PATCH", "PUT", "DELETE") and " /v2/" in route)


def test_exact_removes_who_is_not_in_the_list_and_names_them(zoom):
    group_id = _group(PEOPLE)

    result = AddGroupMembersOperator(task_id="sync", group_id=group_id, emails=PEOPLE[1:] + ["new@example.com"],
                                       membership="exact").execute({})

    assert result["removed"] == ["p1@example.com"] and result["added"] == ["new@example.com"]
    assert zoom.groups() == {"Cohort X": sorted(PEOPLE[1:] + ["new@example.com"])}
    assert zoom.count(IM_REMOVE, 204) == 1


def test_exact_over_the_share_fails_before_any_change_naming_group_count_and_share(zoom):
    group_id = _group(PEOPLE)
    writes = _writes(zoom)

    with pytest.raises(AirflowFailException, match=rf"'{group_id}': exact membership would remove 3 of its 4 members "
                                                   r"\(75%\), more than the Param max_removal_share=0.5"):
        AddGroupMembersOperator(task_id="sync", group_id=group_id, emails=PEOPLE[:1] + ["new@example.com"],
                                  membership="exact").execute({})

    assert _writes(zoom) == writes  # not even the add
    assert zoom.groups() == {"Cohort X": PEOPLE}


def test_exact_never_empties_a_group_whatever_the_share(zoom):
    group_id = _group(PEOPLE[:2])
    for emails in ([], ["not an address"]):  # nobody, or only people Zoom refuses, to stay
        with pytest.raises(AirflowFailException, match="would leave it empty"):
            AddGroupMembersOperator(task_id="sync", group_id=group_id, emails=emails, membership="exact",
                                      max_removal_share=1).execute({})
    assert zoom.groups() == {"Cohort X": PEOPLE[:2]}
    assert zoom.count(IM_REMOVE) == 0


def test_dry_run_reports_the_plan_and_writes_nothing(zoom):
    group_id = _group(PEOPLE)
    writes = _writes(zoom)

    result = AddGroupMembersOperator(task_id="sync", group_id=group_id, emails=PEOPLE[:1] + ["new@example.com"],
                                       membership="exact", dry_run="True").execute({})  # as a template renders

    assert _writes(zoom) == writes
    assert (result["dry_run"], result["added"], result["removed"]) == (True, ["new@example.com"], PEOPLE[1:])
    assert "max_removal_share=0.5" in result["blocked"]  # what a real run would stop at


def test_create_dry_run_looks_the_name_up(zoom):
    _group(PEOPLE[:1])
    assert CreateIMGroupOperator(task_id="c", name="cohort x", dry_run=True).execute({})["outcome"] == "exists"
    new = CreateIMGroupOperator(task_id="c", name="Cohort Y", dry_run=True).execute({})
    assert (new["outcome"], new["group_id"], new["dry_run"]) == ("created", None, True)
    assert set(zoom.groups()) == {"Cohort X"}


def test_wave_exact_plans_every_group_before_writing(zoom):
    ok, over = _group(PEOPLE, "Cohort A"), _group(PEOPLE, "Cohort B")
    context = task_context()
    writes = _writes(zoom)
    groups = [{"group_id": ok, "name": "Cohort A", "emails": PEOPLE[1:]},  # 1 of 4: fine alone
              {"group_id": over, "name": "Cohort B", "emails": PEOPLE[:1]}]  # 3 of 4: over

    with pytest.raises(AirflowFailException, match="'Cohort B'"):
        WaveAddMembersOperator(task_id="w", groups=groups, membership="exact").execute(context)

    assert _writes(zoom) == writes  # Cohort A untouched too
    assert len(context["ti"].pushed["removal_limit"]) == 1
    result = WaveAddMembersOperator(task_id="w", groups=groups[:1], membership="exact").execute(task_context())
    assert (result["members_removed"], zoom.groups()["Cohort A"]) == (1, PEOPLE[1:])


def test_removals_are_paced_in_zoom_documented_categories():
    assert category_of("DELETE", "im/groups/g1/members/u1") == "light"  # Swagger: Light
    assert category_of("DELETE", "contacts/groups/g1/members?member_ids=a,b") == "heavy"  # reference 7.1: Heavy
