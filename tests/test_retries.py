from datetime import UTC, datetime

import pytest

from airflow_provider_zoom._transport.retries import parse_retry_after

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
