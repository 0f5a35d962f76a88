"""Connection settings: a wrong value names its field and fails the task at once; tokens never go over plain http."""

from __future__ import annotations

import json

import pytest

from airflow_provider_zoom._compat import AirflowFailException
from airflow_provider_zoom.exceptions import ZoomConfigError, ZoomError
from airflow_provider_zoom.hooks.zoom import ZoomHook
from airflow_provider_zoom.operators.im_groups import CreateIMGroupOperator
from airflow_provider_zoom.operators.waves import WaveCreateGroupsOperator


def _set_connection(monkeypatch, zoom, **changes):
    conn = json.loads(zoom.server.connection_uri_json())
    extra = {**conn["extra"], **changes.pop("extra", {})}
    conn.update(changes, extra=extra)
    for key in [k for k, v in extra.items() if v is None]:
        del extra[key]
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"timeout": "ten"}, 'extra "timeout" must be a positive number of seconds, got "ten"'),
        ({"connect_timeout": -1}, 'extra "connect_timeout" must be a positive number of seconds, got -1'),
        ({"read_timeout": "soon"}, 'extra "read_timeout" must be a positive number of seconds, got "soon"'),
        ({"max_attempts": "many"}, 'extra "max_attempts" must be a positive number of attempts, got "many"'),
        ({"max_attempts": 2.5}, 'extra "max_attempts" must be a whole number of attempts, at least 1, got 2.5'),
        ({"max_retry_seconds": "forever"}, 'extra "max_retry_seconds" must be a number of seconds, got "forever"'),
        ({"plan": "gold"}, 'extra "plan" must be one of free, pro, business, got "gold"'),
        ({"light_rps": "fast"}, 'extra "light_rps" must be a positive number of requests per second, got "fast"'),
        ({"medium_rps": 0}, 'extra "medium_rps" must be a positive number of requests per second, got 0'),
        ({"rate_limiter": "cluster"}, 'extra "rate_limiter" must be one of process, machine, redis, got "cluster"'),
        ({"rate_limiter_conn_id": 5}, 'extra "rate_limiter_conn_id" must be the ID of an Airflow Redis connection'),
        ({"credential_cache": "redis"}, 'extra "credential_cache" must be "file" or "process", got "redis"'),
        ({"token_cache": "redis"}, 'extra "token_cache" must be "file" or "process", got "redis"'),  # its old name
        ({"credential_cache_dir": 7}, 'extra "credential_cache_dir" must be the path of a folder, got 7'),
        ({"verify": "/no/such/bundle.pem"}, 'extra "verify" must be true, false or the path of an existing CA bundle'),
        ({"proxies": ["http://proxy:3128"]}, 'extra "proxies" must be a mapping of scheme to proxy URL'),
        ({"account_id": None}, "lacks: Account ID (extra account_id)"),
    ],
)
def test_a_wrong_setting_names_its_field_and_fails_the_task_without_retries(zoom, monkeypatch, extra, message):
    _set_connection(monkeypatch, zoom, extra=extra)
    with pytest.raises(ZoomConfigError) as info:
        ZoomHook().check_config()
    assert message in str(info.value) and "'zoom_default'" in str(info.value)
    assert info.value.permanent

    with pytest.raises(AirflowFailException, match=message.split(",")[0].replace("(", r"\(").replace(")", r"\)")):
        CreateIMGroupOperator(task_id="create", name="Cohort C").execute({})
    assert zoom.count("POST /v2/im/groups") == 0


@pytest.mark.parametrize("field, label", [("login", "Client ID (login)"), ("password", "Client Secret (password)")])
def test_missing_credentials_name_the_field(zoom, monkeypatch, field, label):
    _set_connection(monkeypatch, zoom, **{field: None})
    with pytest.raises(ZoomConfigError, match=label.replace("(", r"\(").replace(")", r"\)")):
        ZoomHook().list_im_groups()


def test_wave_operator_fails_at_once_on_a_wrong_setting(zoom, monkeypatch):
    _set_connection(monkeypatch, zoom, extra={"plan": "gold"})
    with pytest.raises(AirflowFailException, match='extra "plan"'):
        WaveCreateGroupsOperator(task_id="create", groups=["A"]).execute({"ti": None})


def test_the_redis_limiter_without_providers_redis_says_what_to_install(zoom, monkeypatch):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "airflow.providers.redis" else find_spec(name, *a)
    )
    _set_connection(monkeypatch, zoom, extra={"plan": "pro", "rate_limiter": "redis"})
    with pytest.raises(ZoomConfigError, match=r'pip install "airflow-provider-zoom\[redis\]"'):
        ZoomHook().check_config()
    assert zoom.count("POST /v2/im/groups") == 0


def test_the_redis_limiter_names_a_missing_redis_connection(zoom, monkeypatch):
    pytest.importorskip("airflow.providers.redis")
    _set_connection(monkeypatch, zoom, extra={"plan": "pro", "rate_limiter": "redis", "rate_limiter_conn_id": "nope"})
    with pytest.raises(ZoomConfigError, match="no Airflow connection 'nope'"):
        ZoomHook().list_im_groups()


def test_a_proxy_password_is_not_shown_in_the_error(zoom, monkeypatch):
    _set_connection(monkeypatch, zoom, extra={"proxies": "http://user:pw-9f8e@proxy:3128"})
    with pytest.raises(ZoomConfigError) as info:
        ZoomHook().check_config()
    assert "pw-9f8e" not in str(info.value)


@pytest.mark.parametrize(
    "host, base_url",
    [
        ("api.zoom.us/v2", "https://api.zoom.us/v2"),
        ("https://api.zoom.us/v2/", "https://api.zoom.us/v2"),
        ("http://127.0.0.1:8765/v2", "http://127.0.0.1:8765/v2"),
        ("http://127.1.2.3/v2", "http://127.1.2.3/v2"),
        ("http://localhost:9/v2", "http://localhost:9/v2"),
        ("http://[::1]:9/v2", "http://[::1]:9/v2"),
    ],
)
def test_a_host_without_scheme_means_https(zoom, monkeypatch, host, base_url):
    _set_connection(monkeypatch, zoom, host=host)
    hook = ZoomHook()
    hook.get_conn()
    assert hook.base_url == base_url


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"host": "http://api.zoom.us/v2"}, 'field "host" (API base URL)'),
        ({"host": "http://10.0.0.5/v2"}, 'field "host" (API base URL)'),
        ({"host": "api.zoom.us/v2", "schema": "http"}, 'field "host" (API base URL)'),
        ({"extra": {"oauth_url": "http://zoom.us/oauth/token"}}, 'extra "oauth_url" (OAuth token URL)'),
        ({"extra": {"oauth_url": None, "oauth_token_url": "http://zoom.us/oauth/token"}},
         'extra "oauth_token_url" (OAuth token URL)'),
    ],
)
def test_plain_http_is_refused_except_to_loopback(zoom, monkeypatch, changes, field):
    _set_connection(monkeypatch, zoom, **changes)
    with pytest.raises(ZoomConfigError) as info:
        ZoomHook().list_im_groups()
    message = str(info.value)
    assert field in message and "plain http://" in message and "loopback" in message
    assert zoom.state()["counters"]["tokens_issued"] == 0


def test_every_config_error_is_a_zoom_error_and_a_value_error():
    assert issubclass(ZoomConfigError, ZoomError) and issubclass(ZoomConfigError, ValueError)
