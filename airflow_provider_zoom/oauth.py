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

from airflow_provider_zoom.exceptions import ZoomAuthError
from airflow_provider_zoom.secrets import mask

# Renew this long before Zoom's expiry so that a token never dies in the middle of a call.
MAX_RENEWAL_MARGIN_S = 300.0


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

    @functools.cached_property  # computed once: it is read on every request
    def cache_key(self) -> tuple[str, str, str, str]:
        """Identifies the credentials; a changed secret gets its own tokens (a fingerprint, not the secret)."""
        fingerprint = hashlib.sha256(self.client_secret.encode()).hexdigest()[:16]
        return (self.token_url, self.client_id, self.account_id, fingerprint)


def request_token(
    credentials: S2SCredentials, session: requests.Session, timeout: tuple[float, float]
) -> AccessToken:
    """POST grant_type=account_credentials with Basic client_id:client_secret, as Zoom documents."""
    try:
        response = session.post(
            credentials.token_url,
            auth=(credentials.client_id, credentials.client_secret),
            data={"grant_type": "account_credentials", "account_id": credentials.account_id},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise ZoomAuthError(
            f"Could not reach Zoom's token endpoint {credentials.token_url}: {type(exc).__name__}", retryable=True
        ) from None
    if response.status_code != 200:
        retryable = response.status_code == 429 or response.status_code >= 500
        raise ZoomAuthError(_token_error_message(credentials, response), retryable=retryable)
    try:
        body = response.json()
        value = body["access_token"]
        expires_in = float(body.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError):
        raise ZoomAuthError(
            f"Zoom's token endpoint {credentials.token_url} answered HTTP 200 without an access token"
        ) from None
    mask(value)
    margin = min(MAX_RENEWAL_MARGIN_S, expires_in / 10)
    return AccessToken(value=value, expires_at=time.time() + expires_in - margin)


def _token_error_message(credentials: S2SCredentials, response: requests.Response) -> str:
    try:
        body = response.json()
        reason = body.get("reason") or body.get("message") or ""
        error = body.get("error") or body.get("code") or ""
    except ValueError:
        reason, error = response.text[:200], ""
    reason = str(reason).replace(credentials.client_secret, "***") if credentials.client_secret else reason
    return (
        f"Zoom refused a token for client ID {credentials.client_id!r} and account {credentials.account_id!r} "
        f"at {credentials.token_url}: HTTP {response.status_code} {error} {reason}".rstrip()
        + ". Check the connection's Client ID, Client Secret and Account ID, and that the app is activated."
    )


class ZoomBearerAuth(AuthBase):
    """requests auth that stamps the shared token on every request, fetching it when needed."""

    def __init__(self, credentials: S2SCredentials, session: requests.Session, timeout, store):
        self.credentials = credentials
        self.session = session
        self.timeout = timeout
        self.store = store  # a token_cache.ProcessTokenCache: shared by every hook of the process

    def token(self) -> str:
        return self.store.get(self.credentials, lambda: request_token(self.credentials, self.session, self.timeout))

    def invalidate(self, prepared: requests.PreparedRequest) -> None:
        header = prepared.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            self.store.invalidate(self.credentials, header[len("Bearer ") :])

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request
