"""Partial member batches: the members Zoom refuses are dropped and reported, everyone else is added."""

from __future__ import annotations

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomInvalidInput
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.hooks.standin import Reply

MEMBERS = "POST /v2/im/groups/{groupId}/members"
FAST = RetryPolicy(max_attempts=2, max_retry_seconds=5, backoff_base_s=0.01, backoff_max_s=0.02)


def _group(name: str = "Cohort P") -> str:
    return ZoomHook().create_im_group(validate_group_spec(name)).group_id


def test_a_malformed_address_is_dropped_and_the_rest_of_its_batch_added(zoom):
    group_id = _group()
    emails = [f"p{i:02d}@example.com" for i in range(12)]
    emails[3] = "ghost-at-example.com"
    emails[7] = "p07 @example.com"

    result = ZoomHook().add_members_by_email(group_id, emails)

    valid = [e for e in emails if e not in ("ghost-at-example.com", "p07 @example.com")]
    assert zoom.groups() == {"Cohort P": sorted(valid)}
    assert result["added"] == valid
    assert [r["email"] for r in result["rejected"]] == ["ghost-at-example.com", "p07 @example.com"]
    assert all("valid email" in r["reason"] for r in result["rejected"]), result["rejected"]
    # batch 1: refused once, then sent without the two; batch 2: one call
    assert zoom.count(MEMBERS, 400) == 1 and zoom.count(MEMBERS, 201) == 2


def test_an_address_that_is_not_a_user_of_the_account_is_rejected_by_name(zoom):
    """Needs the emulator's strict member rule (only users of the account) and @example.com as its users."""
    group_id = _group()
    emails = [f"p{i}@example.com" for i in range(10)]
    emails[3] = "ghost@x.org"

    result = ZoomHook().add_members_by_email(group_id, emails)

    assert zoom.groups() == {"Cohort P": sorted(e for e in emails if e != "ghost@x.org")}
    assert result["rejected"] == [{"email": "ghost@x.org", "reason": result["rejected"][0]["reason"]}]
    assert "ghost@x.org" in result["rejected"][0]["reason"]
    assert len(result["added"]) == 9


def test_only_missing_reports_added_already_and_rejected_apart(zoom):
    group_id = _group()
    ZoomHook().add_members_by_email(group_id, ["a@example.com"])
    result = ZoomHook().add_members_by_email(group_id, ["a@example.com", "bad@", "b@example.com"], only_missing=True)
    assert (result["added"], result["already_members"], [r["email"] for r in result["rejected"]]) == (
        ["b@example.com"], ["a@example.com"], ["bad@"])


@pytest.mark.parametrize(
    "emails, expected",
    [
        ("solo@example.com", ["solo@example.com"]),
        ("a@example.com, b@example.com;c@example.com\n d@example.com", [f"{c}@example.com" for c in "abcd"]),
        ('["a@example.com", "b@example.com"]', ["a@example.com", "b@example.com"]),
        ("['a@example.com', 'b@example.com']", ["a@example.com", "b@example.com"]),
        (("a@example.com",), ["a@example.com"]),
    ],
    ids=["single", "separated", "json-list", "python-list", "tuple"],
)
def test_emails_given_as_one_string_are_addresses_not_characters(zoom, emails, expected):
    group_id = _group()
    result = ZoomHook().add_members_by_email(group_id, emails)
    assert result["added"] == expected
    assert zoom.groups() == {"Cohort P": sorted(expected)}


@pytest.mark.parametrize(
    "emails, fragment",
    [
        ({"a": "a@example.com"}, "emails must be"),
        (42, "emails must be"),
        ('{"a": 1}', "emails must be emails, not a mapping"),
        ("[a@example.com", "emails looks like a list"),
        (["a@example.com", 7], "emails[1] must be an email address"),
    ],
)
def test_emails_that_cannot_be_read_fail_naming_the_field_before_any_call(zoom, emails, fragment):
    group_id = _group()
    with pytest.raises(ZoomInvalidInput, match=fragment.replace("[", r"\[")):
        ZoomHook().add_members_by_email(group_id, emails)
    assert zoom.count(MEMBERS) == 0


def test_a_validation_failure_that_names_no_member_raises_without_looping(standin):
    standin.on("POST", "/v2/im/groups/g1/members", Reply(400, {
        "code": 300, "message": "Validation Failed.",
        "errors": [{"field": "members", "message": "at most 10 members per request"}]}))
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST).add_members_by_email("g1", ["a@example.com", "b@example.com"])
    assert info.value.status_code == 400 and "at most 10 members" in str(info.value)
    assert standin.count("POST", "/v2/im/groups/g1/members") == 1


def test_added_is_what_zoom_reports_not_what_was_sent(standin):
    """Zoom's 201 names one id for three members sent: the member list tells who is in the group."""
    standin.on("POST", "/v2/im/groups/g1/members", Reply(201, {"ids": "u-a", "added_at": "2026-12-01T10:00:00Z"}))
    standin.on("GET", "/v2/im/groups/g1/members", Reply(200, {
        "members": [{"id": "u-a", "email": "a@example.com"}, {"id": "u-b", "email": "B@example.com"}],
        "next_page_token": ""}))

    result = ZoomHook(retry_policy=FAST).add_members_by_email("g1", ["a@example.com", "b@example.com", "c@example.com"])

    assert result["added"] == ["a@example.com"]
    assert result["already_members"] == ["b@example.com"]
    assert [r["email"] for r in result["rejected"]] == ["c@example.com"]
    assert "not in the group" in result["rejected"][0]["reason"]
