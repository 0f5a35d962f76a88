"""Which Zoom replies are worth another attempt, and how long to wait before it.

Per-second 429s, 5xx replies and network failures pass; a daily-limit 429 whose reset is hours
away fails at once instead of sleeping in a worker slot. Zoom's ``Retry-After`` comes as seconds,
an HTTP date or (daily limits) an ISO-8601 timestamp; a per-second 429 carries none and waits for
the next wall-clock second, Zoom's window. Other failures back off exponentially; every wait has
jitter so that parallel tasks do not retry in lockstep.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
import tenacity
from urllib3.exceptions import NewConnectionError

from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomRateLimitError, ZoomTransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10
    max_retry_seconds: float = 300.0  # bound on the time one call may spend retrying
    backoff_base_s: float = 0.25
    backoff_max_s: float = 20.0

    def with_overrides(self, **overrides: Any) -> RetryPolicy:
        casts = {"max_attempts": int, "max_retry_seconds": float, "backoff_base_s": float, "backoff_max_s": float}
        return replace(self, **{k: casts[k](v) for k, v in overrides.items()})


def zoom_error_fields(response: requests.Response) -> tuple[Any, str | None]:
    """Zoom's ``{"code": ..., "message": ...}`` error body, or ``(None, None)`` when absent."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    return body.get("code"), body.get("message")


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


def raise_for_reply(method: str, path: str, response: requests.Response) -> None:
    code, message = zoom_error_fields(response)
    status = response.status_code
    if status == 429:
        retry_after_header = response.headers.get("Retry-After")
        if response.headers.get("X-RateLimit-Type", "").lower().startswith("daily"):
            raise _DailyLimitReply(
                method,
                path,
                category=response.headers.get("X-RateLimit-Category"),
                reset_at=retry_after_header,
                message=message or "daily rate limit reached",
                retry_after=parse_retry_after(retry_after_header),
            )
        # Zoom sends no Retry-After with a per-second 429: its window ends at the next wall-clock second.
        retry_after = parse_retry_after(retry_after_header)
        if retry_after is None:
            retry_after = 1.0 - (time.time() % 1.0)
        raise ZoomTransientError(method, path, status, code, message, retry_after)
    if status == 401:
        # Still rejected after a renewal: under Zoom's "latest token only" policy another process may
        # have replaced the token in between. Another attempt (with another renewal) settles it.
        raise ZoomTransientError(method, path, status, code, message)
    if status >= 500:
        raise ZoomTransientError(method, path, status, code, message, parse_retry_after(response.headers.get("Retry-After")))
    raise ZoomAPIError(method, path, status, code, message or response.reason)


class _DailyLimitReply(ZoomRateLimitError):
    """A daily-limit 429 still undecided: retried only if its reset falls inside the retry bound."""

    def __init__(self, method, path, category, reset_at, message, retry_after):
        super().__init__(method, path, category, reset_at, message)
        self.retry_after = retry_after


def outcome_unknown(exc: BaseException) -> bool:
    """True when Zoom may have carried out the request although the client saw a failure."""
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
    return isinstance(
        exc,
        (ZoomTransientError, _DailyLimitReply, requests.ConnectionError, requests.Timeout,
         requests.exceptions.ChunkedEncodingError),
    )


def call_with_retries(
    policy: RetryPolicy,
    fn: Callable[[], T],
    *,
    method: str,
    path: str,
    attempts: list | None = None,
    log=None,
) -> T:
    """Run ``fn`` under ``policy``; ``attempts`` receives every exception a failed attempt raised."""
    backoff = tenacity.wait_random_exponential(multiplier=policy.backoff_base_s, max=policy.backoff_max_s)
    started = time.monotonic()

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception()
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
                if exc.retry_after is None or exc.retry_after > remaining:
                    raise ZoomRateLimitError(exc.method, exc.path, exc.category, exc.reset_at, exc.zoom_message) from None
            raise

    def before_sleep(state: tenacity.RetryCallState) -> None:
        if log is not None:
            exc = state.outcome.exception()
            log.warning(
                "Zoom %s /%s: %s (attempt %d of %d); retrying in %.2f s",
                method, path.lstrip("/"), _describe(exc), state.attempt_number, policy.max_attempts,
                state.next_action.sleep if state.next_action else 0.0,
            )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_retryable),
        stop=tenacity.stop_after_attempt(policy.max_attempts) | tenacity.stop_before_delay(policy.max_retry_seconds),
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(attempt)


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, ZoomAPIError):
        return str(exc).split(" failed with ", 1)[-1]
    return type(exc).__name__
