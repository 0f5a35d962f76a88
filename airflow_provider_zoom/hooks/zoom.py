"""ZoomHook: Zoom REST API calls with Server-to-Server OAuth, retries and one reusable session."""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from airflow.providers.http.hooks.http import HttpHook
from requests_toolbelt.adapters.socket_options import TCPKeepAliveAdapter

from airflow_provider_zoom._defaults import (
    DEFAULT_API_URL,
    DEFAULT_CONN_ID,
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_READ_TIMEOUT_S,
    DEFAULT_TOKEN_URL,
    ON_CONFLICT_CHOICES,
)
from airflow_provider_zoom._transport.http_session import EnvironmentOnceSession
from airflow_provider_zoom._transport.oauth import S2SCredentials, ZoomBearerAuth
from airflow_provider_zoom._transport.rate_limit import PLAN_LIMITS, Pacer, RateLimits, category_of, shared_pacer
from airflow_provider_zoom._transport.retries import (
    RetryPolicy,
    call_with_retries,
    json_object,
    outcome_unknown,
    raise_for_reply,
    zoom_error_fields,
)
from airflow_provider_zoom._transport.token_cache import ProcessTokenCache, token_cache
from airflow_provider_zoom.exceptions import (
    ZoomAPIError,
    ZoomConfigError,
    ZoomGroupExistsError,
    ZoomInvalidInput,
    ZoomReplyError,
)
from airflow_provider_zoom.group_spec import GroupSpec, group_key
from airflow_provider_zoom.hooks._members import email_list, rejected_members

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

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Airflow 3.1's connection form; 3.2+ read ``conn-fields`` from ``get_provider_info()`` instead."""
        from airflow_provider_zoom._compat import connection_form_widgets

        return connection_form_widgets(cls.conn_type)

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Airflow 3.1's relabelled and hidden fields; 3.2+ read ``ui-field-behaviour`` from the provider info."""
        from airflow_provider_zoom._compat import ui_field_behaviour

        return ui_field_behaviour(cls.conn_type)

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

    # -- connection -----------------------------------------------------------------------------
    # Every value is checked where it is read: a wrong one raises ``ZoomConfigError`` naming the field,
    # a permanent error (the task fails without Airflow retries).

    @functools.cached_property
    def _connection(self):
        return self.get_connection(self.zoom_conn_id)

    def _extra(self, field: str, default: Any = None) -> Any:
        extras = self._connection.extra_dejson
        for key in (field, f"extra__{self.conn_type}__{field}"):
            if extras.get(key) not in (None, ""):
                return extras[key]
        return default

    def _config_error(self, field: str, requirement: str, value: Any, *, argument: bool = False) -> ZoomConfigError:
        where = f'ZoomHook argument "{field}"' if argument else f'extra "{field}"'
        return ZoomConfigError(f"Zoom connection {self.zoom_conn_id!r}: {where} {requirement}, got {_show(value)}")

    def _setting(self, field: str, argument: Any = None) -> tuple[Any, bool]:
        """A hook argument, else the connection extra: ``(value, came from the argument)``."""
        if argument is not None:
            return argument, True
        return self._extra(field), False

    def _number(self, field: str, value: Any, *, argument: bool, minimum: float = 0.0, unit: str = "seconds",
                positive: bool = True) -> float:
        try:
            if isinstance(value, bool):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not math.isfinite(number) or number < minimum or (positive and number <= 0):
            raise self._config_error(field, f"must be a {'positive ' if positive else ''}number of {unit}", value,
                                     argument=argument)
        return number

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
            raise ZoomConfigError(f"Zoom connection {self.zoom_conn_id!r} lacks: {', '.join(missing)}")
        token_url = self._extra("oauth_token_url", DEFAULT_TOKEN_URL)
        if not isinstance(token_url, str):
            raise self._config_error("oauth_token_url", "must be a URL", token_url)
        credentials = S2SCredentials(
            token_url=self._secure_url(token_url, 'extra "oauth_token_url" (OAuth token URL)', "client secret"),
            client_id=str(conn.login),
            client_secret=str(conn.password),
            account_id=str(account_id),
        )
        credentials.register_with_masker()
        return credentials

    @functools.cached_property
    def timeout(self) -> tuple[float, float]:
        value, argument = self._setting("timeout", self._timeout)
        if value is not None:
            if isinstance(value, (list, tuple)):
                if len(value) != 2:
                    raise self._config_error("timeout", "must be a number of seconds or a (connect, read) pair",
                                             value, argument=argument)
                return (self._number("timeout", value[0], argument=argument),
                        self._number("timeout", value[1], argument=argument))
            number = self._number("timeout", value, argument=argument)
            return (number, number)
        return (
            self._number("connect_timeout", self._extra("connect_timeout", DEFAULT_CONNECT_TIMEOUT_S), argument=False),
            self._number("read_timeout", self._extra("read_timeout", DEFAULT_READ_TIMEOUT_S), argument=False),
        )

    @functools.cached_property
    def retry_policy(self) -> RetryPolicy:
        if self._retry_policy is not None:
            return self._retry_policy
        overrides: dict[str, Any] = {}
        attempts = self._extra("max_attempts")
        if attempts is not None:
            number = self._number("max_attempts", attempts, argument=False, minimum=1, unit="attempts")
            if number != int(number):
                raise self._config_error("max_attempts", "must be a whole number of attempts, at least 1", attempts)
            overrides["max_attempts"] = int(number)
        seconds = self._extra("max_retry_seconds")
        if seconds is not None:
            overrides["max_retry_seconds"] = self._number("max_retry_seconds", seconds, argument=False,
                                                          positive=False)
        policy = RetryPolicy()
        return policy.with_overrides(**overrides) if overrides else policy

    @functools.cached_property
    def token_cache(self) -> ProcessTokenCache:
        kind = self._extra("token_cache", "file")
        if kind not in ("file", "process"):
            raise self._config_error("token_cache", 'must be "file" or "process"', kind)
        directory = self._extra("token_cache_dir")
        if directory is not None and not isinstance(directory, str):
            raise self._config_error("token_cache_dir", "must be the path of a folder", directory)
        return token_cache(kind, directory)

    @functools.cached_property
    def rate_limits(self) -> RateLimits | None:
        args: dict[str, Any] = {}
        plan, argument = self._setting("plan", self._rate_args["plan"])
        if plan not in (None, ""):
            if not isinstance(plan, str) or plan.strip().lower() not in PLAN_LIMITS:
                raise self._config_error("plan", f"must be one of {', '.join(PLAN_LIMITS)}", plan, argument=argument)
            args["plan"] = plan.strip().lower()
        for field in ("light_rps", "medium_rps"):
            value, argument = self._setting(field, self._rate_args[field])
            if value not in (None, ""):
                args[field] = self._number(field, value, argument=argument, unit="requests per second")
        return RateLimits.resolve(**args)

    @functools.cached_property
    def _verify(self) -> bool | str | None:
        value = self._extra("verify")
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.lower() in ("true", "1", "yes"):
                return True
            if text.lower() in ("false", "0", "no"):
                return False
            if os.path.exists(text):
                return text
        raise self._config_error("verify", "must be true, false or the path of an existing CA bundle", value)

    @functools.cached_property
    def _proxies(self) -> dict[str, str]:
        value = self._extra("proxies", {}) or {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            # The value itself is not shown: a proxy URL may hold a password.
            raise ZoomConfigError(
                f'Zoom connection {self.zoom_conn_id!r}: extra "proxies" must be a mapping of scheme to proxy URL, '
                f'like {{"https": "http://proxy.example:3128"}}, got a {type(value).__name__}'
            )
        return value

    def check_config(self) -> None:
        """Read every setting now, so that a wrong one fails before any call (``ZoomConfigError``)."""
        self._session  # noqa: B018 - credentials, base URL, timeouts, token cache, proxies, verify
        self.retry_policy  # noqa: B018
        self.rate_limits  # noqa: B018

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
        """The host as given; without a scheme it means https (never plain http, as HttpHook assumes)."""
        host = connection.host or self.default_host
        if "://" not in host:
            scheme = (connection.schema or "https").lower()
            host = f"{scheme if scheme in ('http', 'https') else 'https'}://{host}"
        if connection.port:
            parts = urlsplit(host)
            if parts.port is None and parts.hostname:
                host = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{connection.port}"))
        self.base_url = self._secure_url(host, 'field "host" (API base URL)', "access token").rstrip("/")
        self._base_url_initialized = True

    def _secure_url(self, url: str, field: str, what: str) -> str:
        """``url`` with https assumed when it has no scheme; plain http only to a loopback address."""
        url = url.strip()
        if "://" not in url:
            url = f"https://{url}"
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ZoomConfigError(f"Zoom connection {self.zoom_conn_id!r}: {field} must be an https:// URL, got {url!r}")
        if scheme == "http" and not _is_loopback(parts.hostname):
            raise ZoomConfigError(
                f"Zoom connection {self.zoom_conn_id!r}: {field} is {url!r}, plain http:// would send the {what} "
                "unencrypted. Use https://; http:// is accepted only for loopback addresses (127.0.0.0/8, ::1, "
                "localhost), such as the Zoom emulator."
            )
        return url

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
        session.proxies = dict(self._proxies)
        if self._verify is not None:
            session.verify = self._verify
        session.headers["User-Agent"] = f"airflow-provider-zoom/{_version()}"
        self._configure_session_from_mount_adapters(session)
        if self._pool_size:
            adapter = TCPKeepAliveAdapter(idle=120, count=20, interval=30, pool_maxsize=self._pool_size)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        return session

    # -- requests -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        attempts: list | None = None,
        parse: Callable[[str, str, requests.Response], Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Send one API call with the retry policy; raise ``ZoomAPIError`` on a non-2xx reply.

        :param attempts: receives one entry per failed attempt, so a caller can tell whether an
            earlier attempt may have been carried out by Zoom.
        :param parse: ``parse(method, path, response)`` reads a 2xx reply inside the attempt, so that a
            garbled reply (``ZoomReplyError``) is retried like a 5xx; its result is returned instead of
            the response.
        """
        session = self.get_conn()
        url = f"{self.base_url}/{path.lstrip('/')}"
        kwargs.setdefault("timeout", self.timeout)
        pacer = self._pacer(method, path)
        return call_with_retries(
            self.retry_policy,
            lambda: self._send_once(session, method, url, path, pacer, parse, **kwargs),
            method=method,
            path=path,
            attempts=attempts,
            log=self.log,
            timeout=self.timeout,
        )

    def request_json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """``request`` whose reply must be the JSON object Zoom documents (else ``ZoomReplyError``)."""
        return self.request(method, path, parse=json_object, **kwargs)

    def _send_once(
        self, session: requests.Session, method: str, url: str, path: str, pacer: Pacer | None,
        parse: Callable[[str, str, requests.Response], Any] | None = None, **kwargs,
    ) -> Any:
        """One attempt (paced), renewing the token once when Zoom rejects it (401 / code 124)."""
        response = first = self._send_paced(session, pacer, method, url, **kwargs)
        if response.status_code == 401 and zoom_error_fields(response)[0] in (124, None):
            self.log.info("Zoom rejected the access token (HTTP 401); fetching a new one and retrying once")
            session.auth.invalidate(response.request)
            response = self._send_paced(session, pacer, method, url, **kwargs)
        shown_path = "/" + path.lstrip("/")
        if response.status_code >= 400:
            if response.status_code == 429 and pacer is not None:
                pacer.slow_down()
            raise_for_reply(method, shown_path, response, session.auth.secrets(first.request, response.request))
        if pacer is not None:
            pacer.succeeded()
        return parse(method, shown_path, response) if parse is not None else response

    @staticmethod
    def _send_paced(session: requests.Session, pacer: Pacer | None, method: str, url: str, **kwargs):
        if pacer is not None:
            pacer.acquire()
        return session.request(method, url, **kwargs)

    # -- IM groups ----------------------------------------------------------------------------

    def create_im_group(self, spec: GroupSpec, *, on_conflict: str = "reuse") -> GroupOutcome:
        """Create the group, treating "name in use" (409, code 4132) as an outcome rather than a failure.

        A 409 that follows an attempt whose outcome is unknown (timeout, 5xx, dropped connection, a
        201 whose body could not be read) is that attempt's group when the group is still empty: it is
        reported as ``created`` and never created twice. A group that already has members was there
        before this call. Every outcome carries the group's id; a reply that leaves it unknown raises
        ``ZoomReplyError``.

        :param on_conflict: ``reuse`` returns the existing group; ``fail`` raises ``ZoomGroupExistsError``.
        """
        if on_conflict not in ON_CONFLICT_CHOICES:
            raise ZoomInvalidInput(f"on_conflict must be one of {ON_CONFLICT_CHOICES}, not {on_conflict!r}")
        attempts: list = []
        files = {field: (None, value) for field, value in spec.form_fields().items()}
        try:
            body = self.request("POST", "im/groups", files=files, attempts=attempts, parse=_created_group)
        except ZoomAPIError as exc:
            if isinstance(exc, ZoomReplyError) or exc.status_code != 409 or exc.code not in (GROUP_NAME_IN_USE, None):
                raise
            conflict_seen_at = time.monotonic()
            existing = self._group_named(spec.name, seen_after=conflict_seen_at) or {}
            group_id = existing.get("id")
            if not isinstance(group_id, str) or not group_id:
                raise ZoomReplyError(
                    "POST", "/im/groups", 409,
                    f"name in use (Zoom code {exc.code}) for {spec.name!r}, but no group of that name is listed by "
                    "GET /im/groups",
                ) from None
            lost_reply = any(outcome_unknown(a) for a in attempts) and not existing.get("total_members")
            if lost_reply:
                self.log.info("Group %r was created by an earlier attempt whose reply was lost", spec.name)
                return GroupOutcome(201, "created", group_id, spec.name)
            if on_conflict == "fail":
                raise ZoomGroupExistsError(spec.name, group_id) from None
            return GroupOutcome(409, "exists", group_id, spec.name)
        name = body.get("name")
        return GroupOutcome(201, "created", body["id"], name if isinstance(name, str) and name else spec.name)

    def _group_named(self, name: str, *, seen_after: float) -> dict[str, Any] | None:
        """Look a group up by name in an index of the account's groups, listed at most once per conflict.

        A wave re-run meets a 409 for every group; listing all groups for each would cost one Medium
        call per group. The index is refreshed only when it predates the conflict and lacks the name.
        """
        key = group_key(name)
        with self._group_index_lock:
            index, listed_at = self._group_index
            if key not in index and listed_at < seen_after:
                index = {group_key(g.get("name", "")): g for g in self.list_im_groups()}
                self._group_index = (index, time.monotonic())
            return index.get(key)

    def list_im_groups(self) -> list[dict[str, Any]]:
        return list(self._paginate("im/groups", "groups"))

    def get_im_group(self, group_id: str) -> dict[str, Any]:
        return self.request_json("GET", f"im/groups/{group_id}")

    def find_im_group_by_name(self, name: str) -> dict[str, Any] | None:
        """Zoom has no lookup by name; names are unique per account regardless of case."""
        return self._group_named(name, seen_after=time.monotonic())

    def list_im_group_members(self, group_id: str) -> list[dict[str, Any]]:
        return list(self._paginate(f"im/groups/{group_id}/members", "members", page_size=MEMBERS_PAGE_SIZE))

    def add_im_group_members(self, group_id: str, members: Iterable[str | dict[str, str]]) -> int:
        """Add members given as emails or ``{"id"|"email": ...}`` dicts, 10 per call; return how many were added.

        Members Zoom refuses (unknown user, malformed address) are dropped from their batch and the
        rest sent again; ``add_members_by_email`` reports who they were.
        """
        batch = [{"email": m} if isinstance(m, str) else dict(m) for m in members]
        added = 0
        for start in range(0, len(batch), MAX_MEMBERS_PER_ADD):
            added += len(self._add_batch(group_id, batch[start : start + MAX_MEMBERS_PER_ADD]).added)
        return added

    def add_members_by_email(self, group_id: str, emails: Any, *, only_missing: bool = False) -> dict[str, Any]:
        """Add people by email (deduplicated, case-insensitively); optionally skip current members.

        ``emails`` is a list, or one string (a single address, a comma / semicolon / whitespace
        separated list, or a rendered list literal). Returns ``{"group_id", "added", "already_members",
        "rejected": [{"email", "reason"}]}``: ``added`` is who Zoom's reply (and, when it counts fewer,
        the group's member list) shows as added; ``rejected`` who Zoom refused, with its reason.
        """
        wanted = list(dict.fromkeys(e.lower() for e in email_list(emails, "emails")))
        current: set[str] = set()
        if only_missing:
            current = {str(m.get("email") or "").lower() for m in self.list_im_group_members(group_id)}
        to_add = [e for e in wanted if e not in current]
        added: list[str] = []
        already = [e for e in wanted if e in current]
        rejected: list[dict[str, str]] = []
        for start in range(0, len(to_add), MAX_MEMBERS_PER_ADD):
            batch = self._add_batch(group_id, [{"email": e} for e in to_add[start : start + MAX_MEMBERS_PER_ADD]])
            added += [m["email"] for m in batch.added]
            already += [m["email"] for m in batch.already_members]
            rejected += [{"email": m["email"], "reason": reason} for m, reason in batch.rejected]
        if rejected:
            self.log.warning(
                "IM group %s: Zoom refused %d of %d members: %s", group_id, len(rejected), len(to_add),
                "; ".join(f"{r['email']}: {r['reason']}" for r in rejected[:20]),
            )
        return {"group_id": group_id, "added": added, "already_members": already, "rejected": rejected}

    def _add_batch(self, group_id: str, batch: list[dict[str, str]]) -> _BatchResult:
        """Send one batch (at most 10); drop the members a 400 names and send the rest again.

        Zoom adds nobody of a batch it refuses, so the others are sent once more; a 400 that names
        no member of the batch raises. Re-adding a member is a no-op at Zoom, so a retried call
        cannot double anything.
        """
        path = f"im/groups/{group_id}/members"
        pending = list(batch)
        rejected: list[tuple[dict[str, str], str]] = []
        while pending:
            try:
                reply = self.request_json("POST", path, json={"members": pending})
            except ZoomAPIError as exc:
                if isinstance(exc, ZoomReplyError) or exc.status_code != 400:
                    raise
                named = rejected_members(exc.errors, len(pending))
                if not named:
                    raise
                rejected += [(pending[i], reason) for i, reason in sorted(named.items())]
                pending = [m for i, m in enumerate(pending) if i not in named]
                continue
            return self._confirm_added(group_id, pending, reply, rejected)
        return _BatchResult([], [], rejected)

    def _confirm_added(
        self, group_id: str, sent: list[dict[str, str]], reply: dict[str, Any], rejected: list
    ) -> _BatchResult:
        """Who Zoom's 201 (``{"ids": "id1,id2", "added_at"}``) says was added; the member list when it says fewer."""
        ids = reply.get("ids")
        reply_ids = [i.strip() for i in ids.split(",") if i.strip()] if isinstance(ids, str) else None
        if reply_ids is not None and len(reply_ids) >= len(sent):
            return _BatchResult(list(sent), [], rejected)
        listed = self.list_im_group_members(group_id)
        by_email = {str(m.get("email") or "").lower(): m.get("id") for m in listed}
        listed_ids = {m.get("id") for m in listed}
        added, already, missing = [], [], []
        for member in sent:
            member_id = member.get("id") if member.get("id") in listed_ids else by_email.get(
                str(member.get("email") or "").lower()
            )
            if member_id is None:
                missing.append((member, "Zoom answered HTTP 201 but the member is not in the group"))
            elif reply_ids is None or member_id in reply_ids:
                added.append(member)
            else:
                already.append(member)  # in the group, yet not among the ids Zoom added: it was there before
        return _BatchResult(added, already, rejected + missing)

    def _paginate(self, path: str, key: str, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"page_size": page_size} if page_size else {}
        while True:
            body = self.request("GET", path, params=params, parse=functools.partial(_page, key=key))
            yield from body.get(key) or []
            token = body.get("next_page_token")
            if not token:
                return
            params = {**params, "next_page_token": str(token)}

    def test_connection(self) -> tuple[bool, str]:
        """Fetch a token and list IM groups: proves credentials, account and scope in one go."""
        try:
            groups = self.list_im_groups()
        except Exception as exc:  # noqa: BLE001 - the UI shows the message; it never carries the secret
            return False, str(exc)
        return True, f"Connected to Zoom account {self.credentials.account_id!r}: {len(groups)} IM groups visible"


@dataclass(frozen=True)
class _BatchResult:
    added: list[dict[str, str]]
    already_members: list[dict[str, str]]
    rejected: list[tuple[dict[str, str], str]]


def _created_group(method: str, path: str, response: requests.Response) -> dict[str, Any]:
    """A 201 of ``POST /im/groups`` must name the group's id; without it the outcome has no use."""
    body = json_object(method, path, response)
    group_id = body.get("id")
    if not isinstance(group_id, str) or not group_id.strip():
        raise ZoomReplyError(method, path, response.status_code, "no group id in its body")
    return body


def _page(method: str, path: str, response: requests.Response, *, key: str) -> dict[str, Any]:
    """One page of a listing: an object whose ``key`` is a list of objects."""
    body = json_object(method, path, response)
    items = body.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ZoomReplyError(method, path, response.status_code, f'a "{key}" field that is not a list of objects')
    return body


def _is_loopback(hostname: str) -> bool:
    if hostname.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def _show(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@functools.cache
def _version() -> str:
    from airflow_provider_zoom import __version__

    return __version__
