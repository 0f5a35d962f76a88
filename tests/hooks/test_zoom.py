import json

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomAuthError, ZoomConnectionError
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.groups.im import im_form_fields
from airflow_provider_zoom.hooks.zoom import ZoomHook

FAST_RETRIES = RetryPolicy(max_attempts=3, max_retry_seconds=5, backoff_base_s=0.01, backoff_max_s=0.05)


def _set_connection(monkeypatch, zoom, **changes):
    conn = json.loads(zoom.server.connection_uri_json())
    extra = {**conn["extra"], **changes.pop("extra", {})}
    conn.update(changes, extra=extra)
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))


def test_create_sends_multipart_form_with_the_seed_fields(zoom):
    hook = ZoomHook()
    spec = validate_group_spec("Onboarding 2026-W48 Sales", "shared", False, True, False)
    files = {k: (None, v) for k, v in im_form_fields(spec).items()}
    response = hook.request("POST", "im/groups", files=files)

    assert response.status_code == 201
    assert response.request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = response.request.body.decode()
    for field, value in im_form_fields(spec).items():
        assert f'name="{field}"\r\n\r\n{value}\r\n' in body
    assert response.headers["Content-Location"].endswith(f"/v2/im/groups/{response.json()['id']}")
    (group,) = zoom.state()["groups"]
    assert (group["name"], group["type"], group["search_by_domain"], group["search_by_account"]) == (
        "Onboarding 2026-W48 Sales", "shared", False, True,
    )


def test_create_then_conflict_reports_the_existing_group(zoom):
    hook = ZoomHook()
    first = hook.create_im_group(validate_group_spec("Cohort A"))
    second = ZoomHook().create_im_group(validate_group_spec("Cohort A"))

    assert (first.status_code, first.outcome) == (201, "created")
    assert (second.status_code, second.outcome) == (409, "exists")
    assert second.group_id == first.group_id
    assert len(zoom.state()["groups"]) == 1


def test_one_token_serves_every_hook_of_the_connection(zoom):
    for _ in range(3):
        ZoomHook().list_im_groups()
    assert zoom.state()["counters"]["tokens_issued"] == 1


def test_rejected_token_is_renewed_once_and_the_call_retried(zoom):
    hook = ZoomHook()
    hook.list_im_groups()
    zoom.invalidate_tokens()

    assert hook.list_im_groups() == []
    assert zoom.state()["counters"]["tokens_issued"] == 2


def test_connection_extras_are_not_sent_as_headers_and_secret_stays_out_of_api_calls(zoom):
    response = ZoomHook().request("GET", "im/groups")
    sent = {k.lower(): v for k, v in response.request.headers.items()}
    assert "account_id" not in sent and "oauth_token_url" not in sent and "oauth_url" not in sent
    assert sent["authorization"].startswith("Bearer ")
    assert "demo-client-secret" not in json.dumps(sent)


def test_members_are_added_ten_per_call_and_listed_across_pages(zoom, monkeypatch):
    hook = ZoomHook()
    group = hook.create_im_group(validate_group_spec("Big cohort"))
    emails = [f"person{i:03d}@example.com" for i in range(23)]

    result = hook.add_members_by_email(group.group_id, emails)

    assert result["added"] == emails
    assert zoom.count("POST /v2/im/groups/{groupId}/members", 201) == 3
    monkeypatch.setattr("airflow_provider_zoom.groups.im.MEMBERS_PAGE_SIZE", 10)
    listed = hook.list_im_group_members(group.group_id)
    assert sorted(m["email"] for m in listed) == emails
    assert zoom.count("GET /v2/im/groups/{groupId}/members", 200) == 3


def test_reconcile_adds_only_missing_members(zoom):
    hook = ZoomHook()
    group = hook.create_im_group(validate_group_spec("Cohort R"))
    hook.add_members_by_email(group.group_id, ["a@example.com", "b@example.com"])

    result = hook.add_members_by_email(
        group.group_id, ["A@example.com", "b@example.com", "c@example.com"], only_missing=True
    )

    assert result["added"] == ["c@example.com"]
    assert result["already_members"] == ["a@example.com", "b@example.com"]
    assert zoom.groups() == {"Cohort R": ["a@example.com", "b@example.com", "c@example.com"]}


