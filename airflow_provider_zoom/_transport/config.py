"""Every setting of a Zoom connection, resolved once into one frozen object.

Each setting comes from, in this order: the ``ZoomHook`` argument, the connection's extra (its current
name, then the names it had before), the default. A value that cannot be used raises ``ZoomConfigError``
naming where it came from (``ZoomHook argument "timeout"`` or ``extra "timeout"``) and the value; a
proxy setting is never shown, as a proxy URL may hold a password.

Extras renamed so that Airflow does not mask them as secrets (a name containing "token" is shown as ``***``
in the connection form): ``oauth_url`` (was ``oauth_token_url``), ``credential_cache`` (was
``token_cache``), ``credential_cache_dir`` (was ``token_cache_dir``). The old names are still read.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_zoom._defaults import (
    DEFAULT_API_URL,
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_READ_TIMEOUT_S,
    DEFAULT_TOKEN_URL,
)
from airflow_provider_zoom._transport.oauth import S2SCredentials, check_basic_encodable
from airflow_provider_zoom._transport.rate_limit import PLAN_LIMITS, RateLimits
from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom._transport.slot_stores import DEFAULT_REDIS_CONN_ID, LIMITER_BACKENDS
from airflow_provider_zoom._transport.token_cache import default_token_cache_dir
from airflow_provider_zoom.exceptions import ZoomConfigError

#: Extras read under an earlier name too: current name -> earlier names (the current name wins).
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "oauth_url": ("oauth_token_url",),
    "credential_cache": ("token_cache",),
    "credential_cache_dir": ("token_cache_dir",),
}
#: Every extra the hook reads under its current name; each is a field of the connection form.
EXTRAS: tuple[str, ...] = (
    "account_id",
    "oauth_url",
    "plan",
    "light_rps",
    "medium_rps",
    "heavy_rps",
    "rate_limiter",
    "rate_limiter_conn_id",
    "group_api",
    "timeout",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_seconds",
    "credential_cache",
    "credential_cache_dir",
    "proxies",
    "verify",
)
CREDENTIAL_CACHE_KINDS = ("file", "process")
#: Which Zoom API holds the groups: the retired IM Groups, its successor Contact Groups, or ``auto`` (IM Groups
#: until Zoom answers 410 / code 4137, then Contact Groups, remembered beside the token cache).
GROUP_APIS = ("auto", "im_groups", "contact_groups")
_DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class ZoomConnectionConfig:
    """What a ``ZoomHook`` uses, each value already checked. Built by ``resolve``; the hook reads nothing else."""

    conn_id: str
    api_url: str  # field "host", https assumed; plain http only to a loopback address
    client_id: str
    client_secret: str = field(repr=False)
    account_id: str = ""
    oauth_url: str = DEFAULT_TOKEN_URL
    plan: str | None = None  # free | pro | business; None: no pacing unless a rate is given
    light_rps: float | None = None
    medium_rps: float | None = None
    heavy_rps: float | None = None
    rate_limiter: str = "process"  # process | machine | redis: who shares the pacing (slot_stores)
    rate_limiter_conn_id: str = DEFAULT_REDIS_CONN_ID  # the Airflow Redis connection of rate_limiter "redis"
    group_api: str = "auto"  # auto | im_groups | contact_groups
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S
    read_timeout: float = DEFAULT_READ_TIMEOUT_S
    max_attempts: int = _DEFAULT_POLICY.max_attempts
    max_retry_seconds: float = _DEFAULT_POLICY.max_retry_seconds
    backoff_base_s: float = _DEFAULT_POLICY.backoff_base_s
    backoff_max_s: float = _DEFAULT_POLICY.backoff_max_s
    credential_cache: str = "file"  # file | process
    credential_cache_dir: str | None = None  # the folder of the file cache; None with "process"
    proxies: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    verify: bool | str | None = None  # None: requests' default (verify, REQUESTS_CA_BUNDLE)
    pool_size: int | None = None  # hook argument only

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_attempts, self.max_retry_seconds, self.backoff_base_s, self.backoff_max_s)

    @property
    def rate_limits(self) -> RateLimits | None:
        return RateLimits.resolve(
            plan=self.plan, light_rps=self.light_rps, medium_rps=self.medium_rps, heavy_rps=self.heavy_rps
        )

    @property
    def rate_limiter_dir(self) -> str:
        """The folder of the ``machine`` limiter's files: the token cache's, also when tokens stay in the process."""
        return self.credential_cache_dir or str(default_token_cache_dir())

    @property
    def credentials(self) -> S2SCredentials:
        return S2SCredentials(
            token_url=self.oauth_url, client_id=self.client_id, client_secret=self.client_secret,
            account_id=self.account_id,
        )

    @classmethod
    def resolve(cls, conn_id: str, connection: Any, arguments: Mapping[str, Any] | None = None) -> ZoomConnectionConfig:
        """The settings of ``connection`` with the hook's ``arguments`` (None: not given) over its extras."""
        return _Resolver(conn_id, connection, dict(arguments or {})).config()


