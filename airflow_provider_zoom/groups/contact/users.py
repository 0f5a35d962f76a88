"""Turning HR's email addresses into Zoom user IDs (``GET /v2/users/{email}``), cached for one task.

Contact-group members are user IDs, HR gives emails. Each address is looked up once per ``UserDirectory``
(one per task, through the hook's request path (a ``Requester``): pacing, token renewal, retries and redaction stay the
hook's). What a lookup can end in:

- ``active``: the user exists and can join a group; ``id`` is set.
- ``pending``: not in Zoom yet (404, code 1001), the invitation not yet accepted (user ``status``
  ``pending``), or an expired invitation (400, code 1120, the admin must invite again). Never fails the
  run: a later reconcile adds the person once the account is active.
- ``rejected``: not an email address, a deactivated user (``inactive``), or another refusal; ``reason``
  says why.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from airflow_provider_zoom._transport.retries import json_object
from airflow_provider_zoom._values import as_int
from airflow_provider_zoom.emails import is_email
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomReplyError

if TYPE_CHECKING:
    from airflow_provider_zoom._transport.requester import Requester

__all__ = ["USER_DOES_NOT_EXIST", "UserDirectory", "ZoomUser"]

USER_DOES_NOT_EXIST = 1001  # 404 "User does not exist: {userId}."
INVITATION_EXPIRED = 1120  # 400 "A valid invitation to join the Zoom account was not found for this user"

ACTIVE, PENDING, REJECTED = "active", "pending", "rejected"

@dataclass(frozen=True)
class ZoomUser:
    email: str  # as asked (lower-cased)
    state: str  # active | pending | rejected
    id: str | None = None
    reason: str | None = None
    #: no Zoom user of this address at all (404, code 1001): an invitation (``groups.users.invite``) would create it
    missing: bool = False


class UserDirectory:
    """``resolve(email)`` with a per-object cache; safe to share between the threads of one task."""

    def __init__(self, requester: Requester):
        self.requester = requester
        self._cache: dict[str, ZoomUser] = {}
        self._lock = threading.Lock()

    def resolve(self, email: str) -> ZoomUser:
        key = email.strip().lower()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        user = self._look_up(key)
        with self._lock:
            return self._cache.setdefault(key, user)

    def resolve_all(self, emails: list[str]) -> dict[str, ZoomUser]:
        return {email.strip().lower(): self.resolve(email) for email in emails}

    def _look_up(self, email: str) -> ZoomUser:
        if not is_email(email):  # the rule the HR extract applies too
            return ZoomUser(email, REJECTED, reason="not a valid email address")
        try:
            body = self.requester.request("GET", f"users/{quote(email, safe='@')}", parse=_user_reply)
        except ZoomAPIError as exc:
            if isinstance(exc, ZoomReplyError):
                raise
            code = as_int(exc.code)
            if exc.status_code == 404 and code in (USER_DOES_NOT_EXIST, None):
                return ZoomUser(email, PENDING, reason="not a Zoom user of the account yet", missing=True)
            if exc.status_code == 400 and code == INVITATION_EXPIRED:
                self.requester.log.warning(
                    "Zoom user %s: the invitation to the account expired (Zoom code 1120); counted as pending "
                    "until an admin invites them again", email,
                )
                return ZoomUser(email, PENDING, reason="invitation expired")
            if exc.permanent:
                return ZoomUser(email, REJECTED, reason=exc.zoom_message or f"HTTP {exc.status_code}")
            raise
        status = str(body.get("status") or "active").lower()
        if status == PENDING:
            return ZoomUser(email, PENDING, _str(body.get("id")), reason="invitation not accepted yet")
        if status == "inactive":
            return ZoomUser(email, REJECTED, _str(body.get("id")), reason="the Zoom user is deactivated")
        return ZoomUser(email, ACTIVE, _str(body.get("id")))


def _user_reply(method: str, path: str, response: requests.Response) -> dict[str, Any]:
    """A user object; an active user without an ``id`` is a garbled reply (retried by the hook)."""
    body = json_object(method, path, response)
    status = str(body.get("status") or "active").lower()
    if status != PENDING and not _str(body.get("id")):
        raise ZoomReplyError(method, path, response.status_code, "a user object without an id")
    return body


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None

