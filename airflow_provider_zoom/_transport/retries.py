"""Which Zoom replies are worth another attempt, and how long to wait before it.

Per-second 429s, 5xx replies and network failures pass; a daily-limit 429 whose reset is hours
away fails at once instead of sleeping in a worker slot. Zoom's ``Retry-After`` comes as seconds,
an HTTP date or (daily limits) an ISO-8601 timestamp; a per-second 429 carries none and waits for
the next wall-clock second, Zoom's window. Other failures back off exponentially; every wait has
jitter so that parallel tasks do not retry in lockstep.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import http.client
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import tenacity
import urllib3.exceptions
from urllib3.exceptions import NewConnectionError

from airflow_provider_zoom._transport.masking import Base64Credential, redact
from airflow_provider_zoom._transport.scopes import feature_of, missing_scope
from airflow_provider_zoom._values import as_int
from airflow_provider_zoom.exceptions import (
    MISSING_SCOPE_CODES,
    ZoomAPIError,
    ZoomAuthError,
    ZoomConnectionError,
    ZoomError,
    ZoomRateLimitError,
    ZoomReplyError,
    ZoomScopeError,
    ZoomTransientError,
)

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
        kind = media_type(response, sent_secrets(response))
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


def media_type(response: requests.Response, secrets: Iterable[str | None] = ()) -> str:
    """The reply's media type for a message (``text/html``); anything odd is not quoted, as it comes from the server.

    Redacted of ``secrets`` and of what the request carried (a server may echo a credential in any header).
    """
    value = response.headers.get("Content-Type")
    if not value:
        return "no Content-Type"
    kind = value.split(";")[0].strip()
    if not _MEDIA_TYPE.match(kind):
        return "an unusual Content-Type"
    shown = redact(kind, [*secrets, *sent_secrets(response)])
    return shown.lower() if shown == kind else "an unusual Content-Type"


def sent_secrets(response: requests.Response | None) -> list[str]:
    """The credential the reply's request carried (its ``Authorization`` header) in each form a server may echo.

    So that a message built from a reply is redacted of what was sent even when its caller passes no secrets.
    """
    prepared = getattr(response, "request", None)
    header = prepared.headers.get("Authorization", "") if prepared is not None else ""
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    scheme, _, value = str(header).partition(" ")
    if not value:
        return [header] if header else []
    forms = [value]  # not the scheme: a message may say "Bearer ***", which tells what was echoed
    if scheme.lower() == "basic":
        forms.append(Base64Credential(value))
        try:
            decoded = base64.b64decode(value, validate=True).decode("latin-1")
        except ValueError:
            decoded = ""
        if decoded:
            forms += [decoded, decoded.partition(":")[2]]
            with contextlib.suppress(UnicodeError):  # the UTF-8 reading of the same bytes, its Base64 the same
                utf8 = decoded.encode("latin-1").decode("utf-8")
                forms += [utf8, utf8.partition(":")[2]]
                forms.append(Base64Credential(base64.b64encode(utf8.encode("utf-8")).decode()))
    return [form for form in forms if form]


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
    """Raise the error a non-2xx reply means; every text taken from the reply has ``secrets`` redacted, and
    whatever credential the request carried (``sent_secrets``)."""
    secrets = [*secrets, *sent_secrets(response)]
    body = _error_body(response)
    code = body.get("code")
    code = redact(code if isinstance(code, (int, str)) or code is None else str(code), secrets)
    message = redact(body.get("message"), secrets)
    if message is not None and not isinstance(message, str):
        message = redact(str(message), secrets)
    errors = _field_errors(body.get("errors"), secrets)
    status = response.status_code
    if as_int(code) in MISSING_SCOPE_CODES:  # before the 401 branch: a new token lacks the scope as well
        raise ZoomScopeError(method, path, status, code, message, scope=missing_scope(method, path, message),
                             feature=feature_of(method, path))
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
    if isinstance(exc, ZoomConnectionError):
        return exc.outcome_unknown
    if isinstance(exc, requests.exceptions.ConnectTimeout) or tls_failure(exc) in ("not https", "certificate"):
        return False  # no connection, or a handshake that failed: the request was never sent
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        return not isinstance(inner, NewConnectionError)
    return isinstance(exc, (requests.Timeout, requests.exceptions.ChunkedEncodingError))


def _retryable(exc: BaseException) -> bool:
    """The provider's errors say so themselves (``ZoomError.retryable``); network failures always are."""
    if isinstance(exc, ZoomError):
        return exc.retryable
    if tls_failure(exc) is not None:
        return False  # a server without https, a certificate not trusted: the same next time
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
    try:
        return retrying(attempt)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        # Only the provider's errors leave a call: the network failure named, with what to check.
        raise connection_error(exc, method=method, path=path, timeout=timeout) from None


def connection_error(
    exc: BaseException, *, method: str, path: str, timeout: tuple[float, float] | None = None,
    setting: str = "the connection's host",
) -> ZoomConnectionError:
    """``exc`` (requests' or urllib3's) as a ``ZoomConnectionError`` naming the call, the host and what to check."""
    problem, hint, permanent = network_problem(exc, timeout, setting=setting)
    return ZoomConnectionError(
        method, "/" + path.lstrip("/"), failed_host(exc), problem, hint=hint,
        outcome_unknown=outcome_unknown(exc), permanent=permanent,
    )


