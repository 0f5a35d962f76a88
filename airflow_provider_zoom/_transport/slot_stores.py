"""Where the "next free slot" of each (account, category) lives: in the process, on the machine, or in Redis.

Zoom counts an account's requests per category and per second, whichever process or machine sends them. The
pacer's evenly spaced starts work across any number of senders when they reserve their starts on one shared
line: the store keeps one number per key, the next free start time, and ``reserve(key, interval)`` atomically
takes ``max(now, next)`` and moves ``next`` on by ``interval``. The caller sleeps until its slot, so starts stay
``interval`` apart across every sender: no bursts.

- ``process``: a dict under a lock (today's behaviour; ``time.monotonic``).
- ``machine``: one small file per key under the token cache folder, read and written under ``flock`` (like the
  token cache); wall-clock time, which every process of the machine shares.
- ``redis``: one Redis key per account and category, reserved by a Lua script that reads Redis' own clock
  (``TIME``), so the workers' clocks never matter; through an Airflow connection (providers-redis, imported
  only when this backend is used).

A shared store can be briefly out of reach (Redis restarting, a full disk): ``FallbackSlots`` then reserves on
the process's own line, warns once, and tries the store again after ``RETRY_AFTER_S``. Calls are never unpaced.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

LIMITER_BACKENDS = ("process", "machine", "redis")
DEFAULT_REDIS_CONN_ID = "redis_default"
#: How long a shared store is left alone after it failed; meanwhile each process paces itself.
RETRY_AFTER_S = 15.0
#: A next slot further ahead than this cannot come from live reservations (a clock set back): reset.
MAX_AHEAD_S = 3600.0
#: Redis calls give up after this long and the process paces itself (redis-py's default is to wait forever).
REDIS_TIMEOUT_S = 1.0
REDIS_KEY_PREFIX = "airflow-provider-zoom:pace:"

# KEYS[1]: the line; ARGV[1]: the caller's interval (s); ARGV[2]: MAX_AHEAD_S. Returns the wait in seconds, as a
# string (a Lua number would come back truncated to an integer). Redis' TIME, not the caller's clock.
_RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if nxt > now + tonumber(ARGV[2]) then nxt = now end
local slot = math.max(now, nxt)
local ttl = math.ceil((slot + interval - now) * 1000) + 60000
redis.call('SET', KEYS[1], string.format('%.6f', slot + interval), 'PX', ttl)
return string.format('%.6f', slot - now)
"""


class SlotStore(Protocol):
    name: str

    def reserve(self, key: str, interval: float) -> float:
        """Take the next free start of ``key``'s line; return how many seconds from now it is."""


def line_key(api_url: str, account_id: str, category: str) -> str:
    """One line per Zoom account (at one API) and category: Zoom counts per account, not per app or process."""
    digest = hashlib.sha256(f"{api_url.rstrip('/')}\0{account_id}".encode()).hexdigest()[:24]
    return f"{digest}-{category}"


class ProcessSlots:
    """The process's own lines: every hook and thread of the process, nobody else."""

    name = "process"

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, interval: float) -> float:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(key, 0.0))
            self._next[key] = slot + interval
        return slot - now

    def clear(self) -> None:
        with self._lock:
            self._next.clear()


class MachineSlots:
    """Lines in files (0600, in a 0700 folder) shared by every process of the machine, each taken under ``flock``."""

    name = "machine"

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def reserve(self, key: str, interval: float) -> float:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.directory / f"zoom-pace-{key}.slot", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = time.time()
            try:
                stored = float(os.pread(fd, 64, 0).decode() or 0.0)
            except ValueError:
                stored = 0.0
            slot = now if stored > now + MAX_AHEAD_S else max(now, stored)
            text = f"{slot + interval:.6f}".encode()
            os.pwrite(fd, text, 0)
            os.ftruncate(fd, len(text))
        finally:
            os.close(fd)  # closing releases the lock
        return slot - now


class RedisSlots:
    """Lines in Redis, reached through the Airflow connection ``conn_id`` (``RedisHook``, providers-redis)."""

    name = "redis"

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        self._script: Any = None
        self._lock = threading.Lock()

    def _reserve_script(self):
        with self._lock:
            if self._script is None:
                client = _redis_client(self.conn_id)
                self._script = client.register_script(_RESERVE_LUA)
            return self._script

    def reserve(self, key: str, interval: float) -> float:
        wait = self._reserve_script()(keys=[REDIS_KEY_PREFIX + key], args=[f"{interval:.6f}", MAX_AHEAD_S])
        return float(wait)


