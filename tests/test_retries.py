import socket
from datetime import UTC, datetime

import pytest
import requests

from airflow_provider_zoom._transport.retries import RetryPolicy, call_with_retries, outcome_unknown, parse_retry_after
from airflow_provider_zoom.exceptions import ZoomConfigError, ZoomConnectionError

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    "header, seconds",
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("Thu, 26 Nov 2026 10:00:30 GMT", 30.0),
        ("2026-11-27T00:00:00Z", 14 * 3600.0),
        ("2026-11-26T10:01:00+00:00", 60.0),
        ("2026-11-26T09:00:00Z", 0.0),  # in the past: go now
    ],
)
def test_retry_after_as_seconds_http_date_or_iso_timestamp(header, seconds):
    assert parse_retry_after(header, now=NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("header", [None, "", "soon", "tomorrow at noon"])
def test_unreadable_retry_after_means_backoff(header):
    assert parse_retry_after(header, now=NOW) is None


# -- only the provider's errors leave a call ---------------------------------------------------------------

QUICK = RetryPolicy(max_attempts=3, max_retry_seconds=10, backoff_base_s=0.01, backoff_max_s=0.02)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_network_failure_leaves_any_caller_as_a_zoom_error_naming_method_host_and_check():
    """Fixed where the retry loop ends: whoever calls ``call_with_retries`` gets the provider's error."""
    port = _closed_port()
    attempts: list = []
    with requests.Session() as session, pytest.raises(ZoomConnectionError) as info:
        # user info in the URL (as a proxy URL may have): never shown
        call_with_retries(QUICK, lambda: session.get(f"http://someone:pa55word@127.0.0.1:{port}/v2/users", timeout=5),
                          method="GET", path="users", attempts=attempts)
    error = info.value
    assert str(error) == (f"Zoom API GET /users: ConnectionError: connection refused by 127.0.0.1:{port}. Check the "
                          "connection's host: is the port right and the server up?")
    assert "pa55word" not in str(error) and error.__cause__ is None
    assert len(attempts) == 3 and all(isinstance(a, requests.ConnectionError) for a in attempts)  # retried
    assert error.retryable and not error.permanent and not error.outcome_unknown
    assert not outcome_unknown(error)


def test_a_request_that_cannot_be_built_is_named_and_not_retried():
    attempts: list = []
    with pytest.raises(ZoomConnectionError) as info:
        call_with_retries(QUICK, lambda: requests.get("http://[::1/v2", timeout=5), method="GET", path="/im/groups",
                          attempts=attempts)
    assert "Zoom API GET /im/groups" in str(info.value) and "InvalidURL" in str(info.value)
    assert info.value.permanent and len(attempts) == 1


def test_the_provider_s_own_errors_pass_unchanged():
    def refuse():
        raise ZoomConfigError("extra \"timeout\" must be a positive number of seconds")

    with pytest.raises(ZoomConfigError):
        call_with_retries(QUICK, refuse, method="GET", path="/im/groups")
