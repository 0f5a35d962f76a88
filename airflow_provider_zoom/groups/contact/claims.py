"""Claiming a contact-group name before creating it, and the record of the groups this deployment created.

Zoom lets contact groups share a name, so two tasks that both find a name free would both create it. A claim
makes "look the name up, create it, note the new group" one step. ``NameClaims`` is what a claim store offers;
``claim_store.name_claims`` picks the store from the connection:

- ``MachineNameClaims`` (every ``rate_limiter`` but ``redis``): a lock per name in this process (a wave's threads)
  and an advisory file lock per name (``flock``) under the token cache folder (``$AIRFLOW_HOME/.zoom_tokens``:
  other tasks and processes of the machine). The record (``contact-groups-created.json`` there, written
  atomically) lists the groups this deployment created, per account and name identity.
- ``RedisNameClaims`` (``rate_limiter`` ``redis``, ``redis_claims``): the same claims and record in the Redis
  every worker reaches, so they hold across machines; the machine's store when Redis is out of reach.

A claimer reads the record to see a group created after its own listing of the account, and only groups it
lists are ever merged away (``one_per_name``). Groups made by people are never in it. ``SharedListing`` (a file
per machine whatever the store) lets the tasks of a machine share one listing of the account.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from airflow_provider_zoom._files import write_atomically

RECORD_FILE = "contact-groups-created.json"
LISTING_FILE = "contact-groups-listing.json"
CLAIMS_FOLDER = "contact-group-names"
INTENTS_FOLDER = "contact-group-creates"
#: How old a listing of the account another task made may be for a task's lookups before creates. Groups this
#: deployment created since are in the record; a group made or deleted by hand meanwhile is seen by the next
#: listing (a group found gone is looked up again before members are added to it).
SHARED_LISTING_MAX_AGE_S = 120.0

_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def process_lock(name: str | Path) -> threading.Lock:
    """The lock of ``name`` in this process (one object per name, made on first use)."""
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(str(name), threading.Lock())


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """This process's lock on ``path``, then the file lock that other processes of the machine honour too."""
    with process_lock(path):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class NameClaims(Protocol):
    """Claims and the created-groups record of one Zoom account, wherever they are kept."""

    account: str

    @property
    def clock_skew_s(self) -> float:
        """How far the claimers' clocks may disagree: ``created_at`` is the creating worker's clock."""

    def claim(self, key: str) -> AbstractContextManager[None]:
        """Hold ``key`` (a ``group_key``) for this account: no other claimer gets it meanwhile."""

    def created(self, key: str) -> list[dict[str, Any]]:
        """The groups of ``key`` this deployment created: ``{"group_id", "name", "created_at"}`` (epoch seconds)."""

    def owns(self, key: str, group_id: str) -> bool: ...

    def record(self, key: str, group_id: str, name: str) -> None:
        """Note a group this deployment created (after Zoom's reply, before the claim is let go)."""

    def forget(self, key: str, group_id: str) -> None:
        """A recorded group that was deleted (merged away)."""


def _folder(folder: str | os.PathLike[str] | None) -> Path:
    from airflow_provider_zoom._transport.token_cache import default_token_cache_dir

    return Path(folder) if folder else default_token_cache_dir()


