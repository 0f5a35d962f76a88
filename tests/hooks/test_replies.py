"""Replies that are not what Zoom sends become a ZoomAPIError naming method, path and status; never a raw
JSONDecodeError / AttributeError, and never a GroupOutcome without an id."""

from __future__ import annotations

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomReplyError
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.hooks.standin import Reply

FAST = RetryPolicy(max_attempts=2, max_retry_seconds=5, backoff_base_s=0.01, backoff_max_s=0.02)
HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


def _assert_names_the_call(exc: BaseException, method: str, path: str, status: int) -> None:
    assert isinstance(exc, ZoomAPIError)
    assert f"{method} {path}" in str(exc) and f"HTTP {status}" in str(exc), str(exc)


@pytest.mark.parametrize(
    "reply, problem",
    [
        (Reply(200, b'{"groups": [{"id": "g1", "na', {"Content-Type": "application/json"}), "not JSON"),
        (Reply(200, HTML), "not JSON (text/html"),
        (Reply(200, [{"id": "g1"}]), "JSON array where Zoom sends an object"),
        (Reply(200, {"groups": "g1,g2"}), '"groups" field that is not a list of objects'),
        (Reply(200, b""), "empty body"),
    ],
    ids=["truncated", "html", "array", "groups-not-a-list", "empty"],
)
def test_a_listing_that_is_not_a_json_object_is_a_zoom_error(standin, reply, problem):
    standin.on("GET", "/v2/im/groups", reply)
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()
    _assert_names_the_call(info.value, "GET", "/im/groups", 200)
    assert problem in str(info.value)
    assert standin.count("GET", "/v2/im/groups") == 2  # retried like a 5xx: a garbled reply is usually a one-off


@pytest.mark.parametrize(
    "reply", [Reply(201, {"name": "Cohort"}), Reply(201, {"id": None}), Reply(201, HTML), Reply(201, ["g1"])],
    ids=["no-id", "null-id", "html", "array"],
)
def test_a_create_reply_without_a_group_id_never_becomes_an_outcome(standin, reply):
    standin.on("POST", "/v2/im/groups", reply)
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST).create_im_group(validate_group_spec("Cohort"))
    _assert_names_the_call(info.value, "POST", "/im/groups", 201)


def test_a_create_whose_reply_lacked_the_id_is_found_by_its_retry(standin):
    """The 201 was real (the group exists): the retry's 409 finds it, and it is this call's group."""
    standin.on("POST", "/v2/im/groups", Reply(201, {"name": "Cohort"}),
               Reply(409, {"code": 4132, "message": "Group name Cohort is already in use."}))
    standin.on("GET", "/v2/im/groups", Reply(200, {"groups": [{"id": "g-42", "name": "cohort", "total_members": 0}],
                                                   "next_page_token": ""}))
    outcome = ZoomHook(retry_policy=FAST).create_im_group(validate_group_spec("Cohort"))
    assert (outcome.outcome, outcome.group_id, outcome.status_code) == ("created", "g-42", 201)


def test_a_conflict_whose_group_cannot_be_found_is_an_error_not_a_group_without_id(standin):
    standin.on("POST", "/v2/im/groups", Reply(409, {"code": 4132, "message": "Group name Cohort is already in use."}))
    standin.on("GET", "/v2/im/groups", Reply(200, {"groups": [], "next_page_token": ""}))
    with pytest.raises(ZoomReplyError) as info:
        ZoomHook(retry_policy=FAST).create_im_group(validate_group_spec("Cohort"))
    _assert_names_the_call(info.value, "POST", "/im/groups", 409)
    assert "'Cohort'" in str(info.value) and "no group of that name" in str(info.value)
    assert standin.count("GET", "/v2/im/members") == 0  # nothing went on to /im/groups/None/members


def test_an_error_reply_in_html_keeps_method_path_and_status(standin):
    standin.on("GET", "/v2/im/groups/g1", Reply(404, HTML))
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST).get_im_group("g1")
    _assert_names_the_call(info.value, "GET", "/im/groups/g1", 404)
    assert info.value.status_code == 404


def test_a_member_reply_that_is_an_array_is_a_zoom_error(standin):
    standin.on("POST", "/v2/im/groups/g1/members", Reply(201, ["u1"]))
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST).add_members_by_email("g1", ["a@example.com"])
    _assert_names_the_call(info.value, "POST", "/im/groups/g1/members", 201)
