"""ZoomHook: Zoom REST API calls with Server-to-Server OAuth, retries and one reusable session."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from airflow.providers.http.hooks.http import HttpHook
from requests_toolbelt.adapters.socket_options import TCPKeepAliveAdapter

from airflow_provider_zoom.defaults import (
    DEFAULT_API_URL,
    DEFAULT_CONN_ID,
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_READ_TIMEOUT_S,
    DEFAULT_TOKEN_URL,
    ON_CONFLICT_CHOICES,
)
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomGroupExistsError
from airflow_provider_zoom.group_spec import GroupSpec
from airflow_provider_zoom.http_session import EnvironmentOnceSession
from airflow_provider_zoom.oauth import S2SCredentials, ZoomBearerAuth
from airflow_provider_zoom.rate_limit import Pacer, RateLimits, category_of, shared_pacer
from airflow_provider_zoom.retries import (
    RetryPolicy,
    call_with_retries,
    outcome_unknown,
    raise_for_reply,
    zoom_error_fields,
)
from airflow_provider_zoom.token_cache import ProcessTokenCache, token_cache

MAX_MEMBERS_PER_ADD = 10  # Swagger: POST /im/groups/{groupId}/members takes at most 10 members
MEMBERS_PAGE_SIZE = 300  # Swagger: maximum page_size of GET /im/groups/{groupId}/members
GROUP_NAME_IN_USE = 4132


@dataclass(frozen=True)
class GroupOutcome:
    """What asking Zoom for a group ended in; ``created`` also covers a create confirmed by a 409 retry."""

    status_code: int
    outcome: str  # "created" | "exists"
    group_id: str | None
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"status_code": self.status_code, "outcome": self.outcome, "group_id": self.group_id, "name": self.name}


class ZoomHook(HttpHook):
    """
    Talk to the Zoom REST API as a Server-to-Server OAuth app.

    Connection: login = client ID, password = client secret, host = API base URL
    (default ``https://api.zoom.us/v2``), extras ``account_id`` and ``oauth_token_url``
    (default ``https://zoom.us/oauth/token``), optional ``timeout`` / ``connect_timeout`` /
    ``read_timeout`` (seconds) and ``max_retry_seconds`` / ``max_attempts``.
    Hook arguments win over connection extras.

    :param zoom_conn_id: Airflow connection of type ``zoom``.
    :param account_id: override of the connection's ``account_id`` extra.
    :param timeout: ``(connect, read)`` seconds or one number for both.
    :param retry_policy: how transient failures (429, 5xx, network) are retried.
    :param plan: pace requests to this Zoom plan's per-second limits (``free``, ``pro``, ``business``),
        shared by every hook of the process; ``light_rps`` / ``medium_rps`` set explicit rates.
        Connection extras ``plan``, ``light_rps``, ``medium_rps`` do the same. Unset: no pacing.
    :param pool_size: keep-alive connections kept open, for threads sharing the hook (default 10).
    """

    conn_name_attr = "zoom_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "zoom"
    hook_name = "Zoom"
    default_host = DEFAULT_API_URL

    def __init__(
        self,
        zoom_conn_id: str = default_conn_name,
        *,
        account_id: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        retry_policy: RetryPolicy | None = None,
        plan: str | None = None,
        light_rps: float | None = None,
        medium_rps: float | None = None,
        pool_size: int | None = None,
        method: str = "GET",
        **kwargs: Any,
    ) -> None:
        kwargs.pop("http_conn_id", None)
        super().__init__(method=method, http_conn_id=zoom_conn_id, **kwargs)
        self.zoom_conn_id = zoom_conn_id
        self._account_id = account_id
        self._timeout = timeout
        self._retry_policy = retry_policy
        self._rate_args = {"plan": plan, "light_rps": light_rps, "medium_rps": medium_rps}
        self._pool_size = pool_size
        self._group_index: tuple[dict[str, dict[str, Any]], float] = ({}, float("-inf"))
        self._group_index_lock = threading.Lock()

    # -- connection ---------------------------------------------------------------------------

    @functools.cached_property
    def _connection(self):
        return self.get_connection(self.zoom_conn_id)

    def _extra(self, field: str, default: Any = None) -> Any:
        extras = self._connection.extra_dejson
        for key in (field, f"extra__{self.conn_type}__{field}"):
            if extras.get(key) not in (None, ""):
                return extras[key]
        return default

    @functools.cached_property
    def credentials(self) -> S2SCredentials:
        conn = self._connection
        account_id = self._account_id or self._extra("account_id")
        missing = [
            label
            for label, value in (("Client ID (login)", conn.login), ("Client Secret (password)", conn.password),
                                 ("Account ID (extra account_id)", account_id))
            if not value
        ]
        if missing:
            raise ValueError(f"Zoom connection {self.zoom_conn_id!r} lacks: {', '.join(missing)}")
        return S2SCredentials(
            token_url=self._extra("oauth_token_url", DEFAULT_TOKEN_URL),
            client_id=conn.login,
            client_secret=conn.password,
            account_id=account_id,
        )

    @functools.cached_property
    def timeout(self) -> tuple[float, float]:
        value = self._timeout if self._timeout is not None else self._extra("timeout")
        if value is not None:
            if isinstance(value, (list, tuple)):
                return (float(value[0]), float(value[1]))
            return (float(value), float(value))
        return (
            float(self._extra("connect_timeout", DEFAULT_CONNECT_TIMEOUT_S)),
            float(self._extra("read_timeout", DEFAULT_READ_TIMEOUT_S)),
        )

    @functools.cached_property
    def retry_policy(self) -> RetryPolicy:
        if self._retry_policy is not None:
            return self._retry_policy
        policy = RetryPolicy()
        overrides = {k: self._extra(k) for k in ("max_retry_seconds", "max_attempts") if self._extra(k) is not None}
        return policy.with_overrides(**overrides) if overrides else policy

    @functools.cached_property
    def token_cache(self) -> ProcessTokenCache:
        return token_cache(self._extra("token_cache", "file"), self._extra("token_cache_dir"))

    @functools.cached_property
    def rate_limits(self) -> RateLimits | None:
        args = {k: v if v is not None else self._extra(k) for k, v in self._rate_args.items()}
        return RateLimits.resolve(**args)

    def _pacer(self, method: str, path: str) -> Pacer | None:
        limits = self.rate_limits
        if limits is None:
            return None
        category = category_of(method, path)
        rate = getattr(limits, category)
        if not rate:
            return None
        return shared_pacer(self.credentials.cache_key, category, rate)

    def _set_base_url(self, connection) -> None:
        super()._set_base_url(connection)
        self.base_url = self.base_url.rstrip("/")

    def get_conn(self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None):
        """One session per hook: HttpHook builds a new one on every call, losing keep-alive."""
        session = self._session
        if headers:
            session.headers.update(headers)
        return session

    @functools.cached_property
    def _session(self) -> requests.Session:
        conn = self._connection
        self._set_base_url(conn)
        session = EnvironmentOnceSession()
        # Never HttpHook's Basic auth with login/password: the secret goes to the token endpoint only.
        session.auth = ZoomBearerAuth(self.credentials, session, self.timeout, self.token_cache)
        session.proxies = self._extra("proxies", {}) or {}
        verify = self._extra("verify")
        if verify is not None:
            session.verify = verify
        session.headers["User-Agent"] = f"airflow-provider-zoom/{_version()}"
        self._configure_session_from_mount_adapters(session)
        if self._pool_size:
            adapter = TCPKeepAliveAdapter(idle=120, count=20, interval=30, pool_maxsize=self._pool_size)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        return session

    # -- requests -----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, attempts: list | None = None, **kwargs: Any) -> requests.Response:
        """Send one API call with the retry policy; raise ``ZoomAPIError`` on a non-2xx reply.

        :param attempts: receives one entry per failed attempt, so a caller can tell whether an
            earlier attempt may have been carried out by Zoom.
        """
        session = self.get_conn()
        url = f"{self.base_url}/{path.lstrip('/')}"
        kwargs.setdefault("timeout", self.timeout)
        pacer = self._pacer(method, path)
        return call_with_retries(
            self.retry_policy,
            lambda: self._send_once(session, method, url, path, pacer, **kwargs),
            method=method,
            path=path,
            attempts=attempts,
            log=self.log,
        )

    def _send_once(
        self, session: requests.Session, method: str, url: str, path: str, pacer: Pacer | None, **kwargs
    ) -> requests.Response:
        """One attempt (paced), renewing the token once when Zoom rejects it (401 / code 124)."""
        response = self._send_paced(session, pacer, method, url, **kwargs)
        if response.status_code == 401 and zoom_error_fields(response)[0] in (124, None):
            self.log.info("Zoom rejected the access token (HTTP 401); fetching a new one and retrying once")
            session.auth.invalidate(response.request)
            response = self._send_paced(session, pacer, method, url, **kwargs)
        if response.status_code >= 400:
            if response.status_code == 429 and pacer is not None:
                pacer.slow_down()
            raise_for_reply(method, "/" + path.lstrip("/"), response)
        if pacer is not None:
            pacer.succeeded()
        return response

    @staticmethod
    def _send_paced(session: requests.Session, pacer: Pacer | None, method: str, url: str, **kwargs):
        if pacer is not None:
            pacer.acquire()
        return session.request(method, url, **kwargs)

    # -- IM groups ----------------------------------------------------------------------------

    def create_im_group(self, spec: GroupSpec, *, on_conflict: str = "reuse") -> GroupOutcome:
        """Create the group, treating "name in use" (409, code 4132) as an outcome rather than a failure.

        A 409 that follows an attempt whose outcome is unknown (timeout, 5xx, dropped connection)
        is that attempt's group when the group is still empty: it is reported as ``created`` and
        never created twice. A group that already has members was there before this call.

        :param on_conflict: ``reuse`` returns the existing group; ``fail`` raises ``ZoomGroupExistsError``.
        """
        if on_conflict not in ON_CONFLICT_CHOICES:
            raise ValueError(f"on_conflict must be one of {ON_CONFLICT_CHOICES}, not {on_conflict!r}")
        attempts: list = []
        files = {field: (None, value) for field, value in spec.form_fields().items()}
        try:
            response = self.request("POST", "im/groups", files=files, attempts=attempts)
        except ZoomAPIError as exc:
            if exc.status_code != 409 or exc.code not in (GROUP_NAME_IN_USE, None):
                raise
            conflict_seen_at = time.monotonic()
            existing = self._group_named(spec.name, seen_after=conflict_seen_at) or {}
            lost_reply = any(outcome_unknown(a) for a in attempts) and not existing.get("total_members")
            if lost_reply:
                self.log.info("Group %r was created by an earlier attempt whose reply was lost", spec.name)
                return GroupOutcome(201, "created", existing.get("id"), spec.name)
            if on_conflict == "fail":
                raise ZoomGroupExistsError(spec.name, existing.get("id")) from None
            return GroupOutcome(409, "exists", existing.get("id"), spec.name)
        body = response.json() if response.content else {}
        return GroupOutcome(201, "created", body.get("id"), body.get("name", spec.name))

    def _group_named(self, name: str, *, seen_after: float) -> dict[str, Any] | None:
        """Look a group up by name in an index of the account's groups, listed at most once per conflict.

        A wave re-run meets a 409 for every group; listing all groups for each would cost one Medium
        call per group. The index is refreshed only when it predates the conflict and lacks the name.
        """
        key = name.strip().casefold()
        with self._group_index_lock:
            index, listed_at = self._group_index
            if key not in index and listed_at < seen_after:
                index = {str(g.get("name", "")).strip().casefold(): g for g in self.list_im_groups()}
                self._group_index = (index, time.monotonic())
            return index.get(key)

    def list_im_groups(self) -> list[dict[str, Any]]:
        return list(self._paginate("im/groups", "groups"))

    def get_im_group(self, group_id: str) -> dict[str, Any]:
        return self.request("GET", f"im/groups/{group_id}").json()

    def find_im_group_by_name(self, name: str) -> dict[str, Any] | None:
        """Zoom has no lookup by name; names are unique per account regardless of case."""
        return self._group_named(name, seen_after=time.monotonic())

    def list_im_group_members(self, group_id: str) -> list[dict[str, Any]]:
        return list(self._paginate(f"im/groups/{group_id}/members", "members", page_size=MEMBERS_PAGE_SIZE))

    def add_im_group_members(self, group_id: str, members: Iterable[str | dict[str, str]]) -> int:
        """Add members given as emails or ``{"id"|"email": ...}`` dicts, 10 per call; return how many were sent."""
        batch: list[dict[str, str]] = []
        sent = 0
        for member in members:
            batch.append({"email": member} if isinstance(member, str) else dict(member))
            if len(batch) == MAX_MEMBERS_PER_ADD:
                sent += self._add_members_call(group_id, batch)
                batch = []
        if batch:
            sent += self._add_members_call(group_id, batch)
        return sent

    def add_members_by_email(
        self, group_id: str, emails: Iterable[str], *, only_missing: bool = False
    ) -> dict[str, Any]:
        """Add people by email (deduplicated, case-insensitively); optionally skip current members."""
        wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e and e.strip()))
        current: set[str] = set()
        if only_missing:
            current = {str(m.get("email", "")).lower() for m in self.list_im_group_members(group_id)}
        to_add = [e for e in wanted if e not in current]
        self.add_im_group_members(group_id, to_add)
        return {"group_id": group_id, "added": to_add, "already_members": [e for e in wanted if e in current]}

    def _add_members_call(self, group_id: str, batch: list[dict[str, str]]) -> int:
        # Re-adding a member is a no-op at Zoom, so a retried call cannot double anything.
        self.request("POST", f"im/groups/{group_id}/members", json={"members": batch})
        return len(batch)

    def _paginate(self, path: str, key: str, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"page_size": page_size} if page_size else {}
        while True:
            body = self.request("GET", path, params=params).json()
            yield from body.get(key, [])
            token = body.get("next_page_token")
            if not token:
                return
            params = {**params, "next_page_token": token}

    def test_connection(self) -> tuple[bool, str]:
        """Fetch a token and list IM groups: proves credentials, account and scope in one go."""
        try:
            groups = self.list_im_groups()
        except Exception as exc:  # noqa: BLE001 - the UI shows the message; it never carries the secret
            return False, str(exc)
        return True, f"Connected to Zoom account {self.credentials.account_id!r}: {len(groups)} IM groups visible"


@functools.cache
def _version() -> str:
    from airflow_provider_zoom import __version__

    return __version__