def failed_host(exc: BaseException) -> str:
    """``host:port`` of the request that failed (never its user info or path), or ``the server``."""
    prepared = getattr(exc, "request", None)
    url = getattr(prepared, "url", None) or ""
    if isinstance(url, bytes):
        url = url.decode("latin-1")
    try:
        parts = urlsplit(str(url))
        host, port = parts.hostname, parts.port
    except ValueError:
        return "the server"
    if not host:
        return "the server"
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port or (443 if parts.scheme == 'https' else 80)}"


def _describe(exc: BaseException | None, timeout: tuple[float, float] | None = None) -> str:
    if isinstance(exc, ZoomReplyError):
        return str(exc).split(" answered ", 1)[-1]
    if isinstance(exc, ZoomAPIError):
        return str(exc).split(" failed with ", 1)[-1]
    if isinstance(exc, ZoomError):
        return str(exc)
    if exc is None:
        return "no result"
    return network_problem(exc, timeout)[0]


def describe_network_error(exc: BaseException, timeout: tuple[float, float] | None = None, *,
                           setting: str = "the connection's host") -> str:
    """What happened, in words, and what to check: ``ConnectTimeout: timed out after 10 s connecting``, ...

    Built from the exception types of the chain, never from their text (which may hold a proxy URL).
    """
    problem, hint, _ = network_problem(exc, timeout, setting=setting)
    return f"{problem}. {hint}" if hint else problem


#: OpenSSL's reasons for a handshake answered in plain HTTP (or anything but TLS).
_NOT_TLS = {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL",
            "HTTP_REQUEST", "UNSUPPORTED_PROTOCOL"}


def tls_failure(exc: BaseException) -> str | None:
    """``not https`` (the server answered a TLS handshake with something else), ``certificate`` (not trusted),
    ``handshake`` (another TLS failure), or ``None`` when the failure is not TLS's."""
    chain = list(_causes(exc))
    if any(isinstance(c, ssl.SSLCertVerificationError) for c in chain):
        return "certificate"
    reasons = {getattr(c, "reason", None) for c in chain if isinstance(c, ssl.SSLError)}
    if reasons & _NOT_TLS:
        return "not https"
    if reasons or isinstance(exc, requests.exceptions.SSLError):
        return "handshake"
    return None


def network_problem(
    exc: BaseException, timeout: tuple[float, float] | None = None, *, setting: str = "the connection's host"
) -> tuple[str, str, bool]:
    """``(what happened, what to check, permanent)`` for a failure without a reply; ``setting`` is where the URL
    comes from (``the connection's host``, ``the extra "oauth_url"``)."""
    name = type(exc).__name__
    host = failed_host(exc)
    connect, read = timeout if timeout else (None, None)
    chain = list(_causes(exc))
    tls = tls_failure(exc)
    if tls == "not https":
        return (
            f"{name}: TLS handshake with {host} failed",
            f"Does the server speak https? Set the scheme in {setting} (http:// only for loopback addresses)",
            True,
        )
    if tls == "certificate":
        return (
            f"{name}: the certificate of {host} is not trusted",
            'Check the extra "verify" (true or a CA bundle path) or REQUESTS_CA_BUNDLE',
            True,
        )
    if tls == "handshake":
        return f"{name}: the TLS handshake with {host} failed (certificate or protocol)", \
            f'Check the URL in {setting}, the extra "verify" and any TLS-intercepting proxy', False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"{name}: timed out after {_seconds(connect)} connecting to {host}", \
            f'Check {setting}, the network path and the extra "proxies", or raise the extra "connect_timeout"', False
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"{name}: no reply from {host}, timed out after {_seconds(read)}", \
            'Zoom may still have carried it out; raise the extra "read_timeout" if replies are this slow', False
    proxy = isinstance(exc, requests.exceptions.ProxyError)
    where = "the proxy" if proxy else host
    check = 'Check the extra "proxies" and HTTPS_PROXY / NO_PROXY' if proxy else f"Check {setting}"
    if any(isinstance(c, ConnectionRefusedError) for c in chain):
        return f"{name}: connection refused by {where}", f"{check}: is the port right and the server up?", False
    if any(isinstance(c, socket.gaierror) for c in chain):
        return f"{name}: the host name of {where} could not be resolved", f"{check} and the DNS", False
    if any(isinstance(c, ConnectionResetError) for c in chain):
        return f"{name}: connection reset by {where}", f"{check}; a retry usually passes", False
    if any(isinstance(c, http.client.RemoteDisconnected) for c in chain):
        return f"{name}: {where} closed the connection without a reply", f"{check}; a retry usually passes", False
    if any(isinstance(c, TimeoutError) for c in chain):
        return f"{name}: timed out talking to {where}", f"{check} and the network path", False
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"{name}: the reply from {host} was cut off", "A retry usually passes", False
    if isinstance(exc, (requests.ConnectionError, urllib3.exceptions.ProtocolError)):
        return f"{name}: the connection to {where} failed", f"{check} and the network path", False
    return f"{name}: the request to {host} could not be sent", f"Check {setting} and the call's arguments", True


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
