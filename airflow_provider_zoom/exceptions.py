"""Errors the provider raises, each carrying what a user needs to act (Zoom's code and message).

What can be done about an error is decided here, on its type, and nowhere else:

- ``retryable``: another attempt within the same call may succeed (a per-second 429, a 5xx, a garbled
  reply, an unreachable token endpoint); the hook's retry policy retries these.
- ``permanent``: the same input fails again (a wrong setting or argument, refused credentials, a 4xx
  other than 429, bad data); a task fails at once instead of spending Airflow retries
  (``fail_fast_on_permanent_errors``).

Pure standard library: the onboarding modules, imported when DAG files are parsed, raise these too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


class ZoomError(Exception):
    """Base class of every error raised by this provider."""

    #: Another attempt within the same call may succeed: the hook's retry policy retries it.
    retryable: bool = False
    #: The same input fails again: a task fails at once rather than spend Airflow retries.
    permanent: bool = False


class ZoomConfigError(ZoomError, ValueError):
    """The connection or a hook argument holds a value the provider cannot use; names the field."""

    permanent = True


class ZoomInvalidInput(ZoomError, ValueError):
    """An operator or hook argument (e.g. ``emails``) cannot be read; names the field."""

    permanent = True


class InvalidGroupSpec(ZoomError, ValueError):
    """A group field has a value Zoom would reject or that is ambiguous; names the field and the value."""

    permanent = True

    def __init__(self, field: str, value: Any, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"Invalid group field {field!r} = {value!r}: {reason}")


class HRExtractError(ZoomError, ValueError):
    """The HR extract as a whole cannot be trusted (unreadable, no header, broken quoting): nothing of it is used."""

    permanent = True

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"HR extract {path}: {problem}")

    def __reduce__(self):
        # Keep the exception picklable (task results and logs may cross process boundaries).
        return type(self), (self.path, self.problem)


class ZoomAuthError(ZoomError):
    """No token: the endpoint refused the credentials, or could not be reached (never carries the secret)."""

    def __init__(self, message: str, *, retryable: bool | None = None):
        if retryable is not None:
            self.retryable = retryable
        super().__init__(message)

    @property
    def permanent(self) -> bool:  # type: ignore[override]
        return not self.retryable


class ZoomCredentialsRejected(ZoomAuthError):
    """The token endpoint refused the request (4xx other than 429): the same credentials fail again."""


class ZoomTokenEndpointUnavailable(ZoomAuthError):
    """The token endpoint failed (5xx, 429, network, timeout, a garbled reply): retried like an API call."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ZoomAPIError(ZoomError):
    """Zoom answered a request with an error status; ``code``/``message``/``errors`` are Zoom's own."""

    def __init__(
        self,
        method: str,
        path: str,
        status_code: int,
        code: int | str | None = None,
        message: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ):
        self.method = method
        self.path = path
        self.status_code = status_code
        self.code = code
        self.zoom_message = message
        self.errors = errors or []
        detail = f"HTTP {status_code}"
        if code is not None:
            detail += f", Zoom code {code}"
        if message:
            detail += f": {message}"
        fields = "; ".join(_field_error(e) for e in self.errors[:10])
        if fields:
            detail += f" ({fields}{'; ...' if len(self.errors) > 10 else ''})"
        super().__init__(f"Zoom API {method} {path} failed with {detail}")

    @property
    def permanent(self) -> bool:  # type: ignore[override]
        """A 4xx other than 429 (a 401 that survived every renewal too): Zoom would refuse it again."""
        return 400 <= self.status_code < 500 and self.status_code != 429


def _field_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    field, message = str(error.get("field") or ""), str(error.get("message") or "")
    if field and message.startswith(field):
        return message
    return f"{field}: {message}" if field else message


#: Zoom's codes for a token without a scope the call needs ("Invalid access token, does not contain scopes: ...").
MISSING_SCOPE_CODES = (4700, 4711)


class ZoomScopeError(ZoomAPIError):
    """Zoom refused a call because the app lacks a scope (codes 4700 / 4711): names the scope and the feature.

    Permanent whatever the HTTP status: the same token (and every renewed one) lacks it until an admin adds the
    scope to the Server-to-Server app and activates it again.
    """

    permanent = True

    def __init__(self, method: str, path: str, status_code: int, code: int | str | None, message: str | None,
                 *, scope: str, feature: str):
        super().__init__(method, path, status_code, code, message)
        self.scope = scope
        self.feature = feature
        self.args = (
            f"{self.args[0]}. The Zoom app lacks the scope {scope}, which {feature} needs: add it to the "
            "Server-to-Server OAuth app in the Zoom App Marketplace (docs/connection.md lists the scopes per feature)",
        )

    def __reduce__(self):
        return _rebuild_scope_error, (self.method, self.path, self.status_code, self.code, self.zoom_message,
                                      self.scope, self.feature)