class _Resolver:
    def __init__(self, conn_id: str, connection: Any, arguments: dict[str, Any]) -> None:
        self.conn_id = conn_id
        self.connection = connection
        self.arguments = {k: v for k, v in arguments.items() if v is not None and v != ""}  # as an empty extra
        extras = connection.extra_dejson
        self.extras = extras if isinstance(extras, dict) else {}

    # -- where a value comes from -----------------------------------------------------------------

    def extra(self, name: str) -> tuple[Any, str | None]:
        """``(value, key it was read under)``; ``(None, None)`` when unset (missing, null or empty)."""
        for key in (name, *EXTRA_ALIASES.get(name, ())):
            for stored in (key, f"extra__zoom__{key}"):
                value = self.extras.get(stored)
                if value is not None and value != "":
                    return value, key
        return None, None

    def pick(self, name: str, argument: str | None = None) -> tuple[Any, str | None]:
        """Hook argument, then extra: ``(value, where)`` with ``where`` as a message names it; None: default."""
        argument = argument or name
        if argument in self.arguments:
            return self.arguments[argument], f'ZoomHook argument "{argument}"'
        value, key = self.extra(name)
        return value, (f'extra "{key}"' if key else None)

    def error(self, where: str, requirement: str, value: Any) -> ZoomConfigError:
        return ZoomConfigError(f"Zoom connection {self.conn_id!r}: {where} {requirement}, got {_show(value)}")

    # -- checks -----------------------------------------------------------------------------------

    def number(self, where: str, value: Any, *, unit: str = "seconds", positive: bool = True,
               minimum: float = 0.0) -> float:
        try:
            if isinstance(value, bool):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not math.isfinite(number) or number < minimum or (positive and number <= 0):
            raise self.error(where, f"must be a {'positive ' if positive else ''}number of {unit}", value)
        return number

    def secure_url(self, url: str, where: str, what: str) -> str:
        """``url`` with https assumed when it has no scheme; plain http only to a loopback address."""
        url = url.strip()
        if "://" not in url:
            url = f"https://{url}"
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ZoomConfigError(f"Zoom connection {self.conn_id!r}: {where} must be an https:// URL, got {url!r}")
        if scheme == "http" and not _is_loopback(parts.hostname):
            raise ZoomConfigError(
                f"Zoom connection {self.conn_id!r}: {where} is {url!r}, plain http:// would send the {what} "
                "unencrypted. Use https://; http:// is accepted only for loopback addresses (127.0.0.0/8, ::1, "
                "localhost), such as the Zoom emulator."
            )
        return url

    # -- the settings -----------------------------------------------------------------------------

    def config(self) -> ZoomConnectionConfig:
        conn = self.connection
        account_id, _ = self.pick("account_id")
        missing = [
            label
            for label, value in (("Client ID (login)", conn.login), ("Client Secret (password)", conn.password),
                                 ("Account ID (extra account_id)", account_id))
            if not value
        ]
        if missing:
            raise ZoomConfigError(f"Zoom connection {self.conn_id!r} lacks: {', '.join(missing)}")
        for field_name, value in (("client_id (the Client ID, login)", conn.login),
                                  ("client_secret (the Client Secret, password)", conn.password)):
            check_basic_encodable(field_name, str(value), where=f"Zoom connection {self.conn_id!r}: ")
        connect_timeout, read_timeout = self.timeouts()
        retry = self.retry()
        cache, cache_dir = self.credential_cache()
        light_rps, medium_rps, heavy_rps = (self.rate(name) for name in ("light_rps", "medium_rps", "heavy_rps"))
        return ZoomConnectionConfig(
            conn_id=self.conn_id,
            api_url=self.api_url(),
            client_id=str(conn.login),
            client_secret=str(conn.password),
            account_id=str(account_id),
            oauth_url=self.oauth_url(),
            plan=self.plan(),
            light_rps=light_rps,
            medium_rps=medium_rps,
            heavy_rps=heavy_rps,
            rate_limiter=self.rate_limiter(),
            rate_limiter_conn_id=self.rate_limiter_conn_id(),
            group_api=self.group_api(),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=retry.max_attempts,
            max_retry_seconds=retry.max_retry_seconds,
            backoff_base_s=retry.backoff_base_s,
            backoff_max_s=retry.backoff_max_s,
            credential_cache=cache,
            credential_cache_dir=cache_dir,
            proxies=MappingProxyType(self.proxies()),
            verify=self.verify(),
            pool_size=self.pool_size(),
        )

    def api_url(self) -> str:
        """The host as given; without a scheme it means https (never plain http, as HttpHook assumes)."""
        conn = self.connection
        host = conn.host or DEFAULT_API_URL
        if "://" not in host:
            scheme = (conn.schema or "https").lower()
            host = f"{scheme if scheme in ('http', 'https') else 'https'}://{host}"
        if conn.port:
            parts = urlsplit(host)
            if parts.port is None and parts.hostname:
                host = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{conn.port}"))
        return self.secure_url(host, 'field "host" (API base URL)', "access token").rstrip("/")

    def oauth_url(self) -> str:
        value, where = self.pick("oauth_url")
        if value is None:
            return DEFAULT_TOKEN_URL
        if not isinstance(value, str):
            raise self.error(str(where), "must be a URL", value)
        return self.secure_url(value, f"{where} (OAuth token URL)", "client secret")

    def timeouts(self) -> tuple[float, float]:
        value, where = self.pick("timeout")
        if value is not None:
            assert where is not None
            if isinstance(value, (list, tuple)):
                if len(value) != 2:
                    raise self.error(where, "must be a number of seconds or a (connect, read) pair", value)
                return self.number(where, value[0]), self.number(where, value[1])
            number = self.number(where, value)
            return number, number
        result = []
        for name, default in (("connect_timeout", DEFAULT_CONNECT_TIMEOUT_S), ("read_timeout", DEFAULT_READ_TIMEOUT_S)):
            value, where = self.pick(name)
            result.append(default if where is None else self.number(where, value))
        return result[0], result[1]

    def retry(self) -> RetryPolicy:
        policy = self.arguments.get("retry_policy")
        if policy is not None and not isinstance(policy, RetryPolicy):
            raise self.error('ZoomHook argument "retry_policy"', "must be a RetryPolicy", repr(policy))
        overrides: dict[str, Any] = {}
        where: str | None
        for name, unit, positive in (("max_attempts", "attempts", True), ("max_retry_seconds", "seconds", False)):
            if name in self.arguments:
                value, where = self.arguments[name], f'ZoomHook argument "{name}"'
            elif policy is not None:
                continue  # a whole policy given as a hook argument wins over the extras
            else:
                value, where = self.pick(name)
                if where is None:
                    continue
            if name == "max_attempts":
                number = self.number(where, value, unit=unit, minimum=1)
                if number != int(number):
                    raise self.error(where, "must be a whole number of attempts, at least 1", value)
                overrides[name] = int(number)
            else:
                overrides[name] = self.number(where, value, unit=unit, positive=positive)
        base = policy or RetryPolicy()
        return base.with_overrides(**overrides) if overrides else base

    def plan(self) -> str | None:
        value, where = self.pick("plan")
        if where is None:
            return None
        if not isinstance(value, str) or value.strip().lower() not in PLAN_LIMITS:
            raise self.error(where, f"must be one of {', '.join(PLAN_LIMITS)}", value)
        return value.strip().lower()

    def rate_limiter(self) -> str:
        value, where = self.pick("rate_limiter")
        if where is None:
            return "process"
        if not isinstance(value, str) or value.strip().lower() not in LIMITER_BACKENDS:
            raise self.error(where, f"must be one of {', '.join(LIMITER_BACKENDS)}", value)
        backend = value.strip().lower()
        if backend == "redis" and importlib.util.find_spec("airflow.providers.redis") is None:
            raise ZoomConfigError(
                f"Zoom connection {self.conn_id!r}: {where} is \"redis\", which needs apache-airflow-providers-redis "
                'on every worker: pip install "airflow-provider-zoom[redis]"'
            )
        return backend

    def rate_limiter_conn_id(self) -> str:
        value, where = self.pick("rate_limiter_conn_id")
        if where is None:
            return DEFAULT_REDIS_CONN_ID
        if not isinstance(value, str) or not value.strip():
            raise self.error(where, "must be the ID of an Airflow Redis connection", value)
        return value.strip()

    def group_api(self) -> str:
        value, where = self.pick("group_api")
        if where is None:
            return "auto"
        if not isinstance(value, str) or value.strip().lower() not in GROUP_APIS:
            raise self.error(where, f"must be one of {', '.join(GROUP_APIS)}", value)
        return value.strip().lower()

    def rate(self, name: str) -> float | None:
        value, where = self.pick(name)
        return None if where is None else self.number(where, value, unit="requests per second")

    def credential_cache(self) -> tuple[str, str | None]:
        kind, where = self.pick("credential_cache")
        if where is None:
            kind = "file"
        elif kind not in CREDENTIAL_CACHE_KINDS:
            raise self.error(where, 'must be "file" or "process"', kind)
        directory, where = self.pick("credential_cache_dir")
        if where is not None and not isinstance(directory, (str, os.PathLike)):
            raise self.error(where, "must be the path of a folder", directory)
        if kind == "process":
            return kind, None
        return kind, os.fspath(directory) if directory is not None else str(default_token_cache_dir())

    def proxies(self) -> dict[str, str]:
        value, where = self.pick("proxies")
        if where is None:
            return {}
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            # The value itself is not shown: a proxy URL may hold a password.
            raise ZoomConfigError(
                f"Zoom connection {self.conn_id!r}: {where} must be a mapping of scheme to proxy URL, "
                f'like {{"https": "http://proxy.example:3128"}}, got a {type(value).__name__}'
            )
        return dict(value)

    def verify(self) -> bool | str | None:
        value, where = self.pick("verify")
        if where is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.lower() in ("true", "1", "yes"):
                return True
            if text.lower() in ("false", "0", "no"):
                return False
            if os.path.exists(text):
                return text
        raise self.error(where, "must be true, false or the path of an existing CA bundle", value)

    def pool_size(self) -> int | None:
        value = self.arguments.get("pool_size")
        if value is None:
            return None
        where = 'ZoomHook argument "pool_size"'
        number = self.number(where, value, unit="connections", minimum=1)
        if number != int(number):
            raise self.error(where, "must be a whole number of connections, at least 1", value)
        return int(number)


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
