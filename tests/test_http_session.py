"""EnvironmentOnceSession: the proxy / CA environment applies as with a plain session, read once per host."""

from __future__ import annotations

import socket

import pytest
import requests

from airflow_provider_zoom._transport.http_session import EnvironmentOnceSession


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: a proxy there refuses every connection."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def proxy_env(monkeypatch, closed_port):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "ALL_PROXY",
                 "all_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port}")
    return monkeypatch


@pytest.mark.parametrize("session_class", [requests.Session, EnvironmentOnceSession])
def test_http_proxy_from_the_environment_is_used(emulator_server, proxy_env, session_class):
    with session_class() as session, pytest.raises(requests.exceptions.ProxyError):
        session.get(f"{emulator_server.url}/health", timeout=5)


@pytest.mark.parametrize("session_class", [requests.Session, EnvironmentOnceSession])
def test_no_proxy_from_the_environment_is_honoured(emulator_server, proxy_env, session_class):
    proxy_env.setenv("NO_PROXY", "127.0.0.1,localhost")
    with session_class() as session:
        assert session.get(f"{emulator_server.url}/health", timeout=5).status_code == 200


@pytest.mark.parametrize("trust_env", [True, False])
def test_settings_equal_a_plain_sessions(proxy_env, trust_env):
    proxy_env.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    proxy_env.setenv("NO_PROXY", "internal.example")
    proxy_env.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    plain, once = requests.Session(), EnvironmentOnceSession()
    for session in (plain, once):
        session.trust_env = trust_env
        session.proxies = {"ftp": "http://ftp-proxy.example:21"}
    for url in ("https://api.zoom.us/v2/im/groups", "https://zoom.us/oauth/token", "https://internal.example/x"):
        for verify in (None, True, False, "/tmp/own.pem"):
            for _ in range(2):  # the second time from the cache
                assert once.merge_environment_settings(url, {}, None, verify, None) == \
                    plain.merge_environment_settings(url, {}, None, verify, None)


def test_the_environment_is_read_once_per_host(proxy_env, monkeypatch):
    calls = []
    original = requests.sessions.get_environ_proxies

    def counting(url, no_proxy=None):
        calls.append(url)
        return original(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counting)
    session = EnvironmentOnceSession()
    for n in range(5):
        session.merge_environment_settings(f"https://api.zoom.us/v2/im/groups/{n}", {}, None, None, None)
        session.merge_environment_settings("https://zoom.us/oauth/token", {}, None, None, None)
    assert calls == ["https://api.zoom.us/v2/im/groups/0", "https://zoom.us/oauth/token"]


def test_callers_cannot_alter_the_kept_settings(proxy_env, closed_port):
    session = EnvironmentOnceSession()
    first = session.merge_environment_settings("http://api.example/a", {}, None, None, None)
    first["proxies"]["http"] = "http://elsewhere:1"
    again = session.merge_environment_settings("http://api.example/b", {}, None, None, None)
    assert again["proxies"]["http"] == f"http://127.0.0.1:{closed_port}"
