"""One contact group per name: Zoom documents no 409 for a duplicate contact-group name, so this guarantees it.

Zoom documents no 409 for a duplicate contact-group name, so this client guarantees it. A name's identity
is ``group_key`` (trimmed, NFKC, invisible characters dropped, case-folded).

- Before creating, the name is looked up in an index of the account's groups (one listing shared by every
  lookup of this object, at most ``INDEX_MAX_AGE_S`` old): found -> ``exists`` (status 409), no create.
- The create is sent so that an attempt whose outcome is unknown (timeout, 5xx, dropped connection, an
  unreadable 201) is never re-sent blindly: the name is looked up again (a listing started after the
  failure) and the create is re-sent only if no group of that name is there.
- Races (two tasks on different machines creating the same cohort): every party that created a group, or
  that sees more than one group of a key, converges. The winner is the group with the lowest ``group_id``
  (Zoom returns no creation time; ids are opaque strings, compared as such): the same choice for anybody
  who sees the same groups. The party moves the members of every other group of the key into the winner,
  deletes those groups, adds its own members to the winner when they were not part of a create, and stops
  only when a listing that started after its last write shows the winner alone; members it added or moved
  stay its to keep until then (re-added to a new winner if the one they went to was merged meanwhile). A
  creator whose group lost reports ``exists`` with the winner's id; later lookups pick the winner too.

  Why this ends with one group holding every member: a group is deleted only by someone who saw a lower
  id, so the lowest existing group is never deleted and the set of groups is never empty once a create
  went through; lookups then find a group, so only creates already in flight can add duplicates. Members
  sent in a create are in that group from its first moment, so every move carries them; members added
  later are re-checked by their adder's final listing, which would show a lower group if a move could
  have missed them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_zoom._values import as_int
from airflow_provider_zoom.exceptions import ContactGroupsNotConverged, ZoomAPIError
from airflow_provider_zoom.group_spec import group_key
from airflow_provider_zoom.groups.contact.wire import (
    DEFAULT_PRIVACY,
    MEMBER_USER,
    ContactGroupsClient,
    OutcomeUnknown,
    check_privacy,
    contact_group_gone,
    first_batch,
    member_entries,
)
from airflow_provider_zoom.groups.names import NameIndex

INDEX_MAX_AGE_S = 60.0  # a lookup before a create may use a listing this old (a stale one only costs a merge)
MAX_CREATE_ROUNDS = 5  # creates re-sent after an unknown outcome that left no group behind
MAX_CONVERGE_ROUNDS = 25


@dataclass(frozen=True)
class Ensured:
    """What ``ensure_group`` settled on: the name's one group and how this call got there."""

    group_id: str
    created: bool  # this call's create is the name's group
    sent_create: bool  # this call created a group (merged into the winner when ``created`` is false)
    merged: list[str] = field(default_factory=list)  # groups of the name merged into the winner meanwhile


@dataclass
class Converged:
    winner: str
    merged: list[str] = field(default_factory=list)