def _redis_client(conn_id: str):
    """The Redis client of ``conn_id``, with timeouts, so that an unreachable Redis fails fast instead of hanging."""
    from airflow_provider_zoom.exceptions import ZoomConfigError

    try:
        from airflow.providers.redis.hooks.redis import RedisHook
    except ImportError:
        raise ZoomConfigError(
            'rate_limiter "redis" needs apache-airflow-providers-redis: pip install "airflow-provider-zoom[redis]"'
        ) from None
    try:
        client = RedisHook(redis_conn_id=conn_id).get_conn()
    except Exception as exc:
        if type(exc).__name__ == "AirflowNotFoundException":
            raise ZoomConfigError(
                f'rate_limiter "redis": no Airflow connection {conn_id!r} (set rate_limiter_conn_id to the Redis '
                "connection every worker reaches)"
            ) from None
        raise
    pool = getattr(client, "connection_pool", None)
    if pool is not None:  # a cluster client has one pool per node and its own timeouts
        for name in ("socket_connect_timeout", "socket_timeout"):
            if pool.connection_kwargs.get(name) is None:
                pool.connection_kwargs[name] = REDIS_TIMEOUT_S
    return client


class FallbackSlots:
    """A shared store that, while it fails, gives way to the process's own lines: paced, never unpaced.

    One warning per outage (not per call), one thread trying the store again every ``RETRY_AFTER_S``, one info
    line when it answers again. A configuration error (no such connection, providers-redis missing) is raised.
    """

    def __init__(self, store: SlotStore, local: ProcessSlots | None = None, clock=time.monotonic) -> None:
        self.store = store
        self.name = store.name
        self.local = local or ProcessSlots()
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0

    @property
    def reachable(self) -> bool:
        return self._down_since is None

    def reserve(self, key: str, interval: float) -> float:
        from airflow_provider_zoom.exceptions import ZoomConfigError

        with self._lock:
            now = self._clock()
            if self._down_since is not None:
                if now < self._retry_at:
                    return self.local.reserve(key, interval)
                self._retry_at = now + RETRY_AFTER_S  # this thread tries the store; the others keep pacing locally
        try:
            wait = self.store.reserve(key, interval)
        except ZoomConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - Redis or the file failing in any way: pace locally meanwhile
            with self._lock:
                if self._down_since is None:
                    self._down_since = self._clock()
                    self._retry_at = self._down_since + RETRY_AFTER_S
                    log.warning(
                        "Zoom rate limiter: the %s store failed (%s: %s); pacing this process on its own until it "
                        "answers again (retried every %.0f s). Other processes may add to the account's requests "
                        "meanwhile: Zoom's 429s are retried and slow the pace.",
                        self.name, type(exc).__name__, exc, RETRY_AFTER_S,
                    )
            return self.local.reserve(key, interval)
        if self._down_since is not None:
            with self._lock:
                if self._down_since is not None:
                    log.info("Zoom rate limiter: the %s store answers again after %.0f s; pacing shared again",
                             self.name, self._clock() - self._down_since)
                    self._down_since = None
        return wait


_PROCESS_SLOTS = ProcessSlots()
_STORES: dict[tuple[str, str], SlotStore] = {}
_STORES_GUARD = threading.Lock()


def slot_store(backend: str = "process", *, directory: str | os.PathLike | None = None,
               conn_id: str | None = None) -> SlotStore:
    """The process's store for ``backend``: one per folder or Redis connection, so one warning per outage."""
    if backend == "process":
        return _PROCESS_SLOTS
    if backend == "machine":
        if directory is None:
            from airflow_provider_zoom._transport.token_cache import default_token_cache_dir

            directory = default_token_cache_dir()
        where = os.fspath(directory)
        factory: Any = lambda: FallbackSlots(MachineSlots(where))  # noqa: E731
    elif backend == "redis":
        where = conn_id or DEFAULT_REDIS_CONN_ID
        factory = lambda: FallbackSlots(RedisSlots(where))  # noqa: E731
    else:
        raise ValueError(f"unknown rate limiter backend {backend!r}; known: {', '.join(LIMITER_BACKENDS)}")
    with _STORES_GUARD:
        store = _STORES.get((backend, where))
        if store is None:
            store = _STORES[(backend, where)] = factory()
        return store


def forget_all() -> None:
    """Drop every store and the process's lines (tests start from nothing)."""
    with _STORES_GUARD:
        _STORES.clear()
    _PROCESS_SLOTS.clear()