def test_zoom_error_code_and_message_surface(zoom):
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook().get_im_group("no-such-group")
    assert info.value.status_code == 404
    assert info.value.code == 4130
    assert "4130" in str(info.value) and "no-such-group" in str(info.value)


def test_find_by_name_ignores_case(zoom):
    hook = ZoomHook()
    created = hook.create_im_group(validate_group_spec("Onboarding 2026-W49 People"))
    assert hook.find_im_group_by_name("onboarding 2026-w49 people")["id"] == created.group_id
    assert hook.find_im_group_by_name("nobody") is None


def test_bad_client_secret_names_the_cause_without_the_secret(zoom, monkeypatch):
    _set_connection(monkeypatch, zoom, password="wrong-secret-XYZ")
    with pytest.raises(ZoomAuthError) as info:
        ZoomHook().list_im_groups()
    message = str(info.value)
    assert "demo-client-id" in message and "invalid_client" in message
    assert "wrong-secret-XYZ" not in message


def test_disabled_app_is_reported(zoom):
    zoom.configure(app_disabled=True)
    ok, message = ZoomHook().test_connection()
    assert ok is False
    assert "disabled" in message and "demo-client-secret" not in message


def test_test_connection_succeeds_against_the_emulator(zoom):
    ok, message = ZoomHook().test_connection()
    assert ok is True
    assert "demo-account" in message


def test_missing_account_id_is_a_clear_error(zoom, monkeypatch):
    conn = json.loads(zoom.server.connection_uri_json())
    del conn["extra"]["account_id"]
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))
    ok, message = ZoomHook().test_connection()
    assert not ok and "Account ID" in message


def test_timeouts_come_from_connection_extras(zoom, monkeypatch):
    _set_connection(monkeypatch, zoom, extra={"connect_timeout": 2, "read_timeout": 7})
    assert ZoomHook().timeout == (2.0, 7.0)
    assert ZoomHook(timeout=3).timeout == (3.0, 3.0)


def test_server_errors_are_retried_until_the_call_succeeds(zoom):
    zoom.configure(faults={"seed": 7, "error_5xx": 0.5})
    hook = ZoomHook(retry_policy=RetryPolicy(max_attempts=30, max_retry_seconds=20, backoff_base_s=0.01,
                                             backoff_max_s=0.02))
    for _ in range(10):
        hook.list_im_groups()
    assert sum(n for s, n in zoom.state()["counters"]["requests"]["GET /v2/im/groups"].items() if s.startswith("5")) > 0


def test_a_persistent_server_error_fails_with_zoom_status(zoom):
    zoom.configure(faults={"seed": 1, "error_5xx": 1.0})
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST_RETRIES).list_im_groups()
    assert info.value.status_code >= 500
    assert zoom.count("GET /v2/im/groups") == 3


def test_connection_refused_is_reported_after_retries(monkeypatch, zoom):
    _set_connection(monkeypatch, zoom, host="http://127.0.0.1:9/v2")
    with pytest.raises(ZoomConnectionError, match="GET /im/groups: ConnectionError: connection refused by 127.0.0.1:9. Check the connection"):
        ZoomHook(retry_policy=FAST_RETRIES).request("GET", "im/groups")


def test_proxy_environment_applies_to_the_hooks_calls(zoom, monkeypatch):
    """The hook reads the proxy environment once per host, but reads it: HTTP_PROXY is used, NO_PROXY bypasses."""
    import socket

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as sock:  # a loopback port nothing listens on: a "proxy" that refuses everything
        sock.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{sock.getsockname()[1]}")
    with pytest.raises(ZoomAuthError, match="token endpoint .*: ProxyError"):
        ZoomHook(retry_policy=FAST_RETRIES).list_im_groups()

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # from here on the test's own state() calls get through too
    assert zoom.state()["counters"]["tokens_issued"] == 0  # nothing reached Zoom, not even the token request
    ZoomHook(retry_policy=FAST_RETRIES).create_im_group(validate_group_spec("Behind a proxy"))
    assert [g["name"] for g in zoom.state()["groups"]] == ["Behind a proxy"]
