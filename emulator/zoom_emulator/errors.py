"""Zoom's failure shapes, raised by the backend and rendered unchanged by the HTTP layer.

Keeping them as exceptions lets every rule live in the backend while ``app.py`` only has to know how to
turn "status + headers + body" into bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class EmulatorError(Exception):
    """Anything answered with an error status: the HTTP layer sends ``status``, ``headers`` and ``body()``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        raise NotImplementedError


class EmulatedZoomError(EmulatorError):
    """An API error as Zoom reports it: ``{"code", "message"}`` plus ``errors`` for validation failures."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(status, message, headers)
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


class OAuthError(EmulatorError):
    """The token endpoint answers in OAuth's ``{"reason", "error"}`` shape, not the API's."""

    def __init__(self, status: int, error: str, reason: str):
        super().__init__(status, reason)
        self.error = error
        self.reason = reason

    def body(self) -> dict[str, Any]:
        return {"reason": self.reason, "error": self.error}


class DropConnection(Exception):
    """The client must see its connection closed without any response (an injected network fault)."""


def validation_error(problems: Iterable[tuple[str, str]]) -> EmulatedZoomError:
    """Zoom's 400/300; each entry's message starts with the field name so a log line alone is enough."""
    errors = [{"field": field, "message": f"{field}: {detail}"} for field, detail in problems]
    return EmulatedZoomError(400, 300, "Validation Failed.", errors=errors)


def invalid_body() -> EmulatedZoomError:
    # Zoom's wording for a body that is not a JSON object.
    return EmulatedZoomError(400, 300, "Request Body should be a valid JSON object.")


def group_not_found(group_id: str) -> EmulatedZoomError:
    return EmulatedZoomError(404, 4130, f"Group does not exist: {group_id}.")


def contact_group_not_found(group_id: str) -> EmulatedZoomError:
    """Contact Groups answer an unknown group with HTTP 400 and code 300, not 404/4130 (zoom-contact-groups.md 3.2)."""
    return EmulatedZoomError(400, 300, f"A group with this groupId: {group_id} does not exist.")


def im_groups_gone() -> EmulatedZoomError:
    """Every ``/im/groups`` operation on a current account (zoom-contact-groups.md 9.2)."""
    return EmulatedZoomError(410, 4137, "The IM Group APIs are no longer available.")


def user_not_found(user_id: str) -> EmulatedZoomError:
    """Get a user's documented 404 (zoom-contact-groups.md 5.1)."""
    return EmulatedZoomError(404, 1001, f"User does not exist: {user_id}.")
