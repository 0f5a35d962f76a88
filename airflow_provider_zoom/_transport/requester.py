"""The request loop every Zoom call goes through, and the small interface the group backends depend on.

``send`` is one call with the retry policy: each attempt is paced, renews the access token once when Zoom
rejects it (401 / code 124), turns a non-2xx reply into ``ZoomAPIError`` (secrets redacted) and may read the
reply inside the attempt (``parse``), so that a garbled 2xx is retried like a 5xx. ``ZoomHook.request`` is
this loop over the hook's session and settings; the group backends see only ``Requester``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import requests

from airflow_provider_zoom._transport.oauth import ZoomBearerAuth
from airflow_provider_zoom._transport.rate_limit import Pacer
from airflow_provider_zoom._transport.retries import (
    RetryPolicy,
    call_with_retries,
    raise_for_reply,
    zoom_error_fields,
)

Parse = Callable[[str, str, requests.Response], Any]


class Requester(Protocol):
    """What a group backend needs: Zoom calls on one path (pacing, token, retries, errors) and a logger."""

    @property
    def log(self) -> Any: ...

    def request(self, method: str, path: str, **kwargs: Any) -> Any: ...

    def request_json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]: ...


def send(
    session: requests.Session,
    base_url: str,
    method: str,
    path: str,
    *,
    policy: RetryPolicy,
    pacer: Pacer | None,
    log: Any,
    default_timeout: tuple[float, float],
    attempts: list | None = None,
    parse: Parse | None = None,
    retry_unknown_outcome: bool = True,
    **kwargs: Any,
) -> Any:
    """One API call with ``policy``'s retries; see ``ZoomHook.request`` for the arguments."""
    url = f"{base_url}/{path.lstrip('/')}"
    kwargs.setdefault("timeout", default_timeout)  # a call may give its own
    return call_with_retries(
        policy,
        lambda: _send_once(session, method, url, path, pacer, parse, log, **kwargs),
        method=method,
        path=path,
        attempts=attempts,
        retry_unknown_outcome=retry_unknown_outcome,
        log=log,
        timeout=default_timeout,
    )


def bearer_auth(session: requests.Session) -> ZoomBearerAuth:
    auth = session.auth
    if not isinstance(auth, ZoomBearerAuth):
        raise TypeError("the ZoomHook session's auth was replaced; Zoom calls need its ZoomBearerAuth")
    return auth


def _send_once(
    session: requests.Session, method: str, url: str, path: str, pacer: Pacer | None, parse: Parse | None,
    log: Any, **kwargs: Any,
) -> Any:
    """One attempt (paced), renewing the token once when Zoom rejects it (401 / code 124)."""
    response = first = _send_paced(session, pacer, method, url, **kwargs)
    if response.status_code == 401 and zoom_error_fields(response)[0] in (124, None):
        log.info("Zoom rejected the access token (HTTP 401); fetching a new one and retrying once")
        bearer_auth(session).invalidate(response.request)
        response = _send_paced(session, pacer, method, url, **kwargs)
    shown_path = "/" + path.lstrip("/")
    if response.status_code >= 400:
        if response.status_code == 429 and pacer is not None:
            pacer.slow_down()
        secrets = bearer_auth(session).secrets(first.request, response.request)
        raise_for_reply(method, shown_path, response, secrets)
    if pacer is not None:
        pacer.succeeded()
    return parse(method, shown_path, response) if parse is not None else response


def _send_paced(session: requests.Session, pacer: Pacer | None, method: str, url: str, **kwargs: Any):
    if pacer is not None:
        pacer.acquire()
    return session.request(method, url, **kwargs)
