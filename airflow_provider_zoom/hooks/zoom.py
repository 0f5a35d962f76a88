"""ZoomHook: Zoom REST API calls with Server-to-Server OAuth, retries and one reusable session."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import requests
from airflow.providers.http.hooks.http import HttpHook
from requests_toolbelt.adapters.socket_options import TCPKeepAliveAdapter

from airflow_provider_zoom._defaults import DEFAULT_API_URL, DEFAULT_CONN_ID
from airflow_provider_zoom._deprecation import retired_names
from airflow_provider_zoom._transport.config import ZoomConnectionConfig
from airflow_provider_zoom._transport.http_session import EnvironmentOnceSession
from airflow_provider_zoom._transport.oauth import S2SCredentials, ZoomBearerAuth
from airflow_provider_zoom._transport.rate_limit import Pacer, RateLimits, category_of, shared_pacer
from airflow_provider_zoom._transport.requester import bearer_auth, send
from airflow_provider_zoom._transport.retries import RetryPolicy, json_object, raise_for_reply
from airflow_provider_zoom._transport.slot_stores import SlotStore, line_key, slot_store
from airflow_provider_zoom._transport.token_cache import ProcessTokenCache, token_cache
from airflow_provider_zoom.exceptions import ZoomConfigError, ZoomRateLimitError
from airflow_provider_zoom.groups.base import GroupOutcome

if TYPE_CHECKING:
    from airflow_provider_zoom.group_spec import GroupSpec
    from airflow_provider_zoom.groups.base import GroupRef, MemberPlan, MembersAdded, PlannedRemoval, RemovalCallback
    from airflow_provider_zoom.groups.contact.backend import ContactGroups
    from airflow_provider_zoom.groups.im import IMGroups
    from airflow_provider_zoom.groups.selection import SelectedGroups

__all__ = ["GroupOutcome", "RetryPolicy", "ZoomConnectionConfig", "ZoomHook"]


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

    Groups: ``hook.groups`` is the group API the connection selects (``group_api``: ``im_groups``,
    ``contact_groups`` or ``auto``), an ``airflow_provider_zoom.groups.base.GroupAPI``; the hook's own group
    methods delegate to it.

    Every call goes through one path (``request``, ``_transport.requester``): pacing, token renewal, retries,
    Zoom's error parsing.
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
    :param group_api: ``im_groups``, ``contact_groups`` or ``auto`` (default: try IM Groups, switch to Contact
        Groups for good when Zoom answers that IM Groups are retired for the account).
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
        self._groups: SelectedGroups | None = None
        self._groups_lock = threading.Lock()

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
        secrets = bearer_auth(self._session).secrets(prepared)
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
        return send(
            session, self.base_url, method, path, policy=self.retry_policy, pacer=self._pacer(method, path),
            log=self.log, default_timeout=self.timeout, attempts=attempts, parse=parse,
            retry_unknown_outcome=retry_unknown_outcome, **kwargs,
        )

    def request_json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """``request`` whose reply must be the JSON object Zoom documents (else ``ZoomReplyError``)."""
        return self.request(method, path, parse=json_object, **kwargs)

    # -- groups ---------------------------------------------------------------------------------

    @property
    def groups(self) -> SelectedGroups:
        """The group API the connection selects (``group_api``: IM Groups, Contact Groups, or ``auto``), as a
        ``GroupAPI``: ``list_groups``, ``find_group``, ``create_group``, ``add_members``, ``plan_members``,
        ``remove_members``. One per hook: the threads of a wave share its user cache and name index."""
        from airflow_provider_zoom.groups.selection import SelectedGroups

        with self._groups_lock:  # built once, also when a wave's threads ask first
            if self._groups is None:
                self._groups = SelectedGroups(self, setting=self.config.group_api, credentials=self.credentials,
                                              memory_dir=self.config.credential_cache_dir, conn_id=self.zoom_conn_id)
            return self._groups

    @property
    def group_api(self) -> str:
        """``im_groups`` or ``contact_groups``: the setting, or with ``auto`` what this account answered before."""
        return self.groups.api_name

    def create_group(
        self, spec: GroupSpec, *, on_conflict: str = "reuse", description: str | None = None, members: Any = ()
    ) -> GroupOutcome:
        """``hook.groups.create_group``: the spec's group on the connection's group API, ``created`` or ``exists``."""
        return self.groups.create_group(spec, on_conflict=on_conflict, description=description, members=members)

    def add_members(
        self, group_id: str, emails: Any, *, only_missing: bool = False, name: str | None = None
    ) -> MembersAdded:
        """``hook.groups.add_members``: ``{"group_id", "added", "already_members", "rejected", "pending"}``."""
        return self.groups.add_members(group_id, emails, only_missing=only_missing, name=name)

    def plan_members(
        self, group_id: str | None, emails: Any, *, keep: Any = None, list_current: bool = True
    ) -> MemberPlan:
        """``hook.groups.plan_members``: what reconciling a group with ``emails`` would do; reads only."""
        return self.groups.plan_members(group_id, emails, keep=keep, list_current=list_current)

    def remove_members(
        self, group_id: str, members: list[PlannedRemoval], *, on_removed: RemovalCallback | None = None
    ) -> list[str]:
        """``hook.groups.remove_members``: remove what ``plan_members`` listed in ``remove``; returns emails
        (``on_removed``: called per person as Zoom confirms)."""
        return self.groups.remove_members(group_id, members, on_removed=on_removed)

    def find_group(self, name: str) -> GroupRef | None:
        """``hook.groups.find_group``: ``{"group_id", "name"}`` or None; reads only."""
        return self.groups.find_group(name)

    def list_groups(self) -> list[dict[str, Any]]:
        """``hook.groups.list_groups``: the account's groups on the connection's group API."""
        return self.groups.list_groups()

    @property
    def contact_groups(self) -> ContactGroups:
        """The Contact Groups backend of this hook, whatever ``group_api`` says."""
        return cast("ContactGroups", self.groups.backend("contact_groups"))

    @property
    def im_groups(self) -> IMGroups:
        """The IM Groups backend of this hook, whatever ``group_api`` says."""
        return cast("IMGroups", self.groups.backend("im_groups"))

    # IM Groups' own calls, kept for DAGs written against 0.1 (the same as ``hook.im_groups``'s).

    def create_im_group(self, spec: GroupSpec, *, on_conflict: str = "reuse") -> GroupOutcome:
        """``hook.im_groups.create``: an IM group, "name in use" (409, code 4132) reported as ``exists``."""
        return self.im_groups.create(spec, on_conflict=on_conflict)

    def list_im_groups(self) -> list[dict[str, Any]]:
        return self.im_groups.list_groups()

    def get_im_group(self, group_id: str) -> dict[str, Any]:
        return self.im_groups.get_group(group_id)

    def find_im_group_by_name(self, name: str) -> dict[str, Any] | None:
        return self.im_groups.group_named(name)

    def list_im_group_members(self, group_id: str) -> list[dict[str, Any]]:
        return self.im_groups.list_members(group_id)

    def add_members_by_email(self, group_id: str, emails: Any, *, only_missing: bool = False) -> dict[str, Any]:
        """IM Groups: ``{"group_id", "added", "already_members", "rejected"}`` (``hook.im_groups.add_members``)."""
        result = dict(self.im_groups.add_members(group_id, emails, only_missing=only_missing))
        result.pop("pending")
        return result

    def plan_im_group_members(
        self, group_id: str | None, emails: Any, *, keep: Any = None, list_current: bool = True
    ) -> dict[str, Any]:
        return dict(self.im_groups.plan_members(group_id, emails, keep=keep, list_current=list_current))

    def remove_im_group_members(self, group_id: str, members: Iterable[PlannedRemoval]) -> list[str]:
        return self.im_groups.remove_members(group_id, members)

    def test_connection(self) -> tuple[bool, str]:
        """Fetch a token and list the groups: proves credentials, account and scope in one go."""
        try:
            groups = self.groups.list_groups()
        except Exception as exc:  # noqa: BLE001 - the UI shows the message; it never carries the secret
            return False, str(exc)
        kind = "contact groups" if self.group_api == "contact_groups" else "IM groups"
        return True, f"Connected to Zoom account {self.credentials.account_id!r}: {len(groups)} {kind} visible"


@functools.cache
def _version() -> str:
    from airflow_provider_zoom import __version__

    return __version__


#: retired in 0.2: one outcome type for every group API
__getattr__ = retired_names(__name__, {"GroupWithMembersOutcome": "airflow_provider_zoom.groups.base:GroupOutcome"})
