"""The account's groups by name identity (``group_key``), from listings shared by every lookup of one backend.

Zoom has no lookup by name, so a backend lists the groups and indexes them. ``groups_of(key, listed_after=t)``
answers from a listing that started at or after ``t`` (monotonic clock): a thread that needs a fresher one
waits for the listing in progress when it started late enough, else starts the next. The threads of a wave
thus share few listings.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_zoom.group_spec import group_key

#: ``listed_after`` for "any listing of this index, the first one when there is none yet"
ANY_LISTING = -sys.float_info.max


class NameIndex:
    """Groups by ``group_key`` of their ``name_field``, keyed inside by ``id_field``; ids sorted ascending."""

    def __init__(self, list_groups: Callable[[], list[dict[str, Any]]], *, id_field: str, name_field: str):
        self._list_groups = list_groups
        self._id_field = id_field
        self._name_field = name_field
        self._by_key: dict[str, dict[str, dict[str, Any]]] = {}
        self._names: dict[str, str] = {}  # every group id ever seen -> its name (deleted ones too)
        self._listed_at = float("-inf")
        self.listed_wall = float("-inf")  # wall-clock start of the current listing (``time.time()``)
        self._listing = False
        self._cond = threading.Condition()

    def groups_of(self, key: str, *, listed_after: float, reuse_if_found: bool = False) -> list[dict[str, Any]]:
        """The groups of ``key`` from a listing started at or after ``listed_after``.

        ``reuse_if_found``: a key the current listing already holds is answered from it, however old.
        """
        with self._cond:
            while self._listed_at < listed_after and not (reuse_if_found and self._by_key.get(key)):
                if not self._listing:
                    self._listing = True
                    break
                self._cond.wait()
            else:
                return _by_id(self._by_key.get(key, {}))
        started, started_wall = time.monotonic(), time.time()
        try:
            groups = self._list_groups()
        except BaseException:
            with self._cond:
                self._listing = False
                self._cond.notify_all()
            raise
        by_key: dict[str, dict[str, dict[str, Any]]] = {}
        for group in groups:
            group_id = group.get(self._id_field)
            if isinstance(group_id, str) and group_id:
                by_key.setdefault(group_key(str(group.get(self._name_field) or "")), {})[group_id] = group
        with self._cond:
            self._by_key, self._listed_at, self._listing = by_key, started, False
            self.listed_wall = started_wall
            for groups_of_key in by_key.values():
                self._names.update({i: str(g.get(self._name_field) or "") for i, g in groups_of_key.items()})
            self._cond.notify_all()
            return _by_id(by_key.get(key, {}))

    def seed(self, groups: list[dict[str, Any]], *, listed_wall: float) -> bool:
        """Take a listing another task made at ``listed_wall`` (``time.time()``) as this index's first one.

        Only while this index has none (returns whether it was taken): a caller asking for a listing started
        after a moment later than ``listed_wall`` still gets a new one.
        """
        with self._cond:
            if self._listing or self._listed_at != float("-inf"):
                return False
            by_key: dict[str, dict[str, dict[str, Any]]] = {}
            for group in groups:
                group_id = group.get(self._id_field)
                if isinstance(group_id, str) and group_id:
                    by_key.setdefault(group_key(str(group.get(self._name_field) or "")), {})[group_id] = group
                    self._names[group_id] = str(group.get(self._name_field) or "")
            self._by_key = by_key
            self._listed_at = time.monotonic() - max(0.0, time.time() - listed_wall)
            self.listed_wall = listed_wall
            self._cond.notify_all()
            return True

    def name_of(self, group_id: str) -> str | None:
        with self._cond:
            return self._names.get(group_id)

    def note_created(self, group: dict[str, Any]) -> None:
        name = str(group.get(self._name_field) or "")
        with self._cond:
            self._names[group[self._id_field]] = name
            self._by_key.setdefault(group_key(name), {})[group[self._id_field]] = group

    def note_deleted(self, group_id: str) -> None:
        with self._cond:
            for groups in self._by_key.values():
                groups.pop(group_id, None)


def pick(name: str, groups: list[dict[str, Any]], *, id_field: str, name_field: str
         ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Which of the groups sharing ``name``'s identity a run adopts, and the others (left alone).

    The rule (docs/connection.md, "One group per name"): the exact spelling first, then any other
    spelling (case, spacing); among equals the lowest id (ids compared as strings). A dry run and the real
    run apply it to the same listing, so both name the same group.
    """
    if not groups:
        return None, []
    ranked = sorted(groups, key=lambda g: (str(g.get(name_field) or "") != name, str(g.get(id_field) or "")))
    return ranked[0], ranked[1:]


def _by_id(groups: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [groups[i] for i in sorted(groups)]
