"""Errors the provider raises, each carrying what a user needs to act (Zoom's code and message)."""

from __future__ import annotations


class ZoomError(Exception):
    """Base class of every error raised by this provider."""


class ZoomAuthError(ZoomError):
    """No token: the endpoint refused the credentials, or could not be reached (never carries the secret)."""

    def __init__(self, message: str, *, retryable: bool = False):
        self.retryable = retryable
        super().__init__(message)


class ZoomAPIError(ZoomError):
    """Zoom answered a request with an error status; ``code``/``message`` are Zoom's own."""

    def __init__(
        self,
        method: str,
        path: str,
        status_code: int,
        code: int | str | None = None,
        message: str | None = None,
    ):
        self.method = method
        self.path = path
        self.status_code = status_code
        self.code = code
        self.zoom_message = message
        detail = f"HTTP {status_code}"
        if code is not None:
            detail += f", Zoom code {code}"
        if message:
            detail += f": {message}"
        super().__init__(f"Zoom API {method} {path} failed with {detail}")


class ZoomGroupExistsError(ZoomError):
    """A group of that name exists and the caller asked for ``on_conflict="fail"``."""

    def __init__(self, name: str, group_id: str | None):
        self.name = name
        self.group_id = group_id
        super().__init__(f"IM group {name!r} already exists (id {group_id}) and on_conflict='fail'")


class ZoomRateLimitError(ZoomAPIError):
    """Zoom's daily limit is spent: retrying inside a worker slot would only burn hours."""

    def __init__(self, method: str, path: str, category: str | None, reset_at: str | None, message: str):
        self.category = category
        self.reset_at = reset_at
        super().__init__(method, path, 429, 429, message)
        text = (
            f"Zoom API {method} {path}: daily rate limit of the {category or 'unknown'} category is used up; "
            f"it resets at {reset_at or 'an unknown time'}. Zoom said: {message}"
        )
        self.args = (text,)


class ZoomTransientError(ZoomAPIError):
    """A reply that a later attempt may not get (per-second 429, 5xx): the retry policy's signal."""

    def __init__(self, method: str, path: str, status_code: int, code=None, message=None, retry_after=None):
        super().__init__(method, path, status_code, code, message)
        self.retry_after = retry_after
