"""Contact-group name claims and the created-groups record in Redis: one store for the workers of every machine.

With ``rate_limiter`` ``redis`` the workers already share a Redis (``rate_limiter_conn_id``) for pacing; the
claims go there too, so two workers on two machines never both create a name:

- a claim is this process's lock on the name (a wave's threads queue here, not on Redis), then a Redis lock
  (redis-py's ``Lock``: ``SET NX PX`` with a token, released by a script only by its holder) per account and
  name identity. It expires ``LOCK_TTL_S`` after its holder stops renewing it (a keeper thread renews the
  claims held, so a claim lasts as long as its create, and a worker killed mid-claim frees it within that);
- the record is a Redis hash per account (field: the name identity, value: a JSON list of
  ``{group_id, name, created_at}``), changed by scripts so that two workers never lose each other's entries.

``FallbackNameClaims`` puts the machine's files (``claims.MachineNameClaims``) behind it: while Redis is out of
reach, claims and records are the machine's, with one warning per outage; Redis is tried again every
``RETRY_AFTER_S``. Records written to the machine meanwhile (or before the switch to ``redis``) stay visible
to that machine's tasks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow_provider_zoom._transport.slot_stores import RETRY_AFTER_S, _redis_client
from airflow_provider_zoom.exceptions import ZoomConfigError
from airflow_provider_zoom.groups.contact.claims import MachineNameClaims, process_lock

log = logging.getLogger(__name__)

KEY_PREFIX = "airflow-provider-zoom:contact-groups:"
#: A claim whose holder stopped renewing it (a killed worker) is free after this long.
LOCK_TTL_S = 60.0
RENEW_EVERY_S = LOCK_TTL_S / 3
#: How long a waiting claimer sleeps between tries of a name another worker holds.
POLL_S = 0.05
#: ``created_at`` comes from each worker's clock; a group recorded up to this long before a listing started is
#: still looked for outside that listing (workers' clocks are NTP-synced to well within this).
CLOCK_SKEW_S = 5.0

# KEYS[1]: the account's record; ARGV: the name identity, the group id, the entry (JSON). 1 when added.
_RECORD_LUA = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local entries = {}
if raw then entries = cjson.decode(raw) end
for _, entry in ipairs(entries) do
  if entry['group_id'] == ARGV[2] then return 0 end
end
table.insert(entries, cjson.decode(ARGV[3]))
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entries))
return 1
"""
# KEYS[1]: the account's record; ARGV: the name identity, the group id. 1 when an entry was removed.
_FORGET_LUA = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local kept = {}
local removed = 0
for _, entry in ipairs(cjson.decode(raw)) do
  if entry['group_id'] == ARGV[2] then removed = 1 else table.insert(kept, entry) end
