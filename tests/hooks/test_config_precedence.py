"""Every setting is resolved once into ``hook.config``: hook argument, then connection extra, then default."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import pytest

from airflow_provider_zoom._defaults import DEFAULT_TOKEN_URL
from airflow_provider_zoom._transport.config import EXTRA_ALIASES, EXTRAS, ZoomConnectionConfig
from airflow_provider_zoom._transport.rate_limit import RateLimits
from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.exceptions import ZoomConfigError
from airflow_provider_zoom.hooks.zoom import ZoomHook

ARG_URL = "https://arg.zoom.example/oauth/token"
EXTRA_URL = "https://extra.zoom.example/oauth/token"
OLD_URL = "https://old.zoom.example/oauth/token"
HOME = Path("/tmp/zoom-precedence-home")
NO_ARGUMENT: dict = {}
NO_EXTRA: dict = {}


def _connection(monkeypatch, extra: dict) -> None:
    conn = {
        "conn_type": "zoom",
        "host": "https://api.zoom.us/v2",
        "login": "client-id",
        "password": "client-secret",
        "extra": {"account_id": "extra-account", **extra},
    }
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW_HOME", str(HOME))


def row(setting, argument, extra, expected, id):
    return pytest.param(setting, argument, extra, expected, id=id)


# setting (a field of ZoomConnectionConfig), hook arguments, connection extras, expected value
PRECEDENCE = [
    row("account_id", {"account_id": "arg-account"}, {"account_id": "x"}, "arg-account", "account_id-argument"),
    row("account_id", NO_ARGUMENT, {"account_id": "x"}, "x", "account_id-extra"),
    row("account_id", NO_ARGUMENT, {"extra__zoom__account_id": "y", "account_id": ""}, "y", "account_id-prefixed"),
    row("oauth_url", {"oauth_url": ARG_URL}, {"oauth_url": EXTRA_URL}, ARG_URL, "oauth_url-argument"),
    row("oauth_url", NO_ARGUMENT, {"oauth_url": EXTRA_URL}, EXTRA_URL, "oauth_url-extra"),
    row("oauth_url", NO_ARGUMENT, {"oauth_token_url": OLD_URL}, OLD_URL, "oauth_url-old-name"),
    row("oauth_url", NO_ARGUMENT, {"oauth_url": EXTRA_URL, "oauth_token_url": OLD_URL}, EXTRA_URL,
        "oauth_url-new-name-wins"),
    row("oauth_url", NO_ARGUMENT, {"oauth_url": ""}, DEFAULT_TOKEN_URL, "oauth_url-empty-is-default"),
    row("oauth_url", NO_ARGUMENT, NO_EXTRA, DEFAULT_TOKEN_URL, "oauth_url-default"),
    row("plan", {"plan": "pro"}, {"plan": "business"}, "pro", "plan-argument"),
    row("plan", NO_ARGUMENT, {"plan": " Business "}, "business", "plan-extra"),
    row("plan", NO_ARGUMENT, {"plan": None}, None, "plan-null-is-default"),
    row("plan", {"plan": ""}, {"plan": "free"}, "free", "plan-empty-argument-is-not-given"),
    row("plan", NO_ARGUMENT, NO_EXTRA, None, "plan-default"),
    row("light_rps", {"light_rps": 3}, {"light_rps": "7"}, 3.0, "light_rps-argument"),
    row("light_rps", NO_ARGUMENT, {"light_rps": "7"}, 7.0, "light_rps-extra"),
    row("light_rps", NO_ARGUMENT, NO_EXTRA, None, "light_rps-default"),
    row("medium_rps", {"medium_rps": 2.5}, {"medium_rps": 9}, 2.5, "medium_rps-argument"),
    row("medium_rps", NO_ARGUMENT, {"medium_rps": 9}, 9.0, "medium_rps-extra"),
    row("medium_rps", NO_ARGUMENT, NO_EXTRA, None, "medium_rps-default"),
    row("heavy_rps", {"heavy_rps": 4.5}, {"heavy_rps": 9}, 4.5, "heavy_rps-argument"),
    row("heavy_rps", NO_ARGUMENT, {"heavy_rps": 9}, 9.0, "heavy_rps-extra"),
    row("heavy_rps", NO_ARGUMENT, NO_EXTRA, None, "heavy_rps-default"),
    row("rate_limiter", {"rate_limiter": "machine"}, {"rate_limiter": "process"}, "machine", "rate_limiter-argument"),
    row("rate_limiter", NO_ARGUMENT, {"rate_limiter": " Machine "}, "machine", "rate_limiter-extra"),
    row("rate_limiter", NO_ARGUMENT, NO_EXTRA, "process", "rate_limiter-default"),
    row("rate_limiter_conn_id", {"rate_limiter_conn_id": "arg_redis"}, {"rate_limiter_conn_id": "x"}, "arg_redis",
        "rate_limiter_conn_id-argument"),
    row("rate_limiter_conn_id", NO_ARGUMENT, {"rate_limiter_conn_id": "zoom_pacing"}, "zoom_pacing",
        "rate_limiter_conn_id-extra"),
    row("rate_limiter_conn_id", NO_ARGUMENT, NO_EXTRA, "redis_default", "rate_limiter_conn_id-default"),
    row("group_api", {"group_api": "im_groups"}, {"group_api": "contact_groups"}, "im_groups", "group_api-argument"),
    row("group_api", NO_ARGUMENT, {"group_api": "Contact_Groups "}, "contact_groups", "group_api-extra"),
    row("group_api", NO_ARGUMENT, NO_EXTRA, "auto", "group_api-default"),
    row("timeout", {"timeout": 3}, {"timeout": 4, "connect_timeout": 5}, (3.0, 3.0), "timeout-argument"),
    row("timeout", {"timeout": (1, 2)}, {"timeout": 4}, (1.0, 2.0), "timeout-argument-pair"),
    row("timeout", NO_ARGUMENT, {"timeout": "4", "connect_timeout": 5}, (4.0, 4.0), "timeout-extra"),
    row("timeout", NO_ARGUMENT, NO_EXTRA, (10.0, 30.0), "timeout-default"),
    row("connect_timeout", {"timeout": 3}, {"connect_timeout": 5}, 3.0, "connect_timeout-argument"),
    row("connect_timeout", NO_ARGUMENT, {"connect_timeout": 5}, 5.0, "connect_timeout-extra"),
    row("connect_timeout", NO_ARGUMENT, NO_EXTRA, 10.0, "connect_timeout-default"),
    row("read_timeout", {"timeout": 3}, {"read_timeout": 50}, 3.0, "read_timeout-argument"),
    row("read_timeout", NO_ARGUMENT, {"read_timeout": 50}, 50.0, "read_timeout-extra"),
    row("read_timeout", NO_ARGUMENT, NO_EXTRA, 30.0, "read_timeout-default"),
    row("max_attempts", {"max_attempts": 4}, {"max_attempts": 6}, 4, "max_attempts-argument"),
    row("max_attempts", {"retry_policy": RetryPolicy(max_attempts=7)}, {"max_attempts": 6}, 7,
        "max_attempts-retry_policy-argument"),
    row("max_attempts", {"max_attempts": 2, "retry_policy": RetryPolicy(max_attempts=7)}, NO_EXTRA, 2,
        "max_attempts-argument-over-retry_policy"),
    row("max_attempts", NO_ARGUMENT, {"max_attempts": "6"}, 6, "max_attempts-extra"),
    row("max_attempts", NO_ARGUMENT, NO_EXTRA, 10, "max_attempts-default"),
    row("max_retry_seconds", {"max_retry_seconds": 0}, {"max_retry_seconds": 60}, 0.0, "max_retry_seconds-argument"),
    row("max_retry_seconds", {"retry_policy": RetryPolicy(max_retry_seconds=9)}, {"max_retry_seconds": 60}, 9.0,
        "max_retry_seconds-retry_policy-argument"),
    row("max_retry_seconds", NO_ARGUMENT, {"max_retry_seconds": 60}, 60.0, "max_retry_seconds-extra"),
    row("max_retry_seconds", NO_ARGUMENT, NO_EXTRA, 300.0, "max_retry_seconds-default"),
    row("credential_cache", {"credential_cache": "process"}, {"credential_cache": "file"}, "process",
        "credential_cache-argument"),
    row("credential_cache", NO_ARGUMENT, {"credential_cache": "process"}, "process", "credential_cache-extra"),
    row("credential_cache", NO_ARGUMENT, {"token_cache": "process"}, "process", "credential_cache-old-name"),
    row("credential_cache", NO_ARGUMENT, NO_EXTRA, "file", "credential_cache-default"),
    row("credential_cache_dir", {"credential_cache_dir": "/arg/dir"}, {"credential_cache_dir": "/x"}, "/arg/dir",
        "credential_cache_dir-argument"),
    row("credential_cache_dir", NO_ARGUMENT, {"credential_cache_dir": "/x"}, "/x", "credential_cache_dir-extra"),
    row("credential_cache_dir", NO_ARGUMENT, {"token_cache_dir": "/old"}, "/old", "credential_cache_dir-old-name"),
    row("credential_cache_dir", NO_ARGUMENT, NO_EXTRA, str(HOME / ".zoom_tokens"), "credential_cache_dir-default"),
    row("credential_cache_dir", NO_ARGUMENT, {"credential_cache": "process", "credential_cache_dir": "/x"}, None,
        "credential_cache_dir-none-with-process"),
    row("proxies", {"proxies": {"https": "http://a:1"}}, {"proxies": {"https": "http://b:2"}},
        {"https": "http://a:1"}, "proxies-argument"),
    row("proxies", NO_ARGUMENT, {"proxies": '{"https": "http://b:2"}'}, {"https": "http://b:2"}, "proxies-extra"),
    row("proxies", NO_ARGUMENT, NO_EXTRA, {}, "proxies-default"),
    row("verify", {"verify": False}, {"verify": "true"}, False, "verify-argument"),
    row("verify", NO_ARGUMENT, {"verify": "false"}, False, "verify-extra"),
    row("verify", NO_ARGUMENT, {"verify": True}, True, "verify-extra-bool"),
    row("verify", NO_ARGUMENT, NO_EXTRA, None, "verify-default"),
    row("pool_size", {"pool_size": 4}, NO_EXTRA, 4, "pool_size-argument"),
    row("pool_size", NO_ARGUMENT, NO_EXTRA, None, "pool_size-default"),
]


@pytest.mark.parametrize("setting, argument, extra, expected", PRECEDENCE)
def test_argument_then_extra_then_default(monkeypatch, setting, argument, extra, expected):
    _connection(monkeypatch, extra)
    config = ZoomHook(**argument).config
    value = getattr(config, setting)
    assert (dict(value) if setting == "proxies" else value) == expected


def test_every_setting_has_a_precedence_row():
    settings = {p.values[0] for p in PRECEDENCE}
    fields = {f.name for f in dataclasses.fields(ZoomConnectionConfig)}
    derived = {"timeout"}  # a property: (connect_timeout, read_timeout)
    internal = {"conn_id", "api_url", "client_id", "client_secret", "backoff_base_s", "backoff_max_s"}
    assert settings == (fields - internal) | derived
    assert set(EXTRAS) <= settings | {"timeout"}
    old_names = {p.values[0] for p in PRECEDENCE if p.id.endswith("-old-name")}
    assert old_names == set(EXTRA_ALIASES)


def test_the_config_is_frozen_and_read_once(monkeypatch):
    _connection(monkeypatch, {"plan": "free"})
    hook = ZoomHook()
    config = hook.config
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.plan = "pro"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.proxies["https"] = "http://elsewhere:1"  # type: ignore[index]
    _connection(monkeypatch, {"plan": "business"})
    assert hook.config is config and hook.rate_limits == RateLimits.for_plan("free")
    assert hook.timeout == config.timeout and hook.retry_policy == config.retry_policy


def test_the_secret_is_not_in_the_config_repr(monkeypatch):
    _connection(monkeypatch, {"proxies": {"https": "http://user:pw-77@proxy:3128"}})
    text = repr(ZoomHook().config)
    assert "client-secret" not in text and "pw-77" not in text and "client-id" in text


@pytest.mark.parametrize(
    "argument, message",
    [
        ({"timeout": "ten"}, 'ZoomHook argument "timeout" must be a positive number of seconds, got "ten"'),
        ({"plan": "gold"}, 'ZoomHook argument "plan" must be one of free, pro, business, got "gold"'),
        ({"max_attempts": 0}, 'ZoomHook argument "max_attempts" must be a positive number of attempts, got 0'),
        ({"credential_cache": "redis"}, 'ZoomHook argument "credential_cache" must be "file" or "process"'),
        ({"oauth_url": "http://zoom.us/oauth/token"}, 'ZoomHook argument "oauth_url" (OAuth token URL) is'),
        ({"pool_size": 1.5}, 'ZoomHook argument "pool_size" must be a whole number of connections'),
    ],
)
def test_a_wrong_argument_names_the_argument(monkeypatch, argument, message):
    _connection(monkeypatch, {})
    with pytest.raises(ZoomConfigError) as info:
        ZoomHook(**argument).check_config()
    assert message in str(info.value)


@pytest.mark.skipif(
    importlib.util.find_spec("airflow.providers.redis") is not None,
    reason="providers-redis is installed here (make e2e installs it); the message is for deployments without it",
)
def test_the_redis_limiter_without_providers_redis_says_what_to_install(monkeypatch):
    _connection(monkeypatch, {"rate_limiter": "redis"})
    with pytest.raises(ZoomConfigError) as info:
        ZoomHook().check_config()
    assert 'pip install "airflow-provider-zoom[redis]"' in str(info.value)
    assert "client-secret" not in str(info.value)
