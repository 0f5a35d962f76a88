"""Which Zoom replies are worth another attempt, and how long to wait before it.

Per-second 429s, 5xx replies and network failures pass; a daily-limit 429 whose reset is hours
away fails at once instead of sleeping in a worker slot. Zoom's ``Retry-After`` comes as seconds,
an HTTP date or (daily limits) an ISO-8601 timestamp; a per-second 429 carries none and waits for
the next wall-clock second, Zoom's window. Other failures back off exponentially; every wait has
jitter so that parallel tasks do not retry in lockstep.
"""

from __future__ import annotations

import email.utils
import http.client
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, TypeVar

import requests
import tenacity
from urllib3.exceptions import NewConnectionError

from airflow_provider_zoom._transport.masking import redact
from airflow_provider_zoom.exceptions import (
    ZoomAPIError,
    ZoomAuthError,
    ZoomError,
    ZoomRateLimitError,
    ZoomReplyError,
    ZoomTransientError,
)

UTC = timezone.utc  # datetime.UTC is Python 3.11+; Airflow 3 supports 3.10

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10
    max_retry_seconds: float = 300.0  # bound on the time one call may spend retrying
    backoff_base_s: float = 0.25
    backoff_max_s: float = 20.0
    #: Sleep through a daily limit whose reset falls within ``max_retry_seconds``; ``False`` raises
    #: ``ZoomRateLimitError`` at once (a deferrable wave frees its slots instead of sleeping in them).
    wait_daily_limits: bool = True

    def with_overrides(self, **overrides: Any) -> RetryPolicy:
        casts = {"max_attempts": int, "max_retry_seconds": float, "backoff_base_s": float, "backoff_max_s": float}
        return replace(self, **{k: casts[k](v) for k, v in overrides.items()})


def zoom_error_fields(response: requests.Response) -> tuple[Any, str | None]:
    """Zoom's ``{"code": ..., "message": ...}`` error body, or ``(None, None)`` when absent."""
    body = _error_body(response)
    return body.get("code"), body.get("message")


def _error_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:  # JSONDecodeError, and a body that is not text at all
        return {}
    return body if isinstance(body, dict) else {}


def json_object(method: str, path: str, response: requests.Response) -> dict[str, Any]:
    """The reply's body as the JSON object Zoom documents, or ``ZoomReplyError`` naming method, path, status.

    The one place a successful reply is parsed: an HTML page, a truncated body or a JSON array
    where an object belongs never surfaces as a ``JSONDecodeError`` or ``AttributeError``.
    """
    if not response.content:
        raise ZoomReplyError(method, path, response.status_code, "an empty body where Zoom sends a JSON object")
    try:
        body = response.json()
    except ValueError:
        kind = media_type(response)
        raise ZoomReplyError(
            method, path, response.status_code,
            f"a body that is not JSON ({kind}, {len(response.content)} bytes; truncated or not from Zoom's API)",
        ) from None
    if not isinstance(body, dict):
        raise ZoomReplyError(
            method, path, response.status_code, f"a JSON {_json_kind(body)} where Zoom sends an object"
        )
    return body


def created_object(method: str, path: str, response: requests.Response, *, id_key: str) -> dict[str, Any]:
    """A create's 201: a JSON object naming the new group's id under ``id_key`` (else ``ZoomReplyError``: the
    outcome is unknown, and an outcome without an id is of no use)."""
    body = json_object(method, path, response)
    group_id = body.get(id_key)
    if not isinstance(group_id, str) or not group_id.strip():
        raise ZoomReplyError(method, path, response.status_code, f"no {id_key} in its body")
    return body


def page_of(method: str, path: str, response: requests.Response, *, keys: tuple[str, ...]) -> dict[str, Any]:
    """One page of a listing: its items under the first of ``keys`` present (a list of objects), as ``_items``."""
    body = json_object(method, path, response)
    key = next((k for k in keys if k in body), keys[0])
    items = body.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ZoomReplyError(method, path, response.status_code, f'a "{key}" field that is not a list of objects')
    body["_items"] = items
    return body