def _rebuild_scope_error(method, path, status_code, code, message, scope, feature) -> ZoomScopeError:
    return ZoomScopeError(method, path, status_code, code, message, scope=scope, feature=feature)


class ZoomReplyError(ZoomAPIError):
    """Zoom's reply is not what Zoom documents (not JSON, the wrong shape, a field missing).

    Retried within the call (a proxy page or a truncated body is usually a one-off) and not permanent.
    """

    retryable = True
    permanent = False

    def __init__(self, method: str, path: str, status_code: int, problem: str):
        super().__init__(method, path, status_code)
        self.problem = problem
        self.args = (f"Zoom API {method} {path} answered HTTP {status_code} with {problem}",)


class ZoomIMGroupsGoneError(ZoomAPIError):
    """Zoom answered 410, code 4137: this account has no IM Groups API, and the connection insists on it."""

    permanent = True

    def __init__(self, method: str, path: str, message: str | None, conn_id: str):
        super().__init__(method, path, 410, 4137, message)
        self.args = (
            f"{self.args[0]}. Zoom has retired the IM Groups API for this account; its successor is Contact "
            f'Groups. Set the extra "group_api" of the Zoom connection {conn_id!r} to "contact_groups" (or '
            '"auto", which switches on this answer by itself).',
        )


class ZoomGroupExistsError(ZoomError):
    """A group of that name exists and the caller asked for ``on_conflict="fail"``."""

    permanent = True

    def __init__(self, name: str, group_id: str | None):
        self.name = name
        self.group_id = group_id
        super().__init__(f"Group {name!r} already exists (id {group_id}) and on_conflict='fail'")


class ContactGroupsNotConverged(ZoomError):
    """Contact groups of one name kept changing under this task for many listings (another task is creating or
    merging them): retryable, a new run settles them."""

    retryable = True

    def __init__(self, name: str, group_ids: list[str]):
        self.name = name
        self.group_ids = group_ids
        super().__init__(
            f"Contact groups named {name!r} did not settle to one group ({len(group_ids)} still listed: "
            f"{', '.join(group_ids[:5])}); another task is probably creating or merging them - run again"
        )


class ZoomRemovalLimitError(ZoomError):
    """Exact membership would remove more of a group than ``max_removal_share`` allows, or empty it.

    Raised before anything is removed: a truncated HR extract looks exactly like a mass withdrawal, and
    a wrong removal costs people their onboarding group.
    """

    permanent = True

    def __init__(self, group: str, removing: list[str], members: int, max_share: float, baseline: int | None = None):
        self.group = group
        self.removing = list(removing)
        self.members = members
        self.max_share = max_share
        self.baseline = baseline
        shown = ", ".join(self.removing[:10]) + (", ..." if len(self.removing) > 10 else "")
        hint = ("A truncated or partial HR extract looks like this: check the extract, or raise max_removal_share if "
                f"these removals are intended. Would remove: {shown}")
        if baseline is not None:  # the guard across runs: what the group would keep of the most it has had
            kept = members - len(removing)
            super().__init__(
                f"Group {group!r}: exact membership would leave it {kept} of the {baseline} members it has had "
                f"(its baseline, kept across runs): {baseline - kept} gone ({(baseline - kept) / baseline:.0%}), more "
                f"than the Param max_removal_share={max_share:g} allows; nothing was removed. A series of truncated "
                f"extracts looks like this. {hint}"
            )
            return
        share = len(removing) / members if members else 1.0
        if len(removing) >= members:
            why = "would leave it empty (a group is never emptied)"
        else:
            why = f"more than the Param max_removal_share={max_share:g} allows"
        super().__init__(
            f"Group {group!r}: exact membership would remove {len(removing)} of its {members} members "
            f"({share:.0%}), {why}; nothing was removed. {hint}"
        )

    def __reduce__(self):
        return type(self), (self.group, self.removing, self.members, self.max_share, self.baseline)


