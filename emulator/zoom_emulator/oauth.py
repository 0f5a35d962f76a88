"""The account's Server-to-Server OAuth app: credentials, the ``account_credentials`` grant and live tokens."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any

from .errors import EmulatedZoomError, OAuthError

DEFAULT_CLIENT_ID = "demo-client-id"
DEFAULT_CLIENT_SECRET = "demo-client-secret"
DEFAULT_ACCOUNT_ID = "demo-account"
TOKEN_POLICIES = ("multiple", "latest-only")
ACCESS_TOKEN_TTL = 3600
SCOPES = (
    "imgroup:read:admin imgroup:write:admin contact_group:read:admin contact_group:write:admin"
    " user:read:admin user:write:admin"
)


class EmulatedOAuthApp:
    """Issues and checks bearer tokens; not thread-safe (the backend locks around it).

    ``policy`` is ``multiple`` (tokens live side by side until they expire) or ``latest-only`` (a new token
    revokes every older one, Zoom's behaviour for years). ``disabled`` refuses every grant as Zoom does for a
    deactivated app.
    """

    def __init__(self, *, client_id: str, client_secret: str, account_id: str, clock: Callable[[], float]):
        self.client_id = client_id
        self.client_secret = client_secret
        self.account_id = account_id
        self._clock = clock
        self.policy = "multiple"
        self.ttl = ACCESS_TOKEN_TTL
        self.disabled = False
        self.issued = 0
        self._tokens: dict[str, float] = {}  # access token -> expiry; invalidated tokens are removed

    def check_credentials(
        self, client_id: str | None, client_secret: str | None, grant_type: str | None, account_id: str | None
    ) -> None:
        """The grant's checks in the order Zoom makes them; raises :class:`OAuthError`."""
        valid_secret = client_secret is not None and hmac.compare_digest(
            client_secret.encode(), self.client_secret.encode()
        )
        if client_id != self.client_id or not valid_secret:
            raise OAuthError(401, "invalid_client", "Invalid client_id or client_secret")
        if self.disabled:
            raise OAuthError(400, "invalid_client", "The app has been disabled.")
        if grant_type != "account_credentials":
            raise OAuthError(400, "unsupported_grant_type", "unsupported grant type")
        if account_id != self.account_id:
            raise OAuthError(400, "invalid_request", "Invalid account_id")

    def issue(self, api_url: str) -> dict[str, Any]:
        """A new access token (after :meth:`check_credentials`), in Zoom's token response shape."""
        now = self._clock()
        if self.policy == "latest-only":
            self._tokens.clear()
        elif len(self._tokens) > 1024:
            self._tokens = {token: exp for token, exp in self._tokens.items() if exp > now}
        token = secrets.token_urlsafe(48)
        self._tokens[token] = now + self.ttl
        self.issued += 1
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.ttl,
            "scope": SCOPES,
            "api_url": api_url,
        }

    def check_bearer(self, authorization: str | None) -> None:
        """The ``Authorization`` header of an API request; Zoom's 401/124 for a missing, unknown or expired token."""
        scheme, _, token = (authorization or "").partition(" ")
        expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None:
            raise EmulatedZoomError(401, 124, "Invalid access token.")
        if expiry <= self._clock():
            raise EmulatedZoomError(401, 124, "Access token is expired.")

    def invalidate(self) -> int:
        count = len(self._tokens)
        self._tokens.clear()
        return count

    def active_tokens(self) -> int:
        now = self._clock()
        return sum(1 for expiry in self._tokens.values() if expiry > now)