_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,40}/[A-Za-z0-9!#$&^_.+-]{1,60}$")


def media_type(response: requests.Response) -> str:
    """The reply's media type for a message (``text/html``); anything odd is not quoted, as it comes from the server."""
    value = response.headers.get("Content-Type")
    if not value:
        return "no Content-Type"
    kind = value.split(";")[0].strip()
    return kind.lower() if _MEDIA_TYPE.match(kind) else "an unusual Content-Type"


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait for a Retry-After given as seconds, an HTTP date or an ISO-8601 timestamp."""
    if not value:
        return None
    now = time.time() if now is None else now
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(value)  # Python 3.11 reads a trailing Z
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _server_time(response: requests.Response) -> float | None:
    """The reply's ``Date`` header as epoch seconds (the server's clock), or ``None``."""
    try:
        when = email.utils.parsedate_to_datetime(response.headers.get("Date") or "")
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=when.tzinfo or UTC).timestamp()


def raise_for_reply(method: str, path: str, response: requests.Response, secrets: Iterable[str | None] = ()) -> None:
    """Raise the error a non-2xx reply means; every text taken from the reply has ``secrets`` redacted."""
    secrets = list(secrets)
    body = _error_body(response)
    code = redact(body.get("code"), secrets)
    message = redact(body.get("message"), secrets)
    if message is not None and not isinstance(message, str):
        message = redact(str(message), secrets)
    errors = _field_errors(body.get("errors"), secrets)
    status = response.status_code
    if status == 429:
        retry_after_header = response.headers.get("Retry-After")
        if response.headers.get("X-RateLimit-Type", "").lower().startswith("daily"):
            raise _DailyLimitReply(
                method,
                path,
                category=redact(response.headers.get("X-RateLimit-Category"), secrets),
                reset_at=redact(retry_after_header, secrets),
                message=message or "daily rate limit reached",
                # Zoom's reset is an instant on Zoom's clock: measured from its Date header, not from ours.
                retry_after=parse_retry_after(retry_after_header, _server_time(response)),
            )
        # Zoom sends no Retry-After with a per-second 429: its window ends at the next wall-clock second.
        retry_after = parse_retry_after(retry_after_header)
        if retry_after is None:
            retry_after = 1.0 - (time.time() % 1.0)
        raise ZoomTransientError(method, path, status, code, message, retry_after, errors)
    if status == 401:
        # Still rejected after a renewal: under Zoom's "latest token only" policy another process may
        # have replaced the token in between. Another attempt (with another renewal) settles it.
        raise ZoomTransientError(method, path, status, code, message, errors=errors)
    if status >= 500:
        raise ZoomTransientError(
            method, path, status, code, message or redact(response.reason, secrets),
            parse_retry_after(response.headers.get("Retry-After")), errors,
        )
    raise ZoomAPIError(method, path, status, code, message or redact(response.reason, secrets), errors)


def _field_errors(errors: Any, secrets: list[str | None]) -> list[dict[str, str]]:
    """Zoom's ``errors`` list of a validation failure (``[{"field", "message"}]``), redacted."""
    if not isinstance(errors, list):
        return []
    return [
        {"field": redact(str(e.get("field", "")), secrets), "message": redact(str(e.get("message", "")), secrets)}
        for e in errors
        if isinstance(e, dict)
    ]


class _DailyLimitReply(ZoomRateLimitError):
    """A daily-limit 429 still undecided: retried only if its reset falls inside the retry bound."""

    retryable = True


def outcome_unknown(exc: BaseException) -> bool:
    """True when Zoom may have carried out the request although the client saw a failure."""
    if isinstance(exc, ZoomAuthError):
        return False  # no token, so the API request was never sent
    if isinstance(exc, ZoomReplyError):
        return 200 <= exc.status_code < 300  # carried out; only its reply is unreadable
    if isinstance(exc, ZoomTransientError):
        return exc.status_code >= 500
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        return not isinstance(inner, NewConnectionError)
    return isinstance(exc, (requests.Timeout, requests.exceptions.ChunkedEncodingError))


def _retryable(exc: BaseException) -> bool:
    """The provider's errors say so themselves (``ZoomError.retryable``); network failures always are."""
    if isinstance(exc, ZoomError):
        return exc.retryable
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError))


