"""The token endpoint failing: retried like an API call, and the message says what happened."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomCredentialsRejected, ZoomTokenEndpointUnavailable
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.hooks.standin import Reply

FAST = RetryPolicy(max_attempts=3, max_retry_seconds=10, backoff_base_s=0.01, backoff_max_s=0.02)
GROUPS = Reply(200, {"groups": [], "next_page_token": ""})
CHECK = "Check the connection's Client ID"


@pytest.fixture
def standin(standin):
    """The shared stand-in (tests/hooks/conftest.py), answering the group listing."""
    standin.on("GET", "/v2/im/groups", GROUPS)
    return standin


def test_a_502_from_the_token_endpoint_is_retried_and_the_call_succeeds(standin, capfd):
    token_reply = standin.routes[("POST", "/oauth/token")][0]
    standin.on("POST", "/oauth/token", Reply(502, b"<html>Bad Gateway</html>"), Reply(503, b""), token_reply)

    assert ZoomHook(retry_policy=FAST).list_im_groups() == []

    assert standin.count("POST", "/oauth/token") == 3
    logged = capfd.readouterr()
    assert f"token endpoint {standin.url}/oauth/token answered HTTP 502 Bad Gateway" in logged.out + logged.err


def test_a_persistent_502_names_the_endpoint_and_status_not_the_credentials(standin):
    standin.on("POST", "/oauth/token", Reply(502, b"<html>Bad Gateway</html>"))
    with pytest.raises(ZoomTokenEndpointUnavailable) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()
    message = str(info.value)
    assert message.startswith(f"Zoom's token endpoint {standin.url}/oauth/token answered HTTP 502 Bad Gateway")
    assert CHECK not in message
    assert not info.value.permanent
    assert standin.count("POST", "/oauth/token") == 3 and standin.count("GET", "/v2/im/groups") == 0


def test_a_refused_connection_to_the_token_endpoint_says_so(standin, monkeypatch):
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    conn = json.loads(standin.connection_json())
    conn["extra"].pop("oauth_url", None)
    conn["extra"]["oauth_url"] = f"http://127.0.0.1:{closed}/oauth/token"
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))
    with pytest.raises(ZoomTokenEndpointUnavailable) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()
    assert "connection refused" in str(info.value) and f"127.0.0.1:{closed}/oauth/token" in str(info.value)
    assert CHECK not in str(info.value)


def test_a_token_endpoint_that_never_answers_times_out_after_the_read_timeout(standin, monkeypatch):
    release = threading.Event()

    def stall(seen):
        release.wait(10)
        return Reply(504, b"")

    standin.on("POST", "/oauth/token", stall)
    conn = json.loads(standin.connection_json(read_timeout=0.2))
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))
    try:
        with pytest.raises(ZoomTokenEndpointUnavailable) as info:
            ZoomHook(retry_policy=RetryPolicy(max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.01)).list_im_groups()
    finally:
        release.set()
    assert "timed out after 0.2 s" in str(info.value)
    assert standin.count("POST", "/oauth/token") == 2


@pytest.mark.parametrize(
    "status, body, hint",
    [
        (401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, True),
        (400, {"reason": "Invalid account_id", "error": "invalid_grant"}, True),
        (403, {"reason": "Forbidden by policy", "error": "access_denied"}, False),
        (404, b"<html>Not Found</html>", False),
    ],
)
def test_only_refused_credentials_suggest_checking_them(standin, status, body, hint):
    standin.on("POST", "/oauth/token", Reply(status, body))
    with pytest.raises(ZoomCredentialsRejected) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()
    assert (CHECK in str(info.value)) is hint
    assert f"HTTP {status}" in str(info.value)
    assert info.value.permanent
    assert standin.count("POST", "/oauth/token") == 1  # a refusal is not retried


def test_a_token_reply_without_a_token_is_retried(standin):
    token_reply = standin.routes[("POST", "/oauth/token")][0]
    standin.on("POST", "/oauth/token", Reply(200, b"<html>Sign in</html>"), token_reply)
    assert ZoomHook(retry_policy=FAST).list_im_groups() == []
    assert standin.count("POST", "/oauth/token") == 2


def test_a_long_error_page_is_quoted_cut_to_200_characters_after_redaction(standin):
    """Redacted first, then cut (tests/security/test_credential_edges.py has the echoed credential)."""
    standin.on("POST", "/oauth/token", Reply(502, ("A" * 300).encode(), {"Content-Type": "text/plain"}))
    with pytest.raises(ZoomTokenEndpointUnavailable) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()
    assert str(info.value).endswith("answered HTTP 502 Bad Gateway: " + "A" * 197 + "...")
