"""ZoomHook: Zoom REST API calls with Server-to-Server OAuth, retries and one reusable session."""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import requests
from airflow.providers.http.hooks.http import HttpHook
from requests_toolbelt.adapters.socket_options import TCPKeepAliveAdapter

from airflow_provider_zoom._defaults import DEFAULT_API_URL, DEFAULT_CONN_ID, ON_CONFLICT_CHOICES
from airflow_provider_zoom._transport import group_api_memory
from airflow_provider_zoom._transport.config import ZoomConnectionConfig
from airflow_provider_zoom._transport.http_session import EnvironmentOnceSession
from airflow_provider_zoom._transport.oauth import S2SCredentials, ZoomBearerAuth
from airflow_provider_zoom._transport.rate_limit import Pacer, RateLimits, category_of, shared_pacer
from airflow_provider_zoom._transport.retries import (
    RetryPolicy,
    call_with_retries,
    created_object,
    json_object,
    outcome_unknown,
    page_of,
    raise_for_reply,
    zoom_error_fields,
)
from airflow_provider_zoom._transport.slot_stores import SlotStore, line_key, slot_store
from airflow_provider_zoom._transport.token_cache import ProcessTokenCache, token_cache
from airflow_provider_zoom.exceptions import (
    ZoomAPIError,
    ZoomConfigError,
    ZoomError,
    ZoomGroupExistsError,
    ZoomIMGroupsGoneError,
    ZoomInvalidInput,
    ZoomRateLimitError,
    ZoomReplyError,
)
from airflow_provider_zoom.group_spec import GroupSpec, group_key
from airflow_provider_zoom.hooks._contact_groups import is_im_groups_gone
from airflow_provider_zoom.hooks._members import email_list, rejected_members

if TYPE_CHECKING:
    from airflow_provider_zoom.hooks._contact_groups import ContactGroupsAPI

__all__ = ["GroupOutcome", "GroupWithMembersOutcome", "RetryPolicy", "ZoomConnectionConfig", "ZoomHook"]

MAX_MEMBERS_PER_ADD = 10  # Swagger: POST /im/groups/{groupId}/members takes at most 10 members
MEMBERS_PAGE_SIZE = 300  # Swagger: maximum page_size of GET /im/groups/{groupId}/members
GROUP_NAME_IN_USE = 4132
GROUP_NOT_FOUND = 4130  # Swagger: "Group does not exist:{groupId}."
_CREATED = functools.partial(created_object, id_key="id")  # a 201 of POST /im/groups names its id


@dataclass(frozen=True)
class GroupOutcome:
    """What asking Zoom for a group ended in; ``created`` also covers a create confirmed by a 409 retry."""

    status_code: int
    outcome: str  # "created" | "exists"
    group_id: str | None
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"status_code": self.status_code, "outcome": self.outcome, "group_id": self.group_id, "name": self.name}


@dataclass(frozen=True)
class GroupWithMembersOutcome(GroupOutcome):
    """A group created with its members in the same call (IM Groups: added right after the 201).

    ``members_added`` and ``members_rejected`` (``{"email", "reason"}``) are who Zoom took and refused; the
    others (an add that failed after the create) are still owed, and the wave's members step adds them.
    """

    members_added: tuple[str, ...] = ()
    members_rejected: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "members_added": list(self.members_added),
                "members_rejected": [dict(r) for r in self.members_rejected]}