def call_with_retries(
    policy: RetryPolicy,
    fn: Callable[[], T],
    *,
    method: str,
    path: str,
    attempts: list | None = None,
    log=None,
    timeout: tuple[float, float] | None = None,
    retry_unknown_outcome: bool = True,
) -> T:
    """Run ``fn`` under ``policy``; ``attempts`` receives every exception a failed attempt raised.

    ``retry_unknown_outcome=False`` stops at a failure after which Zoom may have carried the request out
    (``outcome_unknown``): for a create that Zoom does not deduplicate, the caller looks before re-sending.
    """
    backoff = tenacity.wait_random_exponential(multiplier=policy.backoff_base_s, max=policy.backoff_max_s)
    started = time.monotonic()

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            # Jitter on top of Zoom's figure, growing with attempts, so parallel callers spread out.
            return retry_after + min(1.0, backoff(state))
        return backoff(state)

    def attempt() -> T:
        try:
            return fn()
        except Exception as exc:
            if attempts is not None:
                attempts.append(exc)
            if isinstance(exc, _DailyLimitReply):
                remaining = policy.max_retry_seconds - (time.monotonic() - started)
                if exc.retry_after is None or exc.retry_after > remaining or not policy.wait_daily_limits:
                    raise ZoomRateLimitError(
                        exc.method, exc.path, exc.category, exc.reset_at, exc.zoom_message or "", exc.retry_after
                    ) from None
            raise

    def before_sleep(state: tenacity.RetryCallState) -> None:
        if log is not None:
            exc = state.outcome.exception() if state.outcome is not None else None
            log.warning(
                "Zoom %s /%s: %s (attempt %d of %d); retrying in %.2f s",
                method, path.lstrip("/"), _describe(exc, timeout), state.attempt_number, policy.max_attempts,
                state.next_action.sleep if state.next_action else 0.0,
            )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(
            lambda exc: _retryable(exc) and (retry_unknown_outcome or not outcome_unknown(exc))
        ),
        stop=tenacity.stop_after_attempt(policy.max_attempts) | tenacity.stop_before_delay(policy.max_retry_seconds),
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(attempt)


def _describe(exc: BaseException | None, timeout: tuple[float, float] | None = None) -> str:
    if isinstance(exc, ZoomReplyError):
        return str(exc).split(" answered ", 1)[-1]
    if isinstance(exc, ZoomAPIError):
        return str(exc).split(" failed with ", 1)[-1]
    if isinstance(exc, ZoomError):
        return str(exc)
    if exc is None:
        return "no result"
    return describe_network_error(exc, timeout)


def describe_network_error(exc: BaseException, timeout: tuple[float, float] | None = None) -> str:
    """What happened, in words: ``ConnectTimeout: timed out after 10 s connecting``, ``connection refused``...

    Built from the exception types of the chain, never from their text (which may hold a proxy URL).
    """
    name = type(exc).__name__
    connect, read = timeout if timeout else (None, None)
    chain = list(_causes(exc))
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"{name}: timed out after {_seconds(connect)} connecting"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"{name}: no reply, timed out after {_seconds(read)}"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"{name}: the TLS handshake failed (certificate or protocol)"
    where = "the proxy" if isinstance(exc, requests.exceptions.ProxyError) else "the server"
    if any(isinstance(c, ConnectionRefusedError) for c in chain):
        return f"{name}: connection refused by {where}"
    if any(isinstance(c, socket.gaierror) for c in chain):
        return f"{name}: the host name of {where} could not be resolved"
    if any(isinstance(c, ConnectionResetError) for c in chain):
        return f"{name}: connection reset by {where}"
    if any(isinstance(c, http.client.RemoteDisconnected) for c in chain):
        return f"{name}: {where} closed the connection without a reply"
    if any(isinstance(c, TimeoutError) for c in chain):
        return f"{name}: timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"{name}: the reply was cut off"
    return name


def _seconds(value: float | None) -> str:
    return f"{value:g} s" if value is not None else "the configured time"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (urllib3 keeps the cause in ``args`` and ``reason``) and its causes."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
        stack.extend(c for c in (current.__cause__, current.__context__) if c is not None)
