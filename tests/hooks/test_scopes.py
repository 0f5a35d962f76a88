"""A call Zoom refuses for a missing scope (codes 4700 / 4711) fails at once with an error naming the scope and the
feature that needs it, whatever the HTTP status; the connection's Test button says the same."""

from __future__ import annotations

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom._transport.scopes import feature_of, scope_of
from airflow_provider_zoom.exceptions import ZoomScopeError
from airflow_provider_zoom.groups.users import ZoomUsers
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.hooks.standin import Reply

FAST = RetryPolicy(max_attempts=3, max_retry_seconds=5, backoff_base_s=0.01, backoff_max_s=0.02)


def test_a_missing_read_scope_names_it_and_the_feature_and_is_not_retried(standin, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", standin.connection_json(group_api="contact_groups"))
    standin.on("GET", "/v2/contacts/groups", Reply(400, {
        "code": 4700, "message": "Invalid access token, does not contain scopes:[contact_group:read:admin]."}))

    with pytest.raises(ZoomScopeError) as info:
        ZoomHook(retry_policy=FAST).groups.list_groups()

    assert info.value.scope == "contact_group:read:admin" and info.value.permanent
    assert "lacks the scope contact_group:read:admin, which contact groups (read) needs" in str(info.value)
    assert standin.count("GET", "/v2/contacts/groups") == 1


def test_a_401_for_a_missing_scope_is_not_taken_for_an_expired_token(standin):
    standin.on("POST", "/v2/users", Reply(401, {"code": 4711, "message": "Invalid access token."}))

    with pytest.raises(ZoomScopeError) as info:
        ZoomUsers(ZoomHook(retry_policy=FAST)).invite("max@example.com")

    # Zoom's message named no scope: the table's for the call.
    assert "user:write:admin, which inviting missing hires (invite_missing_users) needs" in str(info.value)
    assert standin.count("POST", "/v2/users") == 1
    assert standin.count("POST", "/oauth/token") == 1  # no renewal: a new token lacks the scope as well


def test_the_test_button_names_the_missing_scope(standin):
    standin.on("GET", "/v2/im/groups", Reply(400, {
        "code": 4711, "message": "Invalid access token, does not contain scopes:[imgroup:read:admin]."}))

    ok, message = ZoomHook(retry_policy=FAST).test_connection()

    assert not ok
    assert "imgroup:read:admin" in message and "IM groups (read)" in message


@pytest.mark.parametrize(("method", "path", "scope", "feature"), [
    ("GET", "/users/a@example.com", "user:read:admin", "looking hires up by e-mail"),
    ("POST", "/users", "user:write:admin", "inviting missing hires (invite_missing_users)"),
    ("POST", "/contacts/groups/g1/members", "contact_group:write:admin", "contact groups (write)"),
    ("DELETE", "/im/groups/g1/members/u1", "imgroup:write:admin", "IM groups (write)"),
])
def test_the_scope_table_covers_every_call_of_the_provider(method, path, scope, feature):
    assert (scope_of(method, path), feature_of(method, path)) == (scope, feature)