class ZoomRemovalInterrupted(ZoomError):
    """Exact membership removed some people from a group, then a Zoom call failed: names who is already gone.

    ``removed`` are the people Zoom confirmed removed before ``cause``; the error's text names them, so that the
    task's log and its error say who left the group even though the task failed. As permanent (or not) as its
    cause: a retry re-plans the group and removes only who is still there.
    """

    def __init__(self, group: str, removed: list[str], cause: BaseException):
        self.group = group
        self.removed = list(removed)
        self.cause = cause
        self.permanent = bool(getattr(cause, "permanent", False))
        super().__init__(
            f"Group {group!r}: removed {len(self.removed)} people before a Zoom call failed: "
            f"{', '.join(self.removed) or 'nobody'}. Then: {describe_error(cause)}"
        )

    def __reduce__(self):
        return type(self), (self.group, self.removed, self.cause)


class ZoomNoSeatsError(ZoomError):
    """Zoom has no seat left for another user (400, code 2034 or 3412): no further invitation can succeed."""

    permanent = True

    def __init__(self, email: str, message: str | None = None):
        self.email = email
        self.message = message
        super().__init__(f"Zoom refused to invite {email}: the account has no seat (licence) left"
                         + (f" ({message})" if message else "") + "; invitations stop until seats are added")

    def __reduce__(self):
        return type(self), (self.email, self.message)


class ZoomRateLimitError(ZoomAPIError):
    """Zoom's daily limit is spent: retrying inside a worker slot would only burn hours.

    ``reset_at`` is Zoom's ``Retry-After`` as sent; ``retry_after`` the seconds from the reply to that reset,
    measured on Zoom's own clock (its ``Date`` header) when it sent one, so a skewed local clock does not matter.
    """

    def __init__(self, method: str, path: str, category: str | None, reset_at: str | None, message: str,
                 retry_after: float | None = None):
        self.category = category
        self.reset_at = reset_at
        self.retry_after = retry_after
        super().__init__(method, path, 429, 429, message)
        text = (
            f"Zoom API {method} {path}: daily rate limit of the {category or 'unknown'} category is used up; "
            f"it resets at {reset_at or 'an unknown time'}. Zoom said: {message}"
        )
        self.args = (text,)


class ZoomTransientError(ZoomAPIError):
    """A reply that a later attempt may not get (per-second 429, 5xx): the retry policy's signal."""

    retryable = True

    def __init__(self, method: str, path: str, status_code: int, code=None, message=None, retry_after=None,
                 errors=None):
        super().__init__(method, path, status_code, code, message, errors)
        self.retry_after = retry_after


def describe_error(exc: BaseException) -> str:
    """A one-line reason for a report: Zoom's own message, or the network failure's type."""
    if isinstance(exc, ZoomError | ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}".split(" (Caused by", 1)[0]


@contextlib.contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Turn permanent errors into ``AirflowFailException``, so that Airflow does not spend retries on them."""
    try:
        yield
    except ZoomError as exc:
        if not exc.permanent:
            raise
        from airflow_provider_zoom._compat import AirflowFailException

        raise AirflowFailException(str(exc)) from None


class ZoomConnectionError(ZoomError):
    """No reply at all: the connection failed, timed out or broke off (requests' and urllib3's errors, translated).

    Names the call, the host and what to check; never quotes the network error's own text, which may hold a
    proxy URL with its password. ``outcome_unknown`` is true when Zoom may have carried the request out (the
    request was sent and its reply lost). Retryable within a call like a 5xx; a TLS handshake that fails for
    want of https on the server is ``permanent`` (the same setting fails again).
    """

    retryable = True

    def __init__(self, method: str, path: str, host: str, problem: str, *, hint: str = "",
                 outcome_unknown: bool = False, permanent: bool = False):
        self.method = method
        self.path = path
        self.host = host
        self.problem = problem
        self.hint = hint
        self.outcome_unknown = outcome_unknown
        self.permanent = permanent
        where = "" if host in problem else f" to {host}"
        text = f"Zoom API {method} {path}{where}: {problem}"
        super().__init__(f"{text}. {hint}" if hint else text)

    def __reduce__(self):
        return _rebuild_connection_error, (
            self.method, self.path, self.host, self.problem, self.hint, self.outcome_unknown, self.permanent,
        )


def _rebuild_connection_error(method, path, host, problem, hint, outcome_unknown, permanent) -> ZoomConnectionError:
    return ZoomConnectionError(method, path, host, problem, hint=hint, outcome_unknown=outcome_unknown,
                               permanent=permanent)
