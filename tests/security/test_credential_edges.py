"""The last credential edges, over real HTTP on loopback (a stand-in Zoom, no mocks of requests).

- A token endpoint echoing the Basic header after 160 characters of padding, a server cutting its echo short,
  Latin-1 secrets: no run of 4 or more characters of the Base64 credential (Latin-1 or UTF-8) reaches the
  exception or the log, with the provider's masker registrations on and off.
- A secret that HTTP Basic cannot carry (outside Latin-1) is a ``ZoomConfigError`` naming the field.
- https to a server that speaks plain http is named, on the token path and on the API path; no exception of
  requests or urllib3 leaves the hook.
"""

from __future__ import annotations

import base64
import json
import pickle
import urllib.parse

import pytest

from airflow_provider_zoom._transport.oauth import S2SCredentials
from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom._transport.token_cache import PROCESS_TOKENS
from airflow_provider_zoom.exceptions import (
    ZoomAPIError,
    ZoomAuthError,
    ZoomConfigError,
    ZoomConnectionError,
    ZoomError,
    ZoomTokenEndpointUnavailable,
)
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.hooks.standin import ACCOUNT_ID, CLIENT_ID, Reply, Seen, StandInZoom

FAST = RetryPolicy(max_attempts=2, max_retry_seconds=10, backoff_base_s=0.01, backoff_max_s=0.02)
TOKEN = "tok-EDGE-qwPLMzR-access"  # fixed, so that a log's other content is the same on every run
SECRETS = {
    "ascii": "Sec>r?s3cr3t-VALUE-4d1c9e",
    "latin-1": "Sécret-ÿ-Ünïcode-VALUE-77",
}


def _base64_forms(secret: str) -> list[str]:
    raw = f"{CLIENT_ID}:{secret}"
    forms = []
    for encoding in ("latin-1", "utf-8"):
        data = raw.encode(encoding)
        forms += [base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()]
    return forms


def _fragments(secret: str) -> set[str]:
    """Every substring of 4 or more characters of the Base64 credential, in both encodings."""
    return {
        form[i:j] for form in _base64_forms(secret) for i in range(len(form)) for j in range(i + 4, len(form) + 1)
    }


def _assert_nothing_of(secret: str, text: str) -> None:
    """No fragment of the Base64 credential, no wire form of the secret itself, not the token."""
    leaked = sorted(f for f in _fragments(secret) if f in text)
    assert not leaked, f"fragments of the Base64 credential leaked: {leaked[:5]} in {text[-3000:]}"
    plain = [secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
             urllib.parse.quote_plus(secret, encoding="latin-1"), TOKEN]
    assert not [p for p in plain if p in text], text[-3000:]


@pytest.fixture(params=sorted(SECRETS))
def secret(request):
    return SECRETS[request.param]


@pytest.fixture(params=["masker on", "masker off"])
def masker(request, monkeypatch):
    """The provider's registrations with Airflow's masker switched off: redaction must not need them."""
    if request.param == "masker off":
        for module in ("oauth", "token_cache"):
            monkeypatch.setattr(f"airflow_provider_zoom._transport.{module}.mask", lambda value: None)
    return request.param


@pytest.fixture
def standin(monkeypatch, tmp_path):
    with StandInZoom() as server:
        server.on("POST", "/oauth/token", Reply(200, {"access_token": TOKEN, "expires_in": 3600}))
        PROCESS_TOKENS.clear()
        monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
        yield server
    PROCESS_TOKENS.clear()


def _connect(monkeypatch, standin: StandInZoom, *, password: str, login: str = CLIENT_ID, **changes) -> None:
    conn = json.loads(standin.connection_json(max_attempts=2, credential_cache="process"))
    conn.update(password=password, login=login)
    conn["extra"].update(changes.pop("extra", {}))
    conn.update(changes)
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))


def _padded_echo(seen: Seen) -> Reply:
    """The issue's 502: 160 characters of padding, then the echoed Authorization header, as plain text."""
    return Reply(502, ("x" * 160 + f" Authorization: {seen.headers['Authorization']}").encode(), {
        "Content-Type": "text/plain"})


def _cut_echo(seen: Seen) -> Reply:
    """A gateway that cuts its own echo short, mid-credential: what is left is a head of the Base64."""
    header = seen.headers["Authorization"]
    return Reply(502, f"upstream failed; request was Authorization: {header[: len(header) - 11]}".encode(),
                 {"Content-Type": "text/plain"})


def _escaped_echo(seen: Seen) -> Reply:
    """A JSON body quoting the decoded credential (ASCII escapes) and its URL-encoded form."""
    decoded = base64.b64decode(seen.headers["Authorization"].split(" ", 1)[1]).decode("latin-1")
    secret = decoded.partition(":")[2]
    return Reply(503, {"error": "server_error", "reason": f"bad credential {decoded} / "
                                                          f"{urllib.parse.quote_plus(secret, encoding='latin-1')}"})