class ZoomHook(HttpHook):
    """
    Talk to the Zoom REST API as a Server-to-Server OAuth app.

    Connection: login = client ID, password = client secret, host = API base URL (default
    ``https://api.zoom.us/v2``), extras as listed in the connection form (``account_id``, ``oauth_url``,
    ``plan``, ``light_rps``, ``medium_rps``, ``heavy_rps``, ``rate_limiter``, ``rate_limiter_conn_id``,
    ``timeout``, ``connect_timeout``, ``read_timeout``, ``max_attempts``, ``max_retry_seconds``,
    ``credential_cache``, ``credential_cache_dir``, ``proxies``, ``verify``). Every setting is resolved once
    into ``hook.config`` (a frozen ``ZoomConnectionConfig``):
    hook argument, then connection extra, then default. Arguments left at None take the connection's value.

    Every call goes through one path (``request``): pacing, token renewal, retries, Zoom's error parsing.
    HttpHook's ``run()`` and ``check_response()`` take that path too; ``run_and_check()`` and
    ``run_with_advanced_retry()`` refuse, naming what to call instead.

    :param zoom_conn_id: Airflow connection of type ``zoom``.
    :param account_id: the Zoom account ID (extra ``account_id``).
    :param oauth_url: Zoom's token endpoint (extra ``oauth_url``, formerly ``oauth_token_url``).
    :param timeout: ``(connect, read)`` seconds or one number for both (extras ``timeout``, ``connect_timeout``,
        ``read_timeout``; default 10 / 30).
    :param retry_policy: how transient failures (429, 5xx, network) are retried; wins over the extras
        ``max_attempts`` / ``max_retry_seconds``.
    :param max_attempts: attempts per call, the first included (default 10).
    :param max_retry_seconds: bound on the time one call spends retrying (default 300).
    :param plan: pace requests to this Zoom plan's per-second limits (``free``, ``pro``, ``business``),
        shared by every hook of the process; ``light_rps`` / ``medium_rps`` set explicit rates. Unset: no pacing.
    :param rate_limiter: who shares that pacing: ``process`` (default; each process paces itself), ``machine``
        (every process of the worker, through files beside the token cache) or ``redis`` (every worker of the
        deployment, through the Redis of the Airflow connection ``rate_limiter_conn_id``; needs the ``redis``
        extra). With a shared one, any number of tasks together keep to the plan's limits.
    :param rate_limiter_conn_id: the Airflow Redis connection of ``rate_limiter="redis"`` (default
        ``redis_default``).
    :param credential_cache: where access tokens are kept: ``file`` (default, shared by the processes of a
        machine) or ``process``.
    :param credential_cache_dir: the folder of the ``file`` cache (default ``$AIRFLOW_HOME/.zoom_tokens``).
    :param proxies: ``{"https": "http://proxy:3128"}``; the environment's ``HTTPS_PROXY`` applies without it.
    :param verify: ``True``, ``False`` or the path of a CA bundle.
    :param pool_size: keep-alive connections kept open, for threads sharing the hook (default 10).
    :param method: the HTTP method of ``run()``, as HttpHook's.
    """

    conn_name_attr = "zoom_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "zoom"
    hook_name = "Zoom"
    default_host = DEFAULT_API_URL
    #: ``False``: a daily-limit 429 raises ``ZoomRateLimitError`` at once, even when its reset is near enough
    #: to sleep through; the deferrable wave operators set it to free their worker slot instead.
    wait_daily_limits: bool = True

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
        *,
        zoom_conn_id: str = default_conn_name,
        account_id: str | None = None,
        oauth_url: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        retry_policy: RetryPolicy | None = None,
        max_attempts: int | None = None,
        max_retry_seconds: float | None = None,
        plan: str | None = None,
        light_rps: float | None = None,
        medium_rps: float | None = None,
        heavy_rps: float | None = None,
        rate_limiter: str | None = None,
        rate_limiter_conn_id: str | None = None,
        group_api: str | None = None,
        credential_cache: str | None = None,
        credential_cache_dir: str | os.PathLike | None = None,
        proxies: dict[str, str] | None = None,
        verify: bool | str | None = None,
        pool_size: int | None = None,
        method: str = "GET",
        **kwargs: Any,
    ) -> None:
        kwargs.pop("http_conn_id", None)
        super().__init__(method=method, http_conn_id=zoom_conn_id, **kwargs)
        self.zoom_conn_id = zoom_conn_id
        # Hook arguments, merged over the connection's extras in one place: ``config``.
        self.hook_arguments: dict[str, Any] = {
            "account_id": account_id,
            "oauth_url": oauth_url,
            "timeout": timeout,
            "retry_policy": retry_policy,
            "max_attempts": max_attempts,
            "max_retry_seconds": max_retry_seconds,
            "plan": plan,
            "light_rps": light_rps,
            "medium_rps": medium_rps,
            "heavy_rps": heavy_rps,
            "rate_limiter": rate_limiter,
            "rate_limiter_conn_id": rate_limiter_conn_id,
            "group_api": group_api,
            "credential_cache": credential_cache,
            "credential_cache_dir": credential_cache_dir,
            "proxies": proxies,
            "verify": verify,
            "pool_size": pool_size,
        }
        self._group_index: tuple[dict[str, dict[str, Any]], float] = ({}, float("-inf"))
        self._group_index_lock = threading.Lock()
        self._contact_groups: ContactGroupsAPI | None = None
        self._members_wait_for_reset = False  # a daily-limit 429 on a member add: creates go on without members

    # -- settings ---------------------------------------------------------------------------------
    # Resolved once, each value checked: a wrong one raises ``ZoomConfigError`` naming the field, a
    # permanent error (the task fails without Airflow retries).

    @functools.cached_property
    def config(self) -> ZoomConnectionConfig:
        """Every setting: hook argument, then connection extra, then default."""
        return ZoomConnectionConfig.resolve(
            self.zoom_conn_id, self.get_connection(self.zoom_conn_id), self.hook_arguments
        )

    @functools.cached_property
    def credentials(self) -> S2SCredentials:
        credentials = self.config.credentials
        credentials.register_with_masker()
        return credentials

    @property
    def timeout(self) -> tuple[float, float]:
        return self.config.timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        policy = self.config.retry_policy
        return policy if self.wait_daily_limits else replace(policy, wait_daily_limits=False)

    @functools.cached_property
    def rate_limits(self) -> RateLimits | None:
        return self.config.rate_limits

    @functools.cached_property
    def token_cache(self) -> ProcessTokenCache:
        return token_cache(self.config.credential_cache, self.config.credential_cache_dir)

    def check_config(self) -> None:
        """Read every setting now, so that a wrong one fails before any call (``ZoomConfigError``)."""
        self._session  # noqa: B018 - the config, and the session built from it

    def _pacer(self, method: str, path: str) -> Pacer | None:
        limits = self.rate_limits
        if limits is None:
            return None
        category = category_of(method, path)
        rate = getattr(limits, category)
        if not rate:
            return None
        return shared_pacer(line_key(self.config.api_url, self.config.account_id, category), rate, self._slots)

    @functools.cached_property
    def _slots(self) -> SlotStore:
        """Where the pacing's slots are reserved: this process, this machine, or Redis (``rate_limiter``)."""
        config = self.config
        return slot_store(config.rate_limiter, directory=config.rate_limiter_dir, conn_id=config.rate_limiter_conn_id)

    def _set_base_url(self, connection: Any = None) -> None:
        """HttpHook's base URL is the config's: https assumed, plain http only to a loopback address."""
        self.base_url = self.config.api_url
        self._base_url_initialized = True

    def get_conn(self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None):
        """The hook's one session (HttpHook builds a new one on every call, losing keep-alive).

        ``headers`` become defaults of that session. ``extra_options`` are refused: the session's settings
        are the connection's (``hook.config``).
        """
        if extra_options:
            raise ZoomConfigError(
                f"ZoomHook.get_conn() takes no extra_options ({', '.join(map(str, extra_options))}): the session is "
                "built from hook.config; pass timeout, proxies or verify as ZoomHook arguments or connection extras"
            )
        session = self._session
        if headers:
            session.headers.update(headers)
        return session

    @functools.cached_property
    def _session(self) -> requests.Session:
        config = self.config
        self._set_base_url()
        session = EnvironmentOnceSession()
        # Never HttpHook's Basic auth with login/password: the secret goes to the token endpoint only.
        session.auth = ZoomBearerAuth(self.credentials, session, config.timeout, self.token_cache)
        session.proxies = dict(config.proxies)
        if config.verify is not None:
            session.verify = config.verify
        session.headers["User-Agent"] = f"airflow-provider-zoom/{_version()}"
        self._configure_session_from_mount_adapters(session)
        if config.pool_size:
            adapter = TCPKeepAliveAdapter(idle=120, count=20, interval=30, pool_maxsize=config.pool_size)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        return session

    # -- HttpHook's calls, on the Zoom path ---------------------------------------------------------

    def run(
        self,
        endpoint: str | None = None,
        data: dict[str, Any] | str | None = None,
        headers: dict[str, Any] | None = None,
        extra_options: dict[str, Any] | None = None,
        **request_kwargs: Any,
    ) -> requests.Response:
        """HttpHook's ``run``, sent by ``request(self.method, endpoint, ...)``: paced, token renewed, retried.

        ``data`` goes as query parameters of a GET, as the body otherwise (as in HttpHook). Returns the
        ``requests.Response`` of a 2xx/3xx; a 4xx/5xx raises ``ZoomAPIError`` with Zoom's code and message.
        Of HttpHook's ``extra_options`` only ``timeout`` is taken (``check_response`` must stay true).
        """
        if not endpoint:
            raise TypeError("ZoomHook.run() needs the endpoint, a path under the API base URL such as 'im/groups'")
        options = dict(extra_options or {})
        if "timeout" in options:
            request_kwargs.setdefault("timeout", options.pop("timeout"))
        if options.get("check_response", True) is True:
            options.pop("check_response", None)
        if options:
            raise ZoomConfigError(
                f"ZoomHook.run() does not take extra_options {sorted(options)}: a non-2xx reply always raises "
                "ZoomAPIError (catch it, it has status_code, code and message), and proxies, verify and the "
                "retries are connection settings (hook.config)"
            )
        if data is not None:
            if self.method == "GET":
                request_kwargs.setdefault("params", data)
            elif self.method != "HEAD":
                request_kwargs.setdefault("data", data)
        if headers:
            request_kwargs["headers"] = {**headers, **(request_kwargs.get("headers") or {})}
        return self.request(self.method, endpoint, **request_kwargs)

    def check_response(self, response: requests.Response) -> None:
        """Raise ``ZoomAPIError`` (Zoom's code, message and field errors, secrets redacted) for a 4xx/5xx reply."""
        if response.status_code < 400:
            return
        prepared = response.request
        method = (prepared.method if prepared is not None else None) or self.method
        path = urlsplit(prepared.url or "").path if prepared is not None else ""
        api_path = urlsplit(self.config.api_url).path.rstrip("/")
        if api_path and path.startswith(api_path + "/"):
            path = path[len(api_path):]
        secrets = _bearer_auth(self._session).secrets(prepared)
        try:
            raise_for_reply(method, path or "/", response, secrets)
        except ZoomRateLimitError as exc:  # a daily limit: no retry decides on it here
            raise ZoomRateLimitError(
                exc.method, exc.path, exc.category, exc.reset_at, exc.zoom_message or "", exc.retry_after
            ) from None

    def run_and_check(self, session: requests.Session, prepped_request: requests.PreparedRequest,
                      extra_options: dict[Any, Any]) -> Any:
        """Refused: a prepared request would skip pacing, token renewal and retries."""
        raise TypeError(
            "ZoomHook.run_and_check() would send a prepared request outside the Zoom path (pacing, token renewal, "
            "retries, error parsing): call ZoomHook.run(endpoint, data=...) or ZoomHook.request(method, path, ...)"
        )

    def run_with_advanced_retry(self, _retry_args: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        """Refused: the hook retries every call itself; a second retry loop around it would multiply attempts."""
        raise TypeError(
            "ZoomHook.run_with_advanced_retry() is not supported: every ZoomHook call already retries 429s (after "
            "Zoom's Retry-After), 5xx replies, network failures and rejected tokens. Call ZoomHook.run(...) and "
            "tune the retries with the retry_policy / max_attempts / max_retry_seconds hook arguments or the "
            "max_attempts / max_retry_seconds connection extras"
        )

    # -- requests -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        attempts: list | None = None,
        parse: Callable[[str, str, requests.Response], Any] | None = None,
        retry_unknown_outcome: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Send one API call with the retry policy; raise ``ZoomAPIError`` on a non-2xx reply.

        :param attempts: receives one entry per failed attempt, so a caller can tell whether an
            earlier attempt may have been carried out by Zoom.
        :param retry_unknown_outcome: ``False``: no new attempt after a failure that Zoom may have carried
            out (timeout, 5xx, dropped connection); the error is raised for the caller to look first.
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
            retry_unknown_outcome=retry_unknown_outcome,
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
            _bearer_auth(session).invalidate(response.request)
            response = self._send_paced(session, pacer, method, url, **kwargs)
        shown_path = "/" + path.lstrip("/")
        if response.status_code >= 400:
            if response.status_code == 429 and pacer is not None:
                pacer.slow_down()
            secrets = _bearer_auth(session).secrets(first.request, response.request)
            raise_for_reply(method, shown_path, response, secrets)
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
            body = self.request("POST", "im/groups", files=files, attempts=attempts, parse=_CREATED)
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
        """Every IM group of the account (``GET /im/groups``, all pages)."""
        return list(self._paginate("im/groups", "groups"))

    def get_im_group(self, group_id: str) -> dict[str, Any]:
        """One IM group (``GET /im/groups/{groupId}``)."""
        return self.request_json("GET", f"im/groups/{group_id}")

    def find_im_group_by_name(self, name: str) -> dict[str, Any] | None:
        """Zoom has no lookup by name; names are unique per account regardless of case."""
        return self._group_named(name, seen_after=time.monotonic())

    def list_im_group_members(self, group_id: str) -> list[dict[str, Any]]:
        """Every member of an IM group, 300 per page (Zoom's largest)."""
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
        result: dict[str, Any] = {"group_id": group_id, "added": [], "rejected": [],
                                  "already_members": [e for e in wanted if e in current]}
        self._add_emails(group_id, [e for e in wanted if e not in current], result)
        return result

    def _add_emails(self, group_id: str, to_add: list[str], result: dict[str, Any]) -> None:
        """Add ``to_add`` 10 per call, recording each batch in ``result`` as it is answered: a failure part-way
        leaves there who is in already."""
        for start in range(0, len(to_add), MAX_MEMBERS_PER_ADD):
            batch = self._add_batch(group_id, [{"email": e} for e in to_add[start : start + MAX_MEMBERS_PER_ADD]])
            result["added"] += [m["email"] for m in batch.added]
            result["already_members"] += [m["email"] for m in batch.already_members]
            result["rejected"] += [{"email": m["email"], "reason": reason} for m, reason in batch.rejected]
        if result["rejected"]:
            self.log.warning(
                "IM group %s: Zoom refused %d of %d members: %s", group_id, len(result["rejected"]), len(to_add),
                "; ".join(f"{r['email']}: {r['reason']}" for r in result["rejected"][:20]),
            )

    def _create_im_group_with_members(self, spec: GroupSpec, on_conflict: str, members: Any) -> GroupOutcome:
        """Create the group and, when this call created it, add ``members`` right away (Medium, beside the
        other threads' creates on Light).

        The add is best effort: a failure after the create is logged and the group still reported created with
        who got in, so the members step adds the rest. A daily-limit 429 stops member adds for the rest of the
        wave (creates go on); the members step meets that limit itself.
        """
        wanted = list(dict.fromkeys(e.lower() for e in email_list(members, "members")))
        outcome = self.create_im_group(spec, on_conflict=on_conflict)
        if outcome.outcome != "created" or not wanted or outcome.group_id is None or self._members_wait_for_reset:
            return outcome
        result: dict[str, Any] = {"added": [], "already_members": [], "rejected": []}
        try:
            self._add_emails(outcome.group_id, wanted, result)
        except ZoomRateLimitError as exc:
            if not self._members_wait_for_reset:
                self._members_wait_for_reset = True
                self.log.warning("Member adds stop for this wave (the members step adds them): %s", exc)
        except (ZoomError, requests.RequestException) as exc:
            self.log.warning("IM group %r was created; adding its members failed (%s): the members step adds the "
                             "%d not in yet", spec.name, exc, len(wanted) - len(result["added"]))
        return GroupWithMembersOutcome(
            outcome.status_code, outcome.outcome, outcome.group_id, outcome.name,
            tuple(result["added"] + result["already_members"]), tuple(result["rejected"]),
        )

    def plan_im_group_members(
        self, group_id: str | None, emails: Any, *, keep: Any = None, list_current: bool = True
    ) -> dict[str, Any]:
        """What reconciling an IM group with ``emails`` would do, from list calls only (nothing is written).

        ``group_id`` None: the group does not exist yet (everyone is to be added). ``keep`` (emails, default
        None: nobody is removed) is who may stay; the other current members are in ``remove``.
        """
        wanted = list(dict.fromkeys(e.lower() for e in email_list(emails, "emails")))
        current = self.list_im_group_members(group_id) if group_id and (list_current or keep is not None) else []
        by_email = {str(m.get("email") or "").lower(): str(m.get("id") or "") for m in current}
        kept = None if keep is None else {e.lower() for e in email_list(keep, "keep")} | set(wanted)
        return {
            "group_id": group_id,
            "members": len(current),
            "add": [e for e in wanted if e not in by_email],
            "already_members": [e for e in wanted if e in by_email],
            "pending": [],
            "rejected": [],
            "remove": [] if kept is None else [
                {"id": member_id, "email": email} for email, member_id in sorted(by_email.items()) if email not in kept
            ],
        }

    def remove_im_group_members(self, group_id: str, members: Iterable[dict[str, str]]) -> list[str]:
        """Remove members (``{"id", "email"}``, as ``plan_im_group_members`` lists them) one call each (Zoom's
        ``DELETE /im/groups/{groupId}/members/{memberId}``, Light); return the emails removed. A member Zoom
        no longer finds (a 404 other than code 4130, "group does not exist") was removed meanwhile: not counted.
        """
        removed: list[str] = []
        for member in members:
            path = f"im/groups/{group_id}/members/{quote(str(member['id']), safe='')}"
            try:
                self.request("DELETE", path)
            except ZoomAPIError as exc:
                if isinstance(exc, ZoomReplyError) or exc.status_code != 404 or str(exc.code) == str(GROUP_NOT_FOUND):
                    raise
                continue
            removed.append(member.get("email") or member["id"])
        return removed

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
            body = self.request("GET", path, params=params, parse=functools.partial(page_of, keys=(key,)))
            yield from body["_items"]
            token = body.get("next_page_token")
            if not token:
                return
            params = {**params, "next_page_token": str(token)}

    # -- either group API ------------------------------------------------------------------------
    # What the operators and DAGs call: IM Groups or Contact Groups, as the connection's ``group_api`` says.

    @property
    def contact_groups(self) -> ContactGroupsAPI:
        """The Contact Groups operations over this hook (one user cache and group index per hook, shared by
        the threads of a wave: built once, under a lock)."""
        from airflow_provider_zoom.hooks._contact_groups import ContactGroupsAPI

        with _SWITCH_LOCK:
            if self._contact_groups is None:
                self._contact_groups = ContactGroupsAPI(self)
            return self._contact_groups

    @property
    def group_api(self) -> str:
        """``im_groups`` or ``contact_groups``: the setting, or with ``auto`` what this account answered before."""
        setting = self.config.group_api
        if setting != "auto":
            return setting
        return group_api_memory.recall(self.credentials, self.config.credential_cache_dir) or "im_groups"

    def create_group(
        self, spec: GroupSpec, *, on_conflict: str = "reuse", description: str | None = None, members: Any = ()
    ) -> GroupOutcome:
        """Create the spec's group on the connection's group API; ``created`` or ``exists``, always with an id.

        On Contact Groups the IM type maps to a privacy (normal 2, shared 1, restricted 3), ``description`` is
        sent, and ``members`` (emails) go out in the create call where they fit. On IM Groups ``members`` are
        added right after a create (10 per call); a group that existed gets none here (reconcile adds them).
        Either way the outcome's ``members_added`` / ``members_rejected`` say who got in and who Zoom refused.
        """
        return self._on_group_api(
            lambda: self._create_im_group_with_members(spec, on_conflict, members),
            lambda: self.contact_groups.create_group_from_spec(
                spec, on_conflict=on_conflict, description=description, members=members
            ),
        )

    def add_members(
        self, group_id: str, emails: Any, *, only_missing: bool = False, name: str | None = None
    ) -> dict[str, Any]:
        """Add people by email on the connection's group API: ``{"group_id", "added", "already_members",
        "rejected", "pending"}``; ``pending`` (Contact Groups) are people not in Zoom yet or not active yet."""
        return self._on_group_api(
            lambda: {**self.add_members_by_email(group_id, emails, only_missing=only_missing), "pending": []},
            lambda: self.contact_groups.add_members_by_email(group_id, emails, only_missing=only_missing, name=name),
        )

    def plan_members(
        self, group_id: str | None, emails: Any, *, keep: Any = None, list_current: bool = True
    ) -> dict[str, Any]:
        """What reconciling a group with ``emails`` would do on the connection's group API; reads only.

        Returns ``{"group_id", "members", "add", "already_members", "pending", "rejected", "remove":
        [{"id", "email"}]}``: ``members`` is how many people the group has now, ``remove`` its members
        whose email is not in ``keep`` (None: nobody). ``group_id`` None plans a group not created yet.
        """
        return self._on_group_api(
            lambda: self.plan_im_group_members(group_id, emails, keep=keep, list_current=list_current),
            lambda: self.contact_groups.plan_members(group_id, emails, keep=keep, list_current=list_current),
        )

    def remove_members(self, group_id: str, members: list[dict[str, str]]) -> list[str]:
        """Remove the members ``plan_members`` listed in ``remove``; returns their emails (paced by category)."""
        return self._on_group_api(
            lambda: self.remove_im_group_members(group_id, members),
            lambda: self.contact_groups.remove_planned(group_id, members),
        )

    def find_group(self, name: str) -> dict[str, Any] | None:
        """The group of ``name`` (``{"group_id", "name"}``) on the connection's group API, or None; reads only."""

        def im() -> dict[str, Any] | None:
            group = self.find_im_group_by_name(name)
            return {"group_id": group.get("id"), "name": group.get("name") or name} if group else None

        def contact() -> dict[str, Any] | None:
            group = self.contact_groups.find_group(name, max_age=60.0)
            return {"group_id": group["group_id"], "name": group.get("group_name") or name} if group else None

        return self._on_group_api(im, contact)

    def list_groups(self) -> list[dict[str, Any]]:
        """The account's groups on the connection's group API (IM groups or contact groups, as Zoom lists them)."""
        return self._on_group_api(self.list_im_groups, self.contact_groups.list_groups)

    def _on_group_api(self, im_call: Callable[[], Any], contact_call: Callable[[], Any]) -> Any:
        if self.group_api == "contact_groups":
            return contact_call()
        try:
            return im_call()
        except ZoomAPIError as exc:
            if not is_im_groups_gone(exc):
                raise
            if self.config.group_api == "im_groups":
                raise ZoomIMGroupsGoneError(exc.method, exc.path, exc.zoom_message, self.zoom_conn_id) from None
            self._switch_to_contact_groups()
        return contact_call()

    def _switch_to_contact_groups(self) -> None:
        with _SWITCH_LOCK:
            if group_api_memory.recall(self.credentials, self.config.credential_cache_dir) == "contact_groups":
                return
            group_api_memory.remember(self.credentials, self.config.credential_cache_dir, "contact_groups")
        self.log.warning(
            "Zoom answered 410 (code 4137): the IM Groups API is retired for account %r. Switching connection %r "
            "to Contact Groups, remembered for later tasks. To skip this probe, set the connection's extra "
            'group_api to "contact_groups".',
            self.credentials.account_id, self.zoom_conn_id,
        )

    def test_connection(self) -> tuple[bool, str]:
        """Fetch a token and list the groups: proves credentials, account and scope in one go."""
        try:
            groups = self.list_groups()
        except Exception as exc:  # noqa: BLE001 - the UI shows the message; it never carries the secret
            return False, str(exc)
        kind = "contact groups" if self.group_api == "contact_groups" else "IM groups"
        return True, f"Connected to Zoom account {self.credentials.account_id!r}: {len(groups)} {kind} visible"


_SWITCH_LOCK = threading.RLock()


@dataclass(frozen=True)
class _BatchResult:
    added: list[dict[str, str]]
    already_members: list[dict[str, str]]
    rejected: list[tuple[dict[str, str], str]]


def _bearer_auth(session: requests.Session) -> ZoomBearerAuth:
    auth = session.auth
    if not isinstance(auth, ZoomBearerAuth):
        raise TypeError("the ZoomHook session's auth was replaced; Zoom calls need its ZoomBearerAuth")
    return auth


@functools.cache
def _version() -> str:
    from airflow_provider_zoom import __version__

    return __version__
