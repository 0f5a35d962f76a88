"""Zoom users of hires (``groups.users.ZoomUsers``) against the emulator: a lookup tells a missing user from a
pending one, and an invitation (``POST /v2/users``, action create) ends in each of Zoom's documented outcomes."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomNoSeatsError, ZoomRateLimitError
from airflow_provider_zoom.groups.users import ZoomUsers
from airflow_provider_zoom.hooks.zoom import ZoomHook

QUICK = RetryPolicy(max_attempts=3, max_retry_seconds=5, backoff_base_s=0.01, backoff_max_s=0.05)
CREATE = "POST /v2/users"


def users() -> ZoomUsers:
    return ZoomUsers(ZoomHook(retry_policy=QUICK))


def _missing(zoom, *emails: str) -> None:
    requests.post(f"{zoom.url}/_emulator/users", json={"missing": list(emails)}, timeout=10).raise_for_status()


def _status(zoom, email: str) -> str | None:
    listed = requests.get(f"{zoom.url}/_emulator/users", timeout=10).json()["users"]
    return next((u["status"] for u in listed if u["email"] == email), None)


def test_a_lookup_tells_a_missing_user_from_a_pending_one(zoom):
    _missing(zoom, "max@example.com")
    requests.post(f"{zoom.url}/_emulator/users", json={"emails": ["pia@example.com"], "status": "pending"},
                  timeout=10).raise_for_status()
    api = users()
    assert (api.resolve("max@example.com").state, api.resolve("max@example.com").missing) == ("pending", True)
    assert (api.resolve("pia@example.com").state, api.resolve("pia@example.com").missing) == ("pending", False)
    assert api.resolve("ann@example.com").state == "active"


def test_an_invitation_creates_a_pending_user_of_the_type_asked(zoom):
    _missing(zoom, "max@example.com")

    invitation = users().invite("max@example.com", user_type=1, first_name="Max", last_name="Mustermann")

    assert invitation.result == "invited"
    assert _status(zoom, "max@example.com") == "pending"
    assert users().resolve("max@example.com").missing is False


def test_an_address_already_a_user_or_of_another_account_is_reported_not_raised(zoom):
    zoom.configure(foreign_users=["ext@example.com"])
    _missing(zoom, "ext@example.com")

    assert users().invite("ann@example.com").result == "exists"  # 409 / 1005
    foreign = users().invite("ext@example.com")  # 400 / 1009
    assert foreign.result == "foreign" and "another account" in (foreign.reason or "")
    assert zoom.count(CREATE) == 2  # neither was retried


def test_no_seat_left_stops_with_an_error_naming_the_person(zoom):
    _missing(zoom, "max@example.com")
    zoom.configure(user_seats=0)

    with pytest.raises(ZoomNoSeatsError, match="max@example.com.*no seat"):
        users().invite("max@example.com")
    assert _status(zoom, "max@example.com") is None


def test_the_daily_create_cap_is_the_hooks_daily_limit_error(zoom):
    _missing(zoom, "a@example.com", "b@example.com")
    zoom.configure(user_create_daily=1)
    api = users()
    assert api.invite("a@example.com").result == "invited"

    with pytest.raises(ZoomRateLimitError, match="daily rate limit"):
        api.invite("b@example.com")


def test_a_user_type_zoom_does_not_know_is_refused_before_any_call(zoom):
    with pytest.raises(ValueError, match="invite_user_type must be one of"):
        users().invite("max@example.com", user_type=3)
    assert zoom.count(CREATE) == 0
