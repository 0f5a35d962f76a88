"""The hook against a misbehaving Zoom: every group exactly once, no task failed for a retryable reason."""

import json
import time

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomConnectionError, ZoomRateLimitError
from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.hooks.zoom import ZoomHook

QUICK = RetryPolicy(max_attempts=12, max_retry_seconds=30, backoff_base_s=0.01, backoff_max_s=0.1)
CREATE = "POST /v2/im/groups"


def test_commit_then_fail_is_reported_as_created_not_duplicated(zoom):
    zoom.configure(faults={"seed": 11, "commit_then_fail": 1.0})
    hook = ZoomHook(retry_policy=QUICK)

    outcomes = [hook.create_im_group(validate_group_spec(f"Lost reply {i}")) for i in range(4)]

    assert [o.outcome for o in outcomes] == ["created"] * 4
    state = zoom.state()
    assert sorted(g["name"] for g in state["groups"]) == [f"Lost reply {i}" for i in range(4)]
    assert {o.group_id for o in outcomes} == {g["id"] for g in state["groups"]}
    assert state["counters"]["faults"]["commit_then_fail"] == 4
    assert state["counters"]["requests"][CREATE].get("409") == 4


def test_existing_group_with_members_stays_exists_after_an_unknown_attempt(zoom):
    hook = ZoomHook(retry_policy=QUICK)
    first = hook.create_im_group(validate_group_spec("Populated"))
    hook.add_members_by_email(first.group_id, ["a@example.com"])
    zoom.configure(faults={"seed": 2, "error_5xx": 0.5})

    for _ in range(6):  # some of these calls meet a 5xx before their 409
        assert ZoomHook(retry_policy=QUICK).create_im_group(validate_group_spec("Populated")).outcome == "exists"
    assert len(zoom.state()["groups"]) == 1


def test_daily_limit_fails_at_once_naming_category_and_reset(zoom):
    zoom.configure(plan="free", light_daily=2, medium_daily=100)
    hook = ZoomHook(retry_policy=QUICK)
    hook.create_im_group(validate_group_spec("Day 1"))
    hook.create_im_group(validate_group_spec("Day 2"))

    with pytest.raises(ZoomRateLimitError) as info:
        hook.create_im_group(validate_group_spec("Day 3"))

    message = str(info.value)
    assert "Light" in message and "daily rate limit" in message
    assert "T00:00:00Z" in message  # the next 00:00 UTC, from Retry-After
    assert zoom.state()["counters"]["requests"][CREATE]["429"] == 1  # no retry loop


def test_per_second_429s_are_retried_until_every_create_succeeds(zoom):
    zoom.configure(light_rps=5)
    hook = ZoomHook(retry_policy=QUICK)

    for i in range(12):
        assert hook.create_im_group(validate_group_spec(f"Burst {i}")).outcome == "created"

    state = zoom.state()
    assert len(state["groups"]) == 12
    assert state["counters"]["rate_limited"] > 0


def test_client_side_pacing_stays_under_the_limit(zoom):
    zoom.configure(light_rps=10)
    hook = ZoomHook(retry_policy=QUICK, light_rps=9.5)

    for i in range(15):
        hook.create_im_group(validate_group_spec(f"Paced {i}"))

    state = zoom.state()
    assert len(state["groups"]) == 15
    assert state["counters"]["rate_limited"] == 0


def test_hostile_mix_still_yields_each_group_exactly_once(zoom):
    zoom.configure(
        token_policy="latest-only",
        faults={"seed": 5, "error_5xx": 0.1, "reset": 0.05, "commit_then_fail": 0.05, "burst_429": 0.05,
                "invalidate_tokens_at": [10, 30]},
    )
    hook = ZoomHook(retry_policy=QUICK)
    names = [f"Hostile {i:02d}" for i in range(40)]

    outcomes = [hook.create_im_group(validate_group_spec(n)) for n in names]

    assert {o.outcome for o in outcomes} == {"created"}
    assert sorted(g["name"] for g in zoom.state()["groups"]) == names


def test_read_timeout_is_applied_and_retried(zoom, monkeypatch):
    conn = json.loads(zoom.server.connection_uri_json())
    conn["extra"]["read_timeout"] = 0.05
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))
    zoom.configure(faults={"latency_ms": 300})
    with pytest.raises(ZoomConnectionError, match="ReadTimeout: no reply from 127.0.0.1:") as info:
        ZoomHook(retry_policy=RetryPolicy(max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.01)).list_im_groups()
    assert info.value.outcome_unknown  # sent, its reply lost: Zoom may have carried it out
    # The emulator still answers both abandoned requests; let it, so that they do not land in the next test.
    deadline = time.monotonic() + 10
    while zoom.count("GET /v2/im/groups") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert zoom.count("GET /v2/im/groups") == 2


def test_token_replaced_again_right_after_a_renewal_is_retried(zoom):
    # Request 2 meets an invalidation, and so does its retry with the renewed token (request 3).
    zoom.configure(token_policy="latest-only", faults={"seed": 1, "invalidate_tokens_at": [2, 3]})
    hook = ZoomHook(retry_policy=QUICK)
    hook.list_im_groups()

    assert hook.list_im_groups() == []
    assert zoom.state()["counters"]["tokens_issued"] == 3