end
if removed == 0 then return 0 end
if #kept == 0 then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(kept)) end
return 1
"""


def account_digest(api_url: str, account: str) -> str:
    """One account at one API (the emulator's account 1 is not Zoom's)."""
    return hashlib.sha256(f"{api_url.rstrip('/')}\0{account}".encode()).hexdigest()[:24]


class RedisNameClaims:
    """Claims and the created-groups record of one account in the Redis of the Airflow connection ``conn_id``."""

    clock_skew_s = CLOCK_SKEW_S

    def __init__(self, account: str, conn_id: str, *, api_url: str = ""):
        self.account = account or ""
        self.conn_id = conn_id
        digest = account_digest(api_url, self.account)
        self.record_key = f"{KEY_PREFIX}created:{digest}"
        self._claim_prefix = f"{KEY_PREFIX}claim:{digest}:"
        self._client: Any = None
        self._scripts: dict[str, Any] = {}
        self._guard = threading.Lock()
        self._held: dict[int, Any] = {}  # id(lock) -> lock: the claims the keeper renews
        self._keeper: threading.Thread | None = None

    def _redis(self) -> Any:
        with self._guard:
            if self._client is None:
                client = _redis_client(self.conn_id)
                self._scripts = {"record": client.register_script(_RECORD_LUA),
                                 "forget": client.register_script(_FORGET_LUA)}
                self._client = client
            return self._client

    def lock_name(self, key: str) -> str:
        return self._claim_prefix + hashlib.sha256(key.encode()).hexdigest()[:32]

    @contextmanager
    def claim(self, key: str) -> Iterator[None]:
        held = self.acquire(key)
        try:
            yield
        finally:
            self.release(held)

    def acquire(self, key: str) -> Any:
        """This process's lock on ``key``, then the Redis lock (waiting while another worker holds it). Raises
        what Redis raises, with nothing held."""
        local = process_lock(f"redis\0{self.lock_name(key)}")
        local.acquire()
        try:
            lock = self._redis().lock(self.lock_name(key), timeout=LOCK_TTL_S, sleep=POLL_S, thread_local=False)
            lock.acquire(blocking=True)
        except BaseException:
            local.release()
            raise
        self._keep(lock)
        return local, lock

    def release(self, held: Any) -> None:
        """Let the claim go. A Redis that fails here costs nothing: the lock expires by itself."""
        local, lock = held
        with self._guard:
            self._held.pop(id(lock), None)
        try:
            lock.release()
        except Exception as exc:  # noqa: BLE001 - LockError (expired) or Redis gone: it expires on its own
            log.warning("Contact group claim %s: not released (%s: %s); it expires within %.0f s",
                        lock.name, type(exc).__name__, exc, LOCK_TTL_S)
        finally:
            local.release()

    def _keep(self, lock: Any) -> None:
        with self._guard:
            self._held[id(lock)] = lock
            if self._keeper is None:
                self._keeper = threading.Thread(target=self._renew, name="zoom-name-claims", daemon=True)
                self._keeper.start()

    def _renew(self) -> None:
        """Renew every claim held every ``RENEW_EVERY_S``; end when none is held."""
        while True:
            time.sleep(RENEW_EVERY_S)
            with self._guard:
                locks = list(self._held.values())
                if not locks:
                    self._keeper = None
                    return
            for lock in locks:
                try:
                    lock.reacquire()
                except Exception as exc:  # noqa: BLE001 - released meanwhile, or Redis gone: next round
                    log.debug("Contact group claim %s not renewed: %s", lock.name, exc)

    def created(self, key: str) -> list[dict[str, Any]]:
        raw = self._redis().hget(self.record_key, key)
        entries = json.loads(raw) if raw else []
        return [e for e in entries if isinstance(e, dict) and e.get("group_id")]

    def owns(self, key: str, group_id: str) -> bool:
        return any(entry["group_id"] == group_id for entry in self.created(key))

    def record(self, key: str, group_id: str, name: str) -> None:
        self._redis()
        entry = json.dumps({"group_id": group_id, "name": name, "created_at": time.time()})
        self._scripts["record"](keys=[self.record_key], args=[key, group_id, entry])

    def forget(self, key: str, group_id: str) -> None:
        self._redis()
        self._scripts["forget"](keys=[self.record_key], args=[key, group_id])


class _Outage:
    """Whether a Redis connection is out of reach, shared by every task of the process (one warning per outage)."""

    def __init__(self, conn_id: str, clock=time.monotonic):
        self.conn_id = conn_id
        self._clock = clock
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self._retry_at = 0.0

    def try_shared(self) -> bool:
        """Use Redis: it answers, or it is this call's turn to try it again (the others use the machine)."""
        with self._lock:
            if self.down_since is None:
                return True
            if self._clock() < self._retry_at:
                return False
            self._retry_at = self._clock() + RETRY_AFTER_S
            return True

    def failed(self, exc: Exception) -> None:
        if isinstance(exc, ZoomConfigError):
            raise exc
        with self._lock:
            if self.down_since is not None:
                return
            self.down_since = self._clock()
            self._retry_at = self.down_since + RETRY_AFTER_S
        log.warning(
            "Contact group name claims: Redis (connection %r) failed (%s: %s); claiming names on this machine only "
            "until it answers again (retried every %.0f s). A worker on another machine may create the same name "
            "meanwhile: both groups are then kept.", self.conn_id, type(exc).__name__, exc, RETRY_AFTER_S,
        )

    def answered(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            if self.down_since is not None:
                log.info("Contact group name claims: Redis answers again after %.0f s; claims shared again",
                         self._clock() - self.down_since)
                self.down_since = None


_OUTAGES: dict[str, _Outage] = {}
_OUTAGES_GUARD = threading.Lock()


def _outage(conn_id: str) -> _Outage:
    with _OUTAGES_GUARD:
        return _OUTAGES.setdefault(conn_id, _Outage(conn_id))


def forget_outages() -> None:
    """Forget every Redis found out of reach (tests start from nothing)."""
    with _OUTAGES_GUARD:
        _OUTAGES.clear()


class FallbackNameClaims:
    """Redis claims that give way to the machine's while Redis fails: one warning per outage and process, Redis
    tried again every ``RETRY_AFTER_S``. A configuration error (no such connection, providers-redis missing) is
    raised."""

    def __init__(self, shared: RedisNameClaims, machine: MachineNameClaims):
        self.shared = shared
        self.machine = machine
        self.account = shared.account
        self.outage = _outage(shared.conn_id)

    @property
    def clock_skew_s(self) -> float:
        return self.shared.clock_skew_s

    @property
    def reachable(self) -> bool:
        return self.outage.down_since is None

    @contextmanager
    def claim(self, key: str) -> Iterator[None]:
        held = None
        if self.outage.try_shared():
            try:
                held = self.shared.acquire(key)
            except Exception as exc:  # noqa: BLE001 - Redis failing in any way: the machine's claim meanwhile
                self.outage.failed(exc)
            else:
                self.outage.answered()
        if held is None:
            with self.machine.claim(key):
                yield
            return
        try:
            yield
        finally:
            self.shared.release(held)

    def created(self, key: str) -> list[dict[str, Any]]:
        local = self.machine.created(key)  # from an outage, or from before the switch to redis
        if self.outage.try_shared():
            try:
                shared = self.shared.created(key)
            except Exception as exc:  # noqa: BLE001
                self.outage.failed(exc)
            else:
                self.outage.answered()
                seen = {e["group_id"] for e in shared}
                return shared + [e for e in local if e["group_id"] not in seen]
        return local

    def owns(self, key: str, group_id: str) -> bool:
        return any(entry["group_id"] == group_id for entry in self.created(key))

    def record(self, key: str, group_id: str, name: str) -> None:
        if self.outage.try_shared():
            try:
                self.shared.record(key, group_id, name)
            except Exception as exc:  # noqa: BLE001 - the group is recorded on the machine instead
                self.outage.failed(exc)
            else:
                self.outage.answered()
                return
        self.machine.record(key, group_id, name)

    def forget(self, key: str, group_id: str) -> None:
        self.machine.forget(key, group_id)
        if self.outage.try_shared():
            try:
                self.shared.forget(key, group_id)
            except Exception as exc:  # noqa: BLE001
                self.outage.failed(exc)
            else:
                self.outage.answered()
