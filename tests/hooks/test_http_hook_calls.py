"""HttpHook's public calls on a ZoomHook take the Zoom path (pacing, token renewal, retries, Zoom's errors) or refuse."""

from __future__ import annotations

import time

import pytest
import requests

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomConfigError
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.hooks.standin import TOKEN, StandInZoom, echo_headers

QUICK = RetryPolicy(max_attempts=12, max_retry_seconds=30, backoff_base_s=0.01, backoff_max_s=0.05)
LIST = "GET /v2/im/groups"


def test_run_returns_the_response_of_the_endpoint(zoom):
    response = ZoomHook().run("im/groups")

    assert isinstance(response, requests.Response) and response.status_code == 200
    assert response.json()["groups"] == []
    assert response.request.headers["Authorization"].startswith("Bearer ")
    assert zoom.count(LIST, 200) == 1


def test_run_sends_data_as_query_of_a_get_and_as_body_otherwise(zoom):
    response = ZoomHook().run("im/groups", data={"page_size": 1})
    assert "page_size=1" in response.request.url

    created = ZoomHook(method="POST").run("im/groups", files={"name": (None, "Made by run")})
    assert created.status_code == 201
    assert [g["name"] for g in zoom.state()["groups"]] == ["Made by run"]


def test_run_is_paced(zoom):
    zoom.configure(medium_rps=5)
    hook = ZoomHook(medium_rps=4.5, retry_policy=QUICK)
    hook.run("im/groups")  # the token is fetched outside the pace
    started = time.monotonic()

    for _ in range(6):
        hook.run("im/groups")

    assert time.monotonic() - started >= 5 / 4.5 * 0.9
    assert zoom.state()["counters"]["rate_limited"] == 0


def test_run_renews_a_revoked_token(zoom):
    hook = ZoomHook()
    hook.run("im/groups")
    zoom.invalidate_tokens()

    assert hook.run("im/groups").status_code == 200
    assert zoom.state()["counters"]["tokens_issued"] == 2
    assert zoom.count(LIST, 401) == 1


def test_run_retries_server_errors(zoom):
    zoom.configure(faults={"seed": 7, "error_5xx": 0.5})
    hook = ZoomHook(retry_policy=QUICK)

    assert all(hook.run("im/groups").status_code == 200 for _ in range(8))
    requests_seen = zoom.state()["counters"]["requests"][LIST]
    assert sum(n for status, n in requests_seen.items() if status.startswith("5")) > 0


def test_run_raises_zoom_api_error_with_zoom_code_on_a_4xx(zoom):
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=QUICK).run("im/groups/no-such-group")

    assert (info.value.status_code, info.value.code) == (404, 4130)
    assert info.value.path == "/im/groups/no-such-group" and info.value.permanent
    assert zoom.count("GET /v2/im/groups/{groupId}") == 1  # a 4xx is not retried


def test_run_takes_a_timeout_option_and_refuses_unchecked_replies(zoom):
    hook = ZoomHook()
    assert hook.run("im/groups", extra_options={"timeout": 5, "check_response": True}).status_code == 200
    with pytest.raises(ZoomConfigError, match="check_response.*catch it"):
        hook.run("im/groups", extra_options={"check_response": False})
    with pytest.raises(TypeError, match="needs the endpoint"):
        hook.run()


def test_check_response_raises_zoom_api_error(zoom):
    hook = ZoomHook()
    raw = hook.get_conn().get(f"{hook.base_url}/im/groups/missing", timeout=5)

    with pytest.raises(ZoomAPIError) as info:
        hook.check_response(raw)

    assert (info.value.status_code, info.value.code, info.value.path) == (404, 4130, "/im/groups/missing")
    assert "Group does not exist" in str(info.value)
    hook.check_response(hook.get_conn().get(f"{hook.base_url}/im/groups", timeout=5))  # a 2xx passes


def test_check_response_redacts_an_echoed_token(monkeypatch):
    with StandInZoom() as standin:
        standin.on("GET", "/v2/im/groups", echo_headers(400))
        monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", standin.connection_json())
        hook = ZoomHook(credential_cache="process")  # the stand-in's token stays out of the shared files
        raw = hook.get_conn().get(f"{hook.base_url}/im/groups", timeout=5)
        assert TOKEN in raw.text

        with pytest.raises(ZoomAPIError) as info:
            hook.check_response(raw)

    assert info.value.status_code == 400 and TOKEN not in str(info.value) and "***" in str(info.value)


def test_run_and_check_refuses_and_names_the_way(zoom):
    hook = ZoomHook()
    prepared = requests.Request("GET", f"{zoom.url}/v2/im/groups").prepare()
    with pytest.raises(TypeError, match=r"call ZoomHook\.run\(endpoint"):
        hook.run_and_check(hook.get_conn(), prepared, {})
    assert zoom.count(LIST) == 0


def test_run_with_advanced_retry_refuses_and_names_the_retry_settings(zoom):
    import tenacity

    with pytest.raises(TypeError, match="already retries.*retry_policy / max_attempts / max_retry_seconds"):
        ZoomHook().run_with_advanced_retry({"stop": tenacity.stop_after_attempt(3)}, endpoint="im/groups")
    assert zoom.count(LIST) == 0


def test_get_conn_refuses_extra_options(zoom):
    with pytest.raises(ZoomConfigError, match="hook.config"):
        ZoomHook().get_conn(extra_options={"verify": False})


def test_the_constructor_is_keyword_only():
    with pytest.raises(TypeError):
        ZoomHook("zoom_default")  # type: ignore[misc]
