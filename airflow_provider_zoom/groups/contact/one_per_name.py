"""One contact group per name: Zoom documents no 409 for a duplicate contact-group name, so this guarantees it.

A name's identity is ``group_key`` (trimmed, NFKC, invisible characters dropped, case-folded).

- Groups already in the account under a name, in any spelling, are adopted, never merged or deleted: one is
  chosen by ``names.pick`` (the exact spelling first, then the lowest id) and reported ``exists`` (409); the
  others are named in ``also_named`` and a warning, and left as they are.
- A name is claimed before it is created (``claims``: a lock per name in this process and on this machine, or
  in Redis across machines with the ``redis`` rate limiter),
  and under the claim it is looked up in one listing of the account per task (``NameIndex``, shared by a
  wave's threads) together with the groups this deployment recorded as created since that listing. So two
  tasks never both create a name, a create costs no listing, and the group a creator reports is the name's
  group from its first moment: nothing it reports is merged away later.
- The create is sent so that an attempt whose outcome is unknown (timeout, 5xx, dropped connection, an
  unreadable 201) is never re-sent blindly: the name is looked up again (a listing started after the
  failure) and the create is re-sent only if no group of that name is there.
- ``converge`` merges only this deployment's own duplicates of a name (recorded groups, e.g. from a lost
  reply re-sent across two claims) into the group in use, and deletes them; a group it did not create is
  never touched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_zoom._values import as_int
from airflow_provider_zoom.exceptions import ContactGroupsNotConverged, ZoomAPIError
from airflow_provider_zoom.group_spec import group_key
from airflow_provider_zoom.groups.base import GroupRef
from airflow_provider_zoom.groups.contact.claim_store import name_claims
from airflow_provider_zoom.groups.contact.claims import SharedListing
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
from airflow_provider_zoom.groups.names import ANY_LISTING, NameIndex, pick

MAX_CREATE_ROUNDS = 5  # creates re-sent after an unknown outcome that left no group behind
MAX_CONVERGE_ROUNDS = 25


@dataclass(frozen=True)
class Ensured:
    """What ``ensure_group`` settled on: the name's group, whether this call created it, and the other groups
    that share its name (left alone)."""

    group_id: str
    created: bool
    also_named: tuple[GroupRef, ...] = ()


@dataclass
class Converged:
    winner: str
    merged: list[str] = field(default_factory=list)


class OneGroupPerName:
    """Find, claim, create and adopt contact groups by name over a ``ContactGroupsClient`` (one per task)."""

    def __init__(self, requester: Any):
        self.log = requester.log
        self.index = NameIndex(self._list, id_field="group_id", name_field="group_name")
        self.client = ContactGroupsClient(requester, on_created=self.index.note_created,
                                          on_deleted=self.index.note_deleted)
        config = getattr(requester, "config", None)
        credentials = getattr(requester, "credentials", None)
        account = str(getattr(credentials, "account_id", "") or "")
        self.claims = name_claims(account, config)
        self.listing = SharedListing(account, getattr(config, "rate_limiter_dir", None), scope=_run_scope())

    def _list(self) -> list[dict[str, Any]]:
        started = time.time()
        groups = self.client.list_groups()
        try:
            self.listing.share_listing(groups, started)
        except OSError as exc:  # sharing only saves other tasks a listing
            self.log.warning("Could not keep the listing of contact groups for other tasks: %s", exc)
        return groups

    def _first_listing(self) -> None:
        """This task's first listing of the account: one another task of the machine made at most
        ``SHARED_LISTING_MAX_AGE_S`` ago (the tasks of a run share one), else a new one, kept for the others."""
        if self.index.listed_wall != float("-inf"):
            return
        with self.listing.listing_turn():
            if self.index.listed_wall != float("-inf"):
                return
            shared = self.listing.shared_listing()
            if shared is not None and self.index.seed(shared[0], listed_wall=shared[1]):
                return
            self.index.groups_of("", listed_after=ANY_LISTING)

    def find_group(self, name: str, *, max_age: float = 0.0) -> dict[str, Any] | None:
        """The group a name stands for (``names.pick``), from a listing at most ``max_age`` old."""
        groups = self.index.groups_of(group_key(name), listed_after=time.monotonic() - max_age)
        return pick(name, groups, id_field="group_id", name_field="group_name")[0]

    def adopt(self, name: str) -> Ensured | None:
        """The group a run adopts for ``name`` and the others of its name, or None when the name is free.

        From this object's one listing of the account plus the groups this deployment created since it
        started (the record); reads only, no claim (``ensure_group`` asks again under the claim).
        """
        key = group_key(name)
        self._first_listing()
        listed = self.index.groups_of(key, listed_after=ANY_LISTING)
        since = self.index.listed_wall
        known = {g["group_id"] for g in listed}
        recent = [{"group_id": e["group_id"], "group_name": e["name"]} for e in self.claims.created(key)
                  if e["group_id"] not in known
                  and float(e.get("created_at") or 0) >= since - self.claims.clock_skew_s]
        chosen, others = pick(name, listed + recent, id_field="group_id", name_field="group_name")
        if chosen is None:
            return None
        also = tuple(GroupRef(group_id=g["group_id"], name=str(g.get("group_name") or "")) for g in others)
        if also:
            self.log.warning(
                "Contact group %r: %d other group(s) share the name (%s); using %s (the exact spelling first, "
                "then the lowest id) and leaving the others as they are", name, len(also),
                ", ".join(f"{r['group_id']} {r['name']!r}" for r in also), chosen["group_id"],
            )
        return Ensured(chosen["group_id"], created=False, also_named=also)

    def ensure_group(
        self,
        name: str,
        *,
        privacy: int = DEFAULT_PRIVACY,
        description: str | None = None,
        member_ids: Iterable[str | dict[str, Any]] = (),
    ) -> Ensured:
        """The group of ``name`` (``Ensured``): adopted when one exists, else created under the name's claim.

        Members are sent in the create (the first 50 users) and the rest added right after; members are
        not added to a group that already existed (the caller adds them, e.g. ``add_members_by_email``).
        """
        key = group_key(name)
        privacy = check_privacy(privacy)
        entries = member_entries(member_ids)
        with self.claims.claim(key):
            if self.listing.left_unfinished(key):
                # A task of this machine sent this create and died (or gave up) before it knew the group: Zoom may
                # have made it after every listing and record this task has, so look at the account itself.
                self.log.warning("Contact group %r: an earlier create's outcome was never seen; listing the account "
                                 "before deciding", name)
                self.listing.drop_listing()
                self.index.groups_of(key, listed_after=time.monotonic())
            found = self.adopt(name)
            if found is not None:
                self.listing.finished(key)
                return found
            self.listing.creating(key)  # left in place if this process dies before the record below
            group_id = self._create(name, key, privacy, description, entries)
            self.claims.record(key, group_id, name)
            self.listing.finished(key)
        return Ensured(group_id, created=True)

    def _create(
        self, name: str, key: str, privacy: int, description: str | None, entries: list[dict[str, Any]]
    ) -> str:
        """Create the claimed name; after a lost reply look it up before any new attempt. Returns the group id."""
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
                groups = self.index.groups_of(key, listed_after=time.monotonic())
                if groups:
                    # The name was free under the claim: what is there now is this call's group.
                    group = pick(name, groups, id_field="group_id", name_field="group_name")[0]
                    assert group is not None
                    self.log.info("Contact group %r was created by an attempt whose reply was lost", name)
                    if entries:
                        self.client.add_members(group["group_id"], entries)
                    return str(group["group_id"])
                continue
            own = str(reply["group_id"])
            self.index.note_created({"group_name": name, **reply, "group_id": own})
            if rest:
                self.client.add_members(own, rest)
            return own
        assert last_error is not None
        raise last_error

    def converge(
        self, name: str, key: str, *, listed_after: float, owed: list[dict[str, Any]], owner: str | None,
        owed_to: str | None = None,
    ) -> Converged:
        """Merge this deployment's own duplicates of ``key`` into the group in use; see the module docstring.

        The group in use is ``owed_to`` (where ``owed`` members were added), else ``owner``, else the one
        ``names.pick`` chooses. Without two recorded groups of the key there is nothing of ours to merge, and
        nothing is listed.
        """
        target = owed_to or owner
        recorded = {e["group_id"] for e in self.claims.created(key)}
        if len(recorded | ({target} if target else set())) < 2:
            if target is None:
                found = pick(name, self.index.groups_of(key, listed_after=ANY_LISTING), id_field="group_id",
                             name_field="group_name")[0]
                if found is None:
                    raise ContactGroupsNotConverged(name, [])
                target = found["group_id"]
            return Converged(target, [])
        groups = self.index.groups_of(key, listed_after=listed_after)
        if target is None:
            chosen = pick(name, groups, id_field="group_id", name_field="group_name")[0]
            if chosen is None:
                raise ContactGroupsNotConverged(name, [])
            target = str(chosen["group_id"])
        merged: list[str] = []
        for other in groups:
            source = str(other["group_id"])
            if source == target or source not in recorded:
                continue  # the group in use, or one this deployment did not create: never touched
            self._move(source, target)
            self.claims.forget(key, source)
            self.listing.drop_listing()
            merged.append(source)
        return Converged(target, merged)

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


def _run_scope() -> str | None:
    """``dag_id/run_id`` of the task running this code, or None outside a task (nothing then shares a listing)."""
    try:
        from airflow.sdk import get_current_context

        context = get_current_context()
        return f"{context['dag'].dag_id}/{context['run_id']}"
    except Exception:  # noqa: BLE001 - outside a task, or an Airflow without a context here: no sharing
        return None

