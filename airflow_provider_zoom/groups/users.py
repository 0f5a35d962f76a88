"""Zoom users of hires, whatever the group API: look them up by e-mail, and invite the ones Zoom does not know.

``ZoomUsers`` is built from a ``Requester`` (the hook) like a group backend. Lookups are
``groups.contact.users.UserDirectory``'s (``GET /v2/users/{email}``, cached per object); an invitation is
``POST /v2/users`` with ``action: create`` (zoom-users.md 1), after which Zoom e-mails the person and the user is
``pending`` until they accept. What an invitation can end in (``Invitation.result``):

- ``invited``: Zoom created the pending user (201);
- ``exists``: already a user of the account (409 / 1005), active or pending: nothing to do;
- ``foreign``: the address holds a user of another Zoom account (400 / 1009): reported, not a failure;
- ``refused``: another refusal naming this person (a blocked domain, 1107 / 1116, a validation 300): reported;
- ``no_seats`` (400 / 2034, 3412) raises ``ZoomNoSeatsError``: no later invitation can succeed either.

A daily create cap (429, ``Daily-limit``) raises the hook's ``ZoomRateLimitError``, as every daily limit does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_zoom._values import as_int
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomNoSeatsError, ZoomReplyError
from airflow_provider_zoom.groups.contact.users import UserDirectory, ZoomUser

if TYPE_CHECKING:
    from airflow_provider_zoom._transport.requester import Requester

__all__ = ["INVITE_USER_TYPES", "Invitation", "ZoomUsers"]

#: ``user_info.type`` of ``POST /v2/users``: 1 Basic, 2 Licensed, 4 Unassigned (zoom-users.md 1)
INVITE_USER_TYPES = {1: "Basic", 2: "Licensed", 4: "Unassigned"}
EMAIL_ALREADY_USED = 1005
OTHER_ACCOUNT = 1009
NO_SEATS = (2034, 3412)


@dataclass(frozen=True)
class Invitation:
    email: str
    result: str  # invited | exists | foreign | refused
    reason: str | None = None


class ZoomUsers:
    """Users by e-mail (``resolve``) and invitations (``invite``) over a ``Requester``; one object per task."""

    def __init__(self, requester: Requester):
        self.requester = requester
        self.log = requester.log
        self.directory = UserDirectory(requester)

    def resolve(self, email: str) -> ZoomUser:
        """``active`` (with ``id``), ``pending`` (``missing`` when Zoom has no user at all) or ``rejected``."""
        return self.directory.resolve(email)

    def invite(self, email: str, *, user_type: int = 1, first_name: str = "", last_name: str = "") -> Invitation:
        """Send Zoom's invitation to ``email`` (``POST /v2/users``, ``action: create``)."""
        if user_type not in INVITE_USER_TYPES:
            raise ValueError(f"invite_user_type must be one of {sorted(INVITE_USER_TYPES)} "
                             f"({', '.join(f'{k} {v}' for k, v in INVITE_USER_TYPES.items())}), not {user_type!r}")
        info: dict[str, Any] = {"email": email, "type": user_type}
        info.update({k: v for k, v in (("first_name", first_name), ("last_name", last_name)) if v})
        try:
            self.requester.request("POST", "users", json={"action": "create", "user_info": info})
        except ZoomAPIError as exc:
            if isinstance(exc, ZoomReplyError):
                raise
            code = as_int(exc.code)
            if exc.status_code == 409 and code in (EMAIL_ALREADY_USED, None):
                return Invitation(email, "exists", "already a user of the account")
            if exc.status_code == 400 and code in NO_SEATS:
                raise ZoomNoSeatsError(email, exc.zoom_message) from None
            if exc.status_code == 400 and code == OTHER_ACCOUNT:
                return Invitation(email, "foreign", exc.zoom_message or "a user of another Zoom account")
            if exc.status_code == 400 and not getattr(exc, "scope", None):
                return Invitation(email, "refused", exc.zoom_message or f"HTTP {exc.status_code}")
            raise
        return Invitation(email, "invited")
