"""One paginator for every listing of both group APIs: a page token Zoom no longer honours restarts the listing
once, and nobody is listed twice."""

from __future__ import annotations

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomAPIError
from airflow_provider_zoom.groups.contact.backend import ContactGroups
from airflow_provider_zoom.groups.im import IMGroups
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.hooks.standin import Reply

FAST = RetryPolicy(max_attempts=2, max_retry_seconds=5, backoff_base_s=0.01, backoff_max_s=0.02)
EXPIRED = Reply(400, {"code": 300, "message": "The next page token is invalid or has expired."})

LISTINGS = {  # name -> (backend, path, reply key, item of page 1, item of page 2, call)
    "im groups": (IMGroups, "/v2/im/groups", "groups", {"id": "g1", "name": "A"}, {"id": "g2", "name": "B"},
                  lambda api: api.list_groups()),
    "im members": (IMGroups, "/v2/im/groups/g1/members", "members", {"id": "u1", "email": "a@example.com"},
                   {"id": "u2", "email": "b@example.com"}, lambda api: api.list_members("g1")),
    "contact groups": (ContactGroups, "/v2/contacts/groups", "groups", {"group_id": "c1", "group_name": "A"},
                       {"group_id": "c2", "group_name": "B"}, lambda api: api.list_groups()),
    "contact members": (ContactGroups, "/v2/contacts/groups/c1/members", "group_members",
                        {"type": 1, "id": "u1", "name": "Ann"}, {"type": 1, "id": "u2", "name": "Bob"},
                        lambda api: api.client.list_members("c1")),
}


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_an_expired_page_token_restarts_the_listing_once_without_repeats(standin, listing):
    backend, path, key, first, second, call = LISTINGS[listing]
    page_1 = Reply(200, {key: [first], "next_page_token": "t1"})
    standin.on("GET", path, page_1, EXPIRED, page_1, Reply(200, {key: [second], "next_page_token": ""}))

    assert call(backend(ZoomHook(retry_policy=FAST))) == [first, second]
    assert standin.count("GET", path) == 4


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_a_token_refused_again_after_the_restart_is_raised(standin, listing):
    backend, path, key, first, _, call = LISTINGS[listing]
    page_1 = Reply(200, {key: [first], "next_page_token": "t1"})
    standin.on("GET", path, page_1, EXPIRED, page_1, EXPIRED)

    with pytest.raises(ZoomAPIError) as info:
        call(backend(ZoomHook(retry_policy=FAST)))
    assert info.value.status_code == 400 and standin.count("GET", path) == 4