class OneGroupPerName:
    """Find, create and converge contact groups by name over a ``ContactGroupsClient`` (one per task)."""

    def __init__(self, requester: Any):
        self.log = requester.log
        self.index = NameIndex(self._list, id_field="group_id", name_field="group_name")
        self.client = ContactGroupsClient(requester, on_created=self.index.note_created,
                                          on_deleted=self.index.note_deleted)

    def _list(self) -> list[dict[str, Any]]:
        return self.client.list_groups()

    def find_group(self, name: str, *, max_age: float = 0.0) -> dict[str, Any] | None:
        """The group a name stands for (the lowest ``group_id`` of its key), from a listing at most ``max_age`` old."""
        groups = self.index.groups_of(group_key(name), listed_after=time.monotonic() - max_age)
        return groups[0] if groups else None


    def ensure_group(
        self,
        name: str,
        *,
        privacy: int = DEFAULT_PRIVACY,
        description: str | None = None,
        member_ids: Iterable[str | dict[str, Any]] = (),
    ) -> Ensured:
        """The one group of ``name`` (``Ensured``: its id, whether this call created it, what was merged).

        Members are sent in the create (the first 50 users) and the rest added to the winner; members are
        not added to a group that already existed (the caller adds them, e.g. ``add_members_by_email``).
        """
        key = group_key(name)
        privacy = check_privacy(privacy)
        entries = member_entries(member_ids)
        existing = self.index.groups_of(key, listed_after=time.monotonic() - INDEX_MAX_AGE_S)
        if existing:
            converged = self.converge(name, key, listed_after=float("-inf"), owed=[], owner=None)
            return Ensured(converged.winner, created=False, sent_create=False, merged=converged.merged)
        first, rest = first_batch(entries)
        last_error: BaseException | None = None
        for _ in range(MAX_CREATE_ROUNDS):
            try:
                reply = self.client.send_create(name, privacy, description, first)
            except OutcomeUnknown as unknown:
                last_error = unknown.error
                self.log.warning(
                    "Create of contact group %r: %s; Zoom may have carried it out, looking the name up before any "
                    "new attempt", name, unknown.error,
                )
                seen = time.monotonic()
                if self.index.groups_of(key, listed_after=seen):
                    # It went through (or a racing task's did): it is this call's group; owe every member.
                    converged = self.converge(name, key, listed_after=seen, owed=entries, owner=None)
                    self.log.info("Contact group %r was created by an attempt whose reply was lost", name)
                    return Ensured(converged.winner, created=True, sent_create=True, merged=converged.merged)
                continue
            own = reply["group_id"]
            self.index.note_created({"group_name": name, **reply, "group_id": own})
            converged = self.converge(name, key, listed_after=time.monotonic(), owed=rest, owner=own)
            return Ensured(converged.winner, created=converged.winner == own, sent_create=True,
                           merged=converged.merged)
        assert last_error is not None
        raise last_error


    def converge(
        self, name: str, key: str, *, listed_after: float, owed: list[dict[str, Any]], owner: str | None,
        owed_to: str | None = None,
    ) -> Converged:
        """Settle ``key`` on its winner (lowest id); see the module docstring.

        ``owed`` are members this call must see in the winner that were not part of a create (already added
        to ``owed_to`` before ``listed_after``); ``owner`` is the group this call created (its create's
        members travel with every move of it).
        """
        if not owed:
            owed_to = ""
        merged: list[str] = []
        for _ in range(MAX_CONVERGE_ROUNDS):
            groups = self.index.groups_of(key, listed_after=listed_after)
            if not groups:
                if owner is None:
                    raise ContactGroupsNotConverged(name, [])
                # The create went through but is not listed (yet): trust it once more.
                listed_after = time.monotonic()
                continue
            winner = groups[0]["group_id"]
            if len(groups) == 1 and owed_to in ("", winner):
                return Converged(winner, merged)
            try:
                if owed and owed_to != winner:
                    self.client.add_members(winner, owed)
                    owed_to = winner
                for other in groups[1:]:
                    moved = self._move(other["group_id"], winner)
                    merged.append(other["group_id"])
                    if moved:  # now this call's to keep: a move of the winner may have listed it before
                        owed = member_entries([*owed, *moved])
                        owed_to = winner
            except ZoomAPIError as exc:
                if not contact_group_gone(exc):
                    raise
                self.log.info("Contact group %r: %s is gone (merged by another task); listing again", name,
                              exc.path)
            listed_after = time.monotonic()
        groups = self.index.groups_of(key, listed_after=float("-inf"))
        raise ContactGroupsNotConverged(name, [g["group_id"] for g in groups])


    def _move(self, source: str, target: str) -> list[dict[str, Any]]:
        """Move every member of ``source`` into ``target``, then delete ``source``; return the members moved.

        A source already gone was moved by another task: nothing to do.
        """
        try:
            members = self.client.list_members(source)
        except ZoomAPIError as exc:
            if not contact_group_gone(exc):
                raise
            self.index.note_deleted(source)
            return []
        entries = [{"type": as_int(m.get("type")) or MEMBER_USER, "id": str(m["id"])} for m in members if m.get("id")]
        if entries:
            self.client.add_members(target, entries)
        self.log.info("Contact group %s: duplicate name, %d members moved into %s; deleting it", source,
                      len(entries), target)
        try:
            self.client.delete_group(source)
        except ZoomAPIError as exc:
            if not contact_group_gone(exc):
                raise
            self.index.note_deleted(source)
        return entries
