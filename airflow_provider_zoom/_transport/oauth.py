"""Zoom Server-to-Server OAuth: fetch an account token and stamp it on every API request.

Tokens are kept by ``token_cache`` (shared by hooks, processes of a machine) and renewed a little
before Zoom's ``expires_in`` so that a token never dies in the middle of a call.
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass

import requests
from requests.auth import AuthBase

from airflow_provider_zoom._transport.masking import basic_credential_forms, mask, redact_then_cut
from airflow_provider_zoom._transport.retries import (
    media_type,
    network_problem,
    parse_retry_after,
    sent_secrets,
)
from airflow_provider_zoom.exceptions import ZoomConfigError, ZoomCredentialsRejected, ZoomTokenEndpointUnavailable

# Renew this long before Zoom's expiry so that a token never dies in the middle of a call.
MAX_RENEWAL_MARGIN_S = 300.0
#: How much of a token endpoint's error text a message quotes (after redaction, never before).
QUOTED_TEXT_LIMIT = 200


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # wall clock (time.time()), so that it means the same in every process

    def is_fresh(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) < self.expires_at


@dataclass(frozen=True)
class S2SCredentials:
    token_url: str
    client_id: str
    client_secret: str
    account_id: str

    def __post_init__(self) -> None:
        for name, value in (("client_id", self.client_id), ("client_secret", self.client_secret)):
            check_basic_encodable(name, value)

    @functools.cached_property  # computed once: it is read on every request
    def cache_key(self) -> tuple[str, str, str, str]:
        """Identifies the credentials; a changed secret gets its own tokens (a fingerprint, not the secret)."""
        fingerprint = hashlib.sha256(self.client_secret.encode()).hexdigest()[:16]
        return (self.token_url, self.client_id, self.account_id, fingerprint)

    @functools.cached_property
    def secrets(self) -> tuple[str, ...]:
        """The client secret and every form of the Basic credential: redacted from whatever a server echoes."""
        return (self.client_secret, *basic_credential_forms(self.client_id, self.client_secret))

    def register_with_masker(self) -> None:
        """Let Airflow's masker hide the secret in each form it travels in (once per process)."""
        if self.cache_key not in _MASKED_CREDENTIALS:
            for value in self.secrets:
                mask(str(value))  # a plain str: Base64Credential is for ``redact`` only
            _MASKED_CREDENTIALS.add(self.cache_key)


_MASKED_CREDENTIALS: set[tuple[str, ...]] = set()


def check_basic_encodable(field: str, value: str, where: str = "") -> None:
    """``ZoomConfigError`` naming ``field`` when ``value`` cannot travel in a Basic header (Latin-1, as requests
    sends it). The value itself is never shown, not even the character at fault."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ZoomConfigError(
            f"{where}{field} holds a character outside Latin-1 (ISO-8859-1), which HTTP Basic authentication "
            "cannot carry to Zoom's token endpoint. Zoom's client IDs and secrets are plain ASCII: copy it again "
            "from the app's page in the Zoom App Marketplace."
        ) from None


def request_token(
    credentials: S2SCredentials, session: requests.Session, timeout: tuple[float, float]
) -> AccessToken:
    """POST grant_type=account_credentials with Basic client_id:client_secret, as Zoom documents.

    A failure the endpoint may not repeat (5xx, 429, network, timeout, a garbled 200) raises
    ``ZoomTokenEndpointUnavailable``, which the caller's retry policy retries like an API call; a
    refusal (other 4xx) raises ``ZoomCredentialsRejected``. Messages say what happened and carry
    no form of the secret, whatever the endpoint echoes.
    """
    url = credentials.token_url
    try:
        response = session.post(
            url,
            auth=(credentials.client_id, credentials.client_secret),
            data={"grant_type": "account_credentials", "account_id": credentials.account_id},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        problem, hint, permanent = network_problem(exc, timeout, setting='the extra "oauth_url"')
        error = ZoomTokenEndpointUnavailable(f"Could not reach Zoom's token endpoint {url}: {problem}. {hint}")
        if permanent:
            error.retryable = False  # a server without https, an untrusted certificate: the same next time
        raise error from None
    status = response.status_code
    if status != 200:
        if 400 <= status < 500 and status != 429:
            raise ZoomCredentialsRejected(_refusal_message(credentials, response))
        raise ZoomTokenEndpointUnavailable(
            f"Zoom's token endpoint {url} answered {_status_line(credentials, response)}",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    try:
        body = response.json()
        value = body["access_token"]
        expires_in = float(body.get("expires_in", 3600))
        if not isinstance(value, str) or not value:
            raise TypeError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ZoomTokenEndpointUnavailable(
            f"Zoom's token endpoint {url} answered HTTP 200 without an access token "
            f"({media_type(response, _secrets(credentials, response))}, {len(response.content)} bytes)"
        ) from None
    mask(value)
    margin = min(MAX_RENEWAL_MARGIN_S, expires_in / 10)
    return AccessToken(value=value, expires_at=time.time() + expires_in - margin)


# OAuth error codes that mean the credentials (or the account ID sent with them) are wrong.
_CREDENTIAL_ERRORS = {"invalid_client", "invalid_grant", "invalid_request", "unauthorized_client"}


def _secrets(credentials: S2SCredentials, response: requests.Response) -> list[str]:
    """The credentials' forms and whatever the request carried (``sent_secrets``)."""
    return [*credentials.secrets, *sent_secrets(response)]