@pytest.mark.parametrize("echo", [_padded_echo, _cut_echo, _escaped_echo])
def test_a_token_endpoint_echo_leaves_no_part_of_the_secret(standin, monkeypatch, capfd, masker, secret, echo):
    _connect(monkeypatch, standin, password=secret)
    standin.on("POST", "/oauth/token", echo)

    with pytest.raises(ZoomTokenEndpointUnavailable) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()

    sent = next(s.headers["Authorization"] for s in standin.seen if s.path == "/oauth/token")
    assert sent == "Basic " + base64.b64encode(f"{CLIENT_ID}:{secret}".encode("latin-1")).decode()  # requests: Latin-1
    logged = capfd.readouterr()
    text = str(info.value) + logged.out + logged.err
    assert "retrying in" in text, "no retry warning was searched"
    assert "502" in text or "503" in text
    assert "***" in str(info.value), "the echo was not quoted: nothing was tested"
    _assert_nothing_of(secret, text)


def test_an_api_error_echoing_the_token_and_a_cut_credential_leaves_nothing(standin, monkeypatch, capfd, masker,
                                                                            secret):
    """The API path: a 500 whose message holds the bearer token and the head of the Basic credential."""
    _connect(monkeypatch, standin, password=secret)
    head = _base64_forms(secret)[0][:-7]
    standin.on("GET", "/v2/im/groups", lambda seen: Reply(500, {
        "code": 500, "message": "x" * 160 + f" {seen.headers['Authorization']} Basic {head}"}))

    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()

    logged = capfd.readouterr()
    text = str(info.value) + logged.out + logged.err
    assert "Bearer ***" in text and "retrying in" in text
    _assert_nothing_of(secret, text)


@pytest.mark.parametrize("field, login, password", [
    ("client_secret", CLIENT_ID, "Sécret-€-4d1c9e"),
    ("client_secret", CLIENT_ID, "秘密-secret-4d1c9e"),
    ("client_id", "client-€-id", "plain-secret-4d1c9e"),
])
def test_a_credential_basic_auth_cannot_carry_is_a_config_error_naming_the_field(standin, monkeypatch, field, login,
                                                                                 password):
    _connect(monkeypatch, standin, password=password, login=login)

    with pytest.raises(ZoomConfigError) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()

    message = str(info.value)
    assert field in message and "Latin-1" in message and "'zoom_default'" in message
    assert password not in message and "€" not in message and "秘密" not in message
    assert standin.count("POST", "/oauth/token") == 0  # refused before anything was sent
    assert info.value.permanent


def test_credentials_built_directly_are_checked_too():
    with pytest.raises(ZoomConfigError, match="client_secret holds a character outside Latin-1"):
        S2SCredentials(token_url="https://zoom.us/oauth/token", client_id=CLIENT_ID, client_secret="s€cret",
                       account_id=ACCOUNT_ID)


def _port(standin: StandInZoom) -> int:
    return standin.server.server_address[1]


def test_https_to_a_plain_http_api_is_named_not_a_raw_ssl_error(standin, monkeypatch, capfd):
    """The issue's case: a host without a scheme (https assumed) and a server that speaks only http."""
    _connect(monkeypatch, standin, password=SECRETS["ascii"], host=f"127.0.0.1:{_port(standin)}/v2")

    with pytest.raises(ZoomError) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()

    error = info.value
    assert type(error) is ZoomConnectionError
    assert (error.method, error.path, error.host) == ("GET", "/im/groups", f"127.0.0.1:{_port(standin)}")
    assert str(error) == (
        f"Zoom API GET /im/groups: SSLError: TLS handshake with 127.0.0.1:{_port(standin)} failed. Does the server "
        "speak https? Set the scheme in the connection's host (http:// only for loopback addresses)"
    )
    assert error.__cause__ is None and error.__suppress_context__  # no urllib3 text (a proxy URL) in the chain
    assert error.permanent and not error.outcome_unknown
    assert "retrying in" not in capfd.readouterr().out  # the same setting fails again: not retried
    assert standin.count("POST", "/oauth/token") == 1  # the token came, over the token URL's plain http


def test_https_to_a_plain_http_token_endpoint_is_named(standin, monkeypatch, capfd):
    _connect(monkeypatch, standin, password=SECRETS["ascii"],
             extra={"oauth_url": f"https://127.0.0.1:{_port(standin)}/oauth/token"})

    with pytest.raises(ZoomAuthError) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()

    assert type(info.value) is ZoomTokenEndpointUnavailable
    assert f"TLS handshake with 127.0.0.1:{_port(standin)} failed. Does the server speak https? Set the scheme in " \
           'the extra "oauth_url" (http:// only for loopback addresses)' in str(info.value)
    assert info.value.permanent and not info.value.retryable
    assert "retrying in" not in capfd.readouterr().out


def test_a_connection_error_survives_pickling():
    error = ZoomConnectionError("GET", "/im/groups", "127.0.0.1:9", "ConnectionError: connection refused by "
                                "127.0.0.1:9", hint="Check the connection's host", outcome_unknown=False)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.host == "127.0.0.1:9" and copy.retryable