class MachineNameClaims:
    """Claims and the created-groups record of one Zoom account in files under ``folder`` (default: the token
    cache's): shared by the tasks of one machine."""

    clock_skew_s = 0.0  # one machine, one clock

    def __init__(self, account: str, folder: str | os.PathLike[str] | None = None):
        self.account = account or ""
        self.folder = _folder(folder)
        self.record_path = self.folder / RECORD_FILE
        self._cache: tuple[tuple[int, int], dict[str, Any]] | None = None
        self._cache_lock = threading.Lock()

    @contextmanager
    def claim(self, key: str) -> Iterator[None]:
        """Hold ``key`` (a ``group_key``) for this account: no other claimer of the machine gets it meanwhile."""
        digest = hashlib.sha256(f"{self.account}\0{key}".encode()).hexdigest()[:32]
        with _locked(self.folder / CLAIMS_FOLDER / f"{digest}.lock"):
            yield

    def created(self, key: str) -> list[dict[str, Any]]:
        """The groups of ``key`` this deployment created: ``{"group_id", "name", "created_at"}`` (epoch seconds)."""
        return list(self._read().get(self.account, {}).get(key, []))

    def owns(self, key: str, group_id: str) -> bool:
        return any(entry["group_id"] == group_id for entry in self.created(key))

    def record(self, key: str, group_id: str, name: str) -> None:
        """Note a group this deployment created (after Zoom's reply, before the claim is let go)."""
        with _locked(self.record_path.with_name(RECORD_FILE + ".lock")):
            data = copy.deepcopy(self._read())
            entries = data.setdefault(self.account, {}).setdefault(key, [])
            if all(entry["group_id"] != group_id for entry in entries):
                entries.append({"group_id": group_id, "name": name, "created_at": time.time()})
                self._write(data)

    def forget(self, key: str, group_id: str) -> None:
        """A recorded group that was deleted (merged away)."""
        with _locked(self.record_path.with_name(RECORD_FILE + ".lock")):
            data = copy.deepcopy(self._read())
            entries = data.get(self.account, {}).get(key, [])
            kept = [entry for entry in entries if entry["group_id"] != group_id]
            if len(kept) != len(entries):
                data[self.account][key] = kept
                self._write(data)

    def _read(self) -> dict[str, Any]:
        """The record as on disk, parsed again only when the file changed (a wave reads it once per name)."""
        try:
            stat = self.record_path.stat()
        except FileNotFoundError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._cache_lock:
            if self._cache is not None and self._cache[0] == stamp:
                return self._cache[1]  # read only: writers change a copy
        try:
            with open(self.record_path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        with self._cache_lock:
            self._cache = (stamp, data)
        return data

    def _write(self, data: dict[str, Any]) -> None:
        write_atomically(self.record_path, lambda handle: json.dump(data, handle, separators=(",", ":")),
                         folder_mode=0o700)


class SharedListing:
    """A listing of the account kept for the other tasks of the same DAG run on the machine (a file under
    ``folder``, whatever the claim store): a run's cohort tasks list the account once between them.

    Only tasks of one run (``scope``: ``dag_id/run_id``) share: a new run, or code outside a task (``scope`` None),
    lists the account itself, so a group made by hand before it started is always in what it sees.
    """

    def __init__(self, account: str, folder: str | os.PathLike[str] | None = None, scope: str | None = None):
        self.account = account or ""
        self.folder = _folder(folder)
        self.scope = scope

    @contextmanager
    def listing_turn(self) -> Iterator[None]:
        """One task of the machine at a time lists the account for the others (``shared_listing``)."""
        with _locked(self.folder / (LISTING_FILE + ".lock")):
            yield

    def shared_listing(self, max_age: float = SHARED_LISTING_MAX_AGE_S) -> tuple[list[dict[str, Any]], float] | None:
        """The account's groups as another task listed them, and when that listing started (``time.time()``);
        None when there is none of this account at most ``max_age`` old."""
        if self.scope is None:
            return None
        try:
            with open(self.folder / LISTING_FILE, encoding="utf-8") as handle:
                data = json.load(handle)
            entry = data[self.account]
            groups, listed_wall = list(entry["groups"]), float(entry["listed_wall"])
            if entry.get("scope") != self.scope:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not 0.0 <= time.time() - listed_wall <= max_age:
            return None
        return groups, listed_wall

    def share_listing(self, groups: list[dict[str, Any]], listed_wall: float) -> None:
        """Keep a listing for the other tasks of the machine (only this account's latest)."""
        try:
            with open(self.folder / LISTING_FILE, encoding="utf-8") as handle:
                data = json.load(handle)
            data = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            data = {}
        current = data.get(self.account)
        if isinstance(current, dict) and float(current.get("listed_wall") or 0) > listed_wall:
            return
        if self.scope is None:
            return
        data[self.account] = {"listed_wall": listed_wall, "groups": groups, "scope": self.scope}
        write_atomically(self.folder / LISTING_FILE, lambda handle: json.dump(data, handle, separators=(",", ":")),
                         folder_mode=0o700)

    def drop_listing(self) -> None:
        """A group was deleted: the shared listing may name it, so no task takes it any more."""
        (self.folder / LISTING_FILE).unlink(missing_ok=True)

    # -- creates whose outcome nobody saw: a task killed between sending a create and recording its group -------

    def _intent(self, key: str) -> Path:
        digest = hashlib.sha256(f"{self.account}\0{key}".encode()).hexdigest()[:32]
        return self.folder / INTENTS_FOLDER / digest

    def left_unfinished(self, key: str) -> bool:
        """Whether a task of this machine sent a create of ``key`` and never saw how it ended (it was killed, or it
        gave up on lost replies). Asked under the name's claim: the one who left the mark no longer holds it."""
        return self._intent(key).exists()

    def creating(self, key: str) -> None:
        """Mark ``key`` as being created, before the create is sent (:meth:`finished` once its group is known)."""
        path = self._intent(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch()

    def finished(self, key: str) -> None:
        """The create of ``key`` ended with a known group (or its doubt was settled by a new listing)."""
        self._intent(key).unlink(missing_ok=True)