def _oauth_error(credentials: S2SCredentials, response: requests.Response) -> tuple[str, str]:
    """The endpoint's ``error`` and ``reason``/``message``, redacted of every form of the secret, then cut."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        reason = body.get("reason") or body.get("message") or body.get("error_description") or ""
        error = body.get("error") or body.get("code") or ""
    else:
        reason, error = response.text, ""
    secrets = _secrets(credentials, response)
    return (redact_then_cut(error, secrets, QUOTED_TEXT_LIMIT), redact_then_cut(reason, secrets, QUOTED_TEXT_LIMIT))


def _status_line(credentials: S2SCredentials, response: requests.Response) -> str:
    error, reason = _oauth_error(credentials, response)
    shown_reason = redact_then_cut(response.reason or "", _secrets(credentials, response), QUOTED_TEXT_LIMIT)
    text = f"HTTP {response.status_code} {shown_reason}".rstrip()
    detail = " ".join(part for part in (error, reason) if part)
    return f"{text}: {detail}" if detail else text


def _refusal_message(credentials: S2SCredentials, response: requests.Response) -> str:
    error, _ = _oauth_error(credentials, response)
    message = (
        f"Zoom refused a token for client ID {credentials.client_id!r} and account {credentials.account_id!r} "
        f"at {credentials.token_url}: {_status_line(credentials, response)}"
    )
    if response.status_code in (400, 401) and error in _CREDENTIAL_ERRORS:
        message += ". Check the connection's Client ID, Client Secret and Account ID, and that the app is activated."
    return message


class ZoomBearerAuth(AuthBase):
    """requests auth that stamps the shared token on every request, fetching it when needed."""

    def __init__(self, credentials: S2SCredentials, session: requests.Session, timeout, store):
        self.credentials = credentials
        self.session = session
        self.timeout = timeout
        self.store = store  # a token_cache.ProcessTokenCache: shared by every hook of the process
        self.current: str | None = None  # the token last stamped on a request by this auth

    def token(self) -> str:
        value = self.store.get(self.credentials, lambda: request_token(self.credentials, self.session, self.timeout))
        if value != self.current:
            mask(value)  # adopted from the process cache or the shared file: masked here too
            self.current = value
        return value

    def secrets(self, *sent: requests.PreparedRequest | None) -> list[str]:
        """What must never appear in a message built from a reply: the credentials and the tokens sent."""
        tokens = [self.current, *(_bearer(prepared) for prepared in sent)]
        return [*self.credentials.secrets, *(t for t in tokens if t)]

    def invalidate(self, prepared: requests.PreparedRequest) -> None:
        token = _bearer(prepared)
        if token:
            self.store.invalidate(self.credentials, token)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request


def _bearer(prepared: requests.PreparedRequest | None) -> str | None:
    """The token a request carried in its ``Authorization: Bearer`` header."""
    header = prepared.headers.get("Authorization", "") if prepared is not None else ""
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    return header[len("Bearer ") :] if header.startswith("Bearer ") else None
