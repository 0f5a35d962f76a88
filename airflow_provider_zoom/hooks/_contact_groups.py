"""Zoom Contact Groups (``/v2/contacts/groups``), the successor of the retired IM Groups API.

``ContactGroupsAPI(hook)`` sends every call through the hook's public request path (``hook.request`` /
``hook.request_json``), so pacing, token renewal, retries, redaction and Zoom's error parsing stay the
hook's. Sizes are Zoom's documented ones: pages of 50, at most 50 users (and 3 user groups) per create or
add, at most 20 IDs per remove, and a group never loses its last member.

One group per name
------------------
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

import functools
import inspect
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow_provider_zoom._defaults import ON_CONFLICT_CHOICES
from airflow_provider_zoom._transport.retries import created_object, outcome_unknown, page_of
from airflow_provider_zoom.exceptions import (
    ZoomAPIError,
    ZoomError,
    ZoomGroupExistsError,
    ZoomInvalidInput,
    ZoomReplyError,
)
from airflow_provider_zoom.group_spec import SEARCH_FLAGS, group_key
from airflow_provider_zoom.hooks._members import email_list
from airflow_provider_zoom.hooks._users import ACTIVE, PENDING, UserDirectory, ZoomUser

if TYPE_CHECKING:
    from airflow_provider_zoom.group_spec import GroupSpec
    from airflow_provider_zoom.hooks.zoom import GroupOutcome

__all__ = [
    "ContactGroupsAPI",
    "ContactGroupsNotConverged",
    "Ensured",
    "PRIVACY_BY_IM_TYPE",
    "contact_group_gone",
    "is_im_groups_gone",
]

GROUPS_PATH = "contacts/groups"
PAGE_SIZE = 50  # documented maximum page_size of both listings
MAX_USERS_PER_REQUEST = 50  # create and add members
MAX_USER_GROUPS_PER_REQUEST = 3  # create and add members, type 2
MAX_IDS_PER_REMOVE = 20
MEMBER_USER, MEMBER_USER_GROUP = 1, 2
PRIVACY_BY_IM_TYPE = {"shared": 1, "normal": 2, "restricted": 3}
PRIVACIES = (1, 2, 3)
IM_GROUPS_GONE = 4137
VALIDATION = 300

_CREATED = functools.partial(created_object, id_key="group_id")
INDEX_MAX_AGE_S = 60.0  # a lookup before a create may use a listing this old (a stale one only costs a merge)
MAX_CREATE_ROUNDS = 5  # creates re-sent after an unknown outcome that left no group behind
MAX_CONVERGE_ROUNDS = 25


def is_im_groups_gone(exc: BaseException) -> bool:
    """Zoom's answer to every ``/v2/im/groups`` call on accounts without IM Groups: 410, code 4137."""
    return isinstance(exc, ZoomAPIError) and exc.status_code == 410 and _int(exc.code) == IM_GROUPS_GONE


def contact_group_gone(exc: BaseException) -> bool:
    """An unknown contact group: documented as 400 / code 300 "A group with this groupId: ... does not exist."

    A 404 is taken to mean the same (the live status is not verifiable; the reference says handle both).
    """
    if not isinstance(exc, ZoomAPIError) or isinstance(exc, ZoomReplyError):
        return False
    if exc.status_code == 404:
        return True
    message = (exc.zoom_message or "").lower()
    return exc.status_code == 400 and _int(exc.code) == VALIDATION and "groupid" in message and "not exist" in message


class ContactGroupsNotConverged(ZoomError):
    """Groups of one name kept changing under this client for ``MAX_CONVERGE_ROUNDS`` listings (retryable)."""

    retryable = True

    def __init__(self, name: str, group_ids: list[str]):
        self.name = name
        self.group_ids = group_ids
        super().__init__(
            f"Contact groups named {name!r} did not settle to one group ({len(group_ids)} still listed: "
            f"{', '.join(group_ids[:5])}); another task is probably creating or merging them - run again"
        )


class _OutcomeUnknown(Exception):
    """A create attempt may have been carried out; raised out of the hook's retry loop to stop it."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


class _StopOnUnknownOutcome(list):
    """The hook's ``attempts`` list, ending its retries at the first attempt whose outcome is unknown.

    Used until ``hook.request`` takes ``retry_unknown_outcome=False`` (then that is used instead).

    ``call_with_retries`` appends each failed attempt's exception before deciding on a retry; raising here
    (an exception the retry policy does not retry) ends the call. Failures that surely did nothing (a
    per-second 429, a refused token, a connect timeout) are still retried by the hook.
    """

    def append(self, exc: Any) -> None:
        super().append(exc)
        if isinstance(exc, BaseException) and outcome_unknown(exc):
            raise _OutcomeUnknown(exc)


@dataclass(frozen=True)
class Ensured:
    """What ``ensure_group`` settled on: the name's one group and how this call got there."""

    group_id: str
    created: bool  # this call's create is the name's group
    sent_create: bool  # this call created a group (merged into the winner when ``created`` is false)
    merged: list[str] = field(default_factory=list)  # groups of the name merged into the winner meanwhile


@dataclass
class _Converged:
    winner: str
    merged: list[str] = field(default_factory=list)


class _GroupIndex:
    """The account's groups by ``group_key``, listed by one thread at a time and shared by all.

    ``groups_of(key, listed_after=t)`` answers from a listing that started at or after ``t`` (monotonic
    clock): a thread that needs a fresh one waits for the listing in progress if it started late enough,
    else starts the next. A wave's verifications of many creates thus share few listings.
    """

    def __init__(self, list_groups: Callable[[], list[dict[str, Any]]]):
        self._list_groups = list_groups
        self._by_key: dict[str, dict[str, dict[str, Any]]] = {}
        self._names: dict[str, str] = {}  # every group id ever seen -> its name (deleted ones too)
        self._listed_at = float("-inf")
        self._listing = False
        self._cond = threading.Condition()

    def groups_of(self, key: str, *, listed_after: float) -> list[dict[str, Any]]:
        with self._cond:
            while self._listed_at < listed_after:
                if not self._listing:
                    self._listing = True
                    break
                self._cond.wait()
            else:
                return _by_id(self._by_key.get(key, {}))
        started = time.monotonic()
        try:
            groups = self._list_groups()
        except BaseException:
            with self._cond:
                self._listing = False
                self._cond.notify_all()
            raise
        by_key: dict[str, dict[str, dict[str, Any]]] = {}
        for group in groups:
            group_id = group.get("group_id")
            if isinstance(group_id, str) and group_id:
                by_key.setdefault(group_key(str(group.get("group_name") or "")), {})[group_id] = group
        with self._cond:
            self._by_key, self._listed_at, self._listing = by_key, started, False
            for groups_of_key in by_key.values():
                self._names.update({i: str(g.get("group_name") or "") for i, g in groups_of_key.items()})
            self._cond.notify_all()
            return _by_id(by_key.get(key, {}))

    def name_of(self, group_id: str) -> str | None:
        with self._cond:
            return self._names.get(group_id)

    def note_created(self, group: dict[str, Any]) -> None:
        with self._cond:
            self._names[group["group_id"]] = str(group.get("group_name") or "")
            self._by_key.setdefault(group_key(str(group.get("group_name") or "")), {})[group["group_id"]] = group

    def note_deleted(self, group_id: str) -> None:
        with self._cond:
            for groups in self._by_key.values():
                groups.pop(group_id, None)


def _by_id(groups: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [groups[i] for i in sorted(groups)]


class ContactGroupsAPI:
    """The eight Contact Group operations, user lookup, and the create/exists/merge guarantees over them.

    One object per task (its user cache and group index live as long as it does); its methods may be
    called from the threads of one wave.
    """

    def __init__(self, hook: Any):
        self.hook = hook
        self.log = hook.log
        self.users = UserDirectory(hook)
        self._index = _GroupIndex(self.list_groups)
        self._search_flags_logged = False
        self._log_lock = threading.Lock()

    # -- the eight operations ----------------------------------------------------------------------

    def list_groups(self) -> list[dict[str, Any]]:
        """Every contact group (``group_id``, ``group_name``, ``group_privacy``, ``description``)."""
        return list(self._paginate(GROUPS_PATH, ("groups",)))

    def get_group(self, group_id: str) -> dict[str, Any]:
        return self.hook.request_json("GET", _group_path(group_id))

    def create_group(
        self,
        name: str,
        privacy: int = PRIVACY_BY_IM_TYPE["normal"],
        description: str | None = None,
        members: Iterable[str | dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """``POST /contacts/groups``; returns Zoom's 201 body (``group_id``, ``group_name``, ``total_members`` ...).

        The first 50 users (and 3 user groups) go in the create, the rest through ``add_members``. An attempt
        whose outcome is unknown is not re-sent: its error is raised (``ensure_group`` /
        ``create_group_from_spec`` look the name up instead). This does not check for a same-named group.
        """
        entries = _member_entries(members)
        first, rest = _first_batch(entries)
        try:
            reply = self._send_create(name, privacy, description, first)
        except _OutcomeUnknown as unknown:
            raise unknown.error from None
        self._index.note_created({"group_name": name, **reply})
        if rest:
            self.add_members(reply["group_id"], rest)
        return reply

    def update_group(
        self, group_id: str, *, name: str | None = None, privacy: int | None = None, description: str | None = None
    ) -> None:
        """``PATCH`` with the update keys ``name`` / ``privacy`` / ``description`` (not Create's); None: unchanged."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if privacy is not None:
            body["privacy"] = _privacy(privacy)
        if description is not None:
            body["description"] = description
        if not body:
            return
        self.hook.request("PATCH", _group_path(group_id), json=body)

    def delete_group(self, group_id: str) -> None:
        self.hook.request("DELETE", _group_path(group_id))
        self._index.note_deleted(group_id)

    def list_members(self, group_id: str) -> list[dict[str, Any]]:
        """Members ``{type, id, name}``; Zoom's reply key is ``group_members`` or ``members``, both read."""
        return list(self._paginate(f"{_group_path(group_id)}/members", ("group_members", "members")))

    def add_members(self, group_id: str, members: Iterable[str | dict[str, Any]]) -> list[str]:
        """Add user IDs (or ``{type, id}`` entries), 50 users / 3 user groups per call; return the IDs Zoom added.

        Zoom's 201 lists only the members it added: people already in the group are not in it.
        """
        added: list[str] = []
        for batch in _batches(_member_entries(members)):
            reply = self.hook.request_json("POST", f"{_group_path(group_id)}/members", json={"group_members": batch})
            added += _id_list(reply.get("member_ids"))
        return added

    def remove_members(self, group_id: str, user_ids: Iterable[str]) -> dict[str, Any]:
        """Remove members by ID, 20 per call. Refuses (``ZoomInvalidInput``) to remove a group's last member.

        Returns ``{"group_id", "removed": [ids], "not_members": [ids]}``; IDs not in the group are not sent
        (Zoom would refuse the whole call for one of them).
        """
        wanted = list(dict.fromkeys(i.strip() for i in user_ids if isinstance(i, str) and i.strip()))
        current = [str(m.get("id")) for m in self.list_members(group_id) if m.get("id")]
        to_remove = [i for i in wanted if i in current]
        not_members = [i for i in wanted if i not in current]
        if to_remove and set(current) <= set(to_remove):
            raise ZoomInvalidInput(
                f"removing {len(to_remove)} member(s) would leave contact group {group_id} without members; "
                "Zoom refuses that ('A group must have at least one member'): delete the group instead"
            )
        for start in range(0, len(to_remove), MAX_IDS_PER_REMOVE):
            batch = to_remove[start : start + MAX_IDS_PER_REMOVE]
            ids = ",".join(quote(i, safe="") for i in batch)
            self.hook.request("DELETE", f"{_group_path(group_id)}/members?member_ids={ids}")
        return {"group_id": group_id, "removed": to_remove, "not_members": not_members}

    def plan_members(
        self, group_id: str | None, emails: Any, *, keep: Any = None, list_current: bool = True
    ) -> dict[str, Any]:
        """The hook's ``plan_members`` on a contact group: user lookups and list calls only.

        Members are user IDs here: the people of ``emails`` and ``keep`` are looked up (``GET /users/{email}``,
        cached), and each member to remove by ID (``GET /users/{id}``) to report them by email. Only users
        (type 1) are members to keep or remove; user groups (type 2) are left alone.
        """
        wanted = list(dict.fromkeys(e.lower() for e in email_list(emails, "emails")))
        users = self.users.resolve_all(wanted)
        active = [e for e in wanted if users[e].state == ACTIVE]
        current: list[dict[str, Any]] = []
        if group_id and (list_current or keep is not None):
            current = [m for m in self.list_members(group_id)
                       if m.get("id") and (_int(m.get("type")) or MEMBER_USER) == MEMBER_USER]
        current_ids = {str(m["id"]) for m in current}
        remove: list[dict[str, str]] = []
        if keep is not None:
            kept_emails = list(dict.fromkeys([*wanted, *(e.lower() for e in email_list(keep, "keep"))]))
            kept_ids = {str(u.id) for u in self.users.resolve_all(kept_emails).values() if u.id}
            for member in current:
                member_id = str(member["id"])
                if member_id not in kept_ids:
                    remove.append({"id": member_id, "email": self.email_of(member_id) or str(member.get("name")
                                                                                              or member_id)})
        return {
            "group_id": group_id,
            "members": len(current),
            "add": [e for e in active if str(users[e].id) not in current_ids],
            "already_members": [e for e in active if str(users[e].id) in current_ids],
            "pending": [e for e in wanted if users[e].state == PENDING],
            "rejected": [{"email": e, "reason": users[e].reason or "refused"} for e in wanted
                         if users[e].state not in (ACTIVE, PENDING)],
            "remove": sorted(remove, key=lambda m: m["email"]),
        }

    def email_of(self, user_id: str) -> str | None:
        """A member's email (``GET /users/{userId}``, Light); None for a user Zoom no longer knows."""
        try:
            body = self.hook.request_json("GET", f"users/{quote(user_id, safe='')}")
        except ZoomAPIError as exc:
            if isinstance(exc, ZoomReplyError) or exc.status_code != 404:
                raise
            return None
        email = body.get("email")
        return email.lower() if isinstance(email, str) and email else None

    def remove_planned(self, group_id: str, members: list[dict[str, str]]) -> list[str]:
        """Remove ``plan_members``' ``remove`` entries (20 IDs per call, Heavy); return the emails removed."""
        email_by_id = {str(m["id"]): m.get("email") or str(m["id"]) for m in members}
        result = self.remove_members(group_id, list(email_by_id))
        return [email_by_id[i] for i in result["removed"]]

    # -- users ----------------------------------------------------------------------------------------

    def resolve(self, email: str) -> ZoomUser:
        """``GET /users/{email}``, cached in this object: ``active`` (with ``id``), ``pending`` or ``rejected``."""
        return self.users.resolve(email)

    def add_members_by_email(
        self, group_id: str, emails: Any, *, only_missing: bool = False, name: str | None = None
    ) -> dict[str, Any]:
        """Add people by email (deduplicated case-insensitively); optionally only those not yet members.

        ``emails`` as ``hooks._members.email_list`` reads it (a list, or one rendered string). Returns
        ``{"group_id", "added", "already_members", "rejected": [{"email", "reason"}], "pending"}``: ``pending``
        are people not in Zoom yet or with an invitation not accepted (not a failure; a later reconcile adds
        them).

        A racing task may merge this group into a same-named one (see the module docstring): a group found
        gone is replaced by the winner of its name, and after adding anyone the name is listed again until
        the group that holds them is the name's only one. ``group_id`` in the result names where the people
        went. ``name`` saves looking the group's name up (one ``GET /contacts/groups/{id}`` unless this object
        has seen the group) and finds the winner even when the group is gone before this call.
        """
        wanted = list(dict.fromkeys(e.lower() for e in email_list(emails, "emails")))
        users = self.users.resolve_all(wanted)
        pending = [e for e in wanted if users[e].state == PENDING]
        rejected = [{"email": e, "reason": users[e].reason or "refused"} for e in wanted if users[e].state not in
                    (ACTIVE, PENDING)]
        active = [e for e in wanted if users[e].state == ACTIVE]
        if active and name is None:
            name = self._index.name_of(group_id) or str(self.get_group(group_id).get("group_name") or "")
        result: dict[str, Any] = {"added": [], "already_members": [], "rejected": []}
        for _ in range(MAX_CONVERGE_ROUNDS):
            if not active:
                break
            try:
                result = self._add_active(group_id, active, users, only_missing=only_missing)
            except ZoomAPIError as exc:
                winner = self.find_group(name) if name and contact_group_gone(exc) else None
                if winner is None or winner["group_id"] == group_id:
                    raise
                self.log.info("Contact group %s is gone (merged); adding to %r's group %s instead",
                              group_id, name, winner["group_id"])
                group_id = winner["group_id"]
                continue
            if result["added"] and name:
                owed = list(dict.fromkeys(str(users[e].id) for e in result["added"] + result["already_members"]))
                converged = self._converge(name, group_key(name), listed_after=time.monotonic(),
                                           owed=_member_entries(owed), owner=None, owed_to=group_id)
                if converged.winner != group_id:
                    self.log.info("Contact group %s was merged into %s while adding; the people were added there",
                                  group_id, converged.winner)
                    group_id = converged.winner
            break
        else:
            raise ContactGroupsNotConverged(name or group_id, [group_id])
        rejected += result["rejected"]
        if rejected:
            self.log.warning(
                "Contact group %s: %d of %d people refused: %s", group_id, len(rejected), len(wanted),
                "; ".join(f"{r['email']}: {r['reason']}" for r in rejected[:20]),
            )
        if pending:
            self.log.info("Contact group %s: %d people not active in Zoom yet (pending): %s", group_id,
                          len(pending), ", ".join(pending[:20]))
        return {"group_id": group_id, "added": result["added"], "already_members": result["already_members"],
                "rejected": rejected, "pending": pending}

    def _add_active(
        self, group_id: str, emails: list[str], users: dict[str, ZoomUser], *, only_missing: bool
    ) -> dict[str, Any]:
        """Add the active people; two addresses of one Zoom user (aliases) share its fate."""
        ids = list(dict.fromkeys(str(users[e].id) for e in emails))
        current: set[str] = set()
        if only_missing and ids:
            current = {str(m.get("id")) for m in self.list_members(group_id)}
        fate: dict[str, str] = {i: "already" for i in ids if i in current}
        added, unconfirmed, refused = self._add_ids(group_id, [i for i in ids if i not in current])
        fate.update(dict.fromkeys(added, "added"))
        reasons = dict(refused)
        if unconfirmed:
            listed = {str(m.get("id")) for m in self.list_members(group_id)}
            for member_id in unconfirmed:
                if member_id in listed:
                    fate[member_id] = "already"  # in the group, yet not among the ids Zoom added: it was there
                else:
                    reasons[member_id] = "Zoom answered HTTP 201 but the member is not in the group"
        result: dict[str, Any] = {"added": [], "already_members": [], "rejected": []}
        for email in emails:
            member_id = str(users[email].id)
            if member_id in reasons:
                result["rejected"].append({"email": email, "reason": reasons[member_id]})
            else:
                result["added" if fate.get(member_id) == "added" else "already_members"].append(email)
        return result

    def _add_ids(self, group_id: str, ids: list[str]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
        """Add user IDs in batches of 50: (added per Zoom's reply, not in the reply, refused with Zoom's reason).

        A batch Zoom refuses with a 400 (a member it will not take fails the whole call): the members its
        ``errors`` name (``group_members[3].id``) are refused and the rest sent again; a 400 naming nobody is
        split in halves until the refused IDs are alone. A group that is gone raises.
        """
        added: list[str] = []
        unconfirmed: list[str] = []
        refused: list[tuple[str, str]] = []
        queue = [ids[s : s + MAX_USERS_PER_REQUEST] for s in range(0, len(ids), MAX_USERS_PER_REQUEST)]
        while queue:
            batch = queue.pop(0)
            entries = [{"type": MEMBER_USER, "id": i} for i in batch]
            try:
                reply = self.hook.request_json(
                    "POST", f"{_group_path(group_id)}/members", json={"group_members": entries}
                )
            except ZoomAPIError as exc:
                if isinstance(exc, ZoomReplyError) or exc.status_code != 400 or contact_group_gone(exc):
                    raise
                named = _named_members(exc.errors, len(batch))
                if named:
                    refused += [(batch[i], reason) for i, reason in sorted(named.items())]
                    rest = [m for i, m in enumerate(batch) if i not in named]
                    if rest:
                        queue.insert(0, rest)
                elif len(batch) == 1:
                    refused.append((batch[0], exc.zoom_message or "refused by Zoom"))
                else:
                    half = len(batch) // 2
                    queue[:0] = [batch[:half], batch[half:]]
                continue
            reply_ids = set(_id_list(reply.get("member_ids")))
            added += [i for i in batch if i in reply_ids]
            unconfirmed += [i for i in batch if i not in reply_ids]
        return added, unconfirmed, refused

    # -- one group per name ----------------------------------------------------------------------------

    def find_group(self, name: str, *, max_age: float = 0.0) -> dict[str, Any] | None:
        """The group a name stands for (the lowest ``group_id`` of its key), from a listing at most ``max_age`` old."""
        groups = self._index.groups_of(group_key(name), listed_after=time.monotonic() - max_age)
        return groups[0] if groups else None

    def ensure_group(
        self,
        name: str,
        *,
        privacy: int = PRIVACY_BY_IM_TYPE["normal"],
        description: str | None = None,
        member_ids: Iterable[str | dict[str, Any]] = (),
    ) -> Ensured:
        """The one group of ``name`` (``Ensured``: its id, whether this call created it, what was merged).

        Members are sent in the create (the first 50 users) and the rest added to the winner; members are
        not added to a group that already existed (the caller adds them, e.g. ``add_members_by_email``).
        """
        key = group_key(name)
        privacy = _privacy(privacy)
        entries = _member_entries(member_ids)
        existing = self._index.groups_of(key, listed_after=time.monotonic() - INDEX_MAX_AGE_S)
        if existing:
            converged = self._converge(name, key, listed_after=float("-inf"), owed=[], owner=None)
            return Ensured(converged.winner, created=False, sent_create=False, merged=converged.merged)
        first, rest = _first_batch(entries)
        last_error: BaseException | None = None
        for _ in range(MAX_CREATE_ROUNDS):
            try:
                reply = self._send_create(name, privacy, description, first)
            except _OutcomeUnknown as unknown:
                last_error = unknown.error
                self.log.warning(
                    "Create of contact group %r: %s; Zoom may have carried it out, looking the name up before any "
                    "new attempt", name, unknown.error,
                )
                seen = time.monotonic()
                if self._index.groups_of(key, listed_after=seen):
                    # It went through (or a racing task's did): it is this call's group; owe every member.
                    converged = self._converge(name, key, listed_after=seen, owed=entries, owner=None)
                    self.log.info("Contact group %r was created by an attempt whose reply was lost", name)
                    return Ensured(converged.winner, created=True, sent_create=True, merged=converged.merged)
                continue
            own = reply["group_id"]
            self._index.note_created({"group_name": name, **reply, "group_id": own})
            converged = self._converge(name, key, listed_after=time.monotonic(), owed=rest, owner=own)
            return Ensured(converged.winner, created=converged.winner == own, sent_create=True,
                           merged=converged.merged)
        assert last_error is not None
        raise last_error

    def create_group_from_spec(
        self,
        spec: GroupSpec,
        *,
        on_conflict: str = "reuse",
        description: str | None = None,
        members: Any = (),
    ) -> GroupOutcome:
        """Create the spec's group as a contact group, or report the one of that name: the hook's ``GroupOutcome``.

        ``type`` maps normal->2, shared->1, restricted->3 (``group_privacy``); ``search_by_*`` have no
        equivalent and are ignored (logged once when set). ``members`` (emails) are resolved first and the
        active ones sent in the create (up to 50; more are added right after). The result also carries
        ``members_added`` / ``members_pending`` / ``members_rejected`` (all empty when the group existed:
        the caller adds members then, as on the IM path). A created group that lost a race to a same-named
        one is merged into it and reported ``exists`` with the winner's id.
        """
        if on_conflict not in ON_CONFLICT_CHOICES:
            raise ZoomInvalidInput(f"on_conflict must be one of {ON_CONFLICT_CHOICES}, not {on_conflict!r}")
        self._log_ignored_flags(spec)
        privacy = PRIVACY_BY_IM_TYPE.get(spec.type)
        if privacy is None:
            raise ZoomInvalidInput(f"group type {spec.type!r} has no contact-group privacy; use one of "
                                   f"{', '.join(PRIVACY_BY_IM_TYPE)}")
        outcome_type = _contact_group_outcome_type()
        if self._index.groups_of(group_key(spec.name), listed_after=time.monotonic() - INDEX_MAX_AGE_S):
            found = self.ensure_group(spec.name, privacy=privacy, description=description)
            return self._exists(spec, on_conflict, found.group_id, outcome_type)
        wanted = list(dict.fromkeys(e.lower() for e in email_list(members, "members")))
        users = self.users.resolve_all(wanted)
        active = [e for e in wanted if users[e].state == ACTIVE]
        ids = list(dict.fromkeys(str(users[e].id) for e in active))
        ensured = self.ensure_group(spec.name, privacy=privacy, description=description, member_ids=ids)
        group_id = ensured.group_id
        pending = [e for e in wanted if users[e].state == PENDING]
        rejected = [{"email": e, "reason": users[e].reason or "refused"} for e in wanted
                    if users[e].state not in (ACTIVE, PENDING)]
        if not ensured.sent_create:
            return self._exists(spec, on_conflict, group_id, outcome_type)
        if not ensured.created:
            self.log.info("Contact group %r: a racing task's group %s won; this task's members were moved there",
                          spec.name, group_id)
            if on_conflict == "fail":
                raise ZoomGroupExistsError(spec.name, group_id)
            return outcome_type(409, "exists", group_id, spec.name, tuple(active), tuple(pending), tuple(rejected))
        return outcome_type(201, "created", group_id, spec.name, tuple(active), tuple(pending), tuple(rejected))

    def _exists(self, spec: GroupSpec, on_conflict: str, group_id: str, outcome_type: type) -> GroupOutcome:
        if on_conflict == "fail":
            raise ZoomGroupExistsError(spec.name, group_id)
        return outcome_type(409, "exists", group_id, spec.name)

    def _log_ignored_flags(self, spec: GroupSpec) -> None:
        flags = [f for f in SEARCH_FLAGS if getattr(spec, f, None) is not None]
        if not flags:
            return
        with self._log_lock:
            if self._search_flags_logged:
                return
            self._search_flags_logged = True
        self.log.warning(
            "Contact groups have no equivalent of %s: ignored (group_privacy is taken from the group type)",
            ", ".join(flags),
        )

    def _converge(
        self, name: str, key: str, *, listed_after: float, owed: list[dict[str, Any]], owner: str | None,
        owed_to: str | None = None,
    ) -> _Converged:
        """Settle ``key`` on its winner (lowest id); see the module docstring.

        ``owed`` are members this call must see in the winner that were not part of a create (already added
        to ``owed_to`` before ``listed_after``); ``owner`` is the group this call created (its create's
        members travel with every move of it).
        """
        if not owed:
            owed_to = ""
        merged: list[str] = []
        for _ in range(MAX_CONVERGE_ROUNDS):
            groups = self._index.groups_of(key, listed_after=listed_after)
            if not groups:
                if owner is None:
                    raise ContactGroupsNotConverged(name, [])
                # The create went through but is not listed (yet): trust it once more.
                listed_after = time.monotonic()
                continue
            winner = groups[0]["group_id"]
            if len(groups) == 1 and owed_to in ("", winner):
                return _Converged(winner, merged)
            try:
                if owed and owed_to != winner:
                    self.add_members(winner, owed)
                    owed_to = winner
                for other in groups[1:]:
                    moved = self._move(other["group_id"], winner)
                    merged.append(other["group_id"])
                    if moved:  # now this call's to keep: a move of the winner may have listed it before
                        owed = _member_entries([*owed, *moved])
                        owed_to = winner
            except ZoomAPIError as exc:
                if not contact_group_gone(exc):
                    raise
                self.log.info("Contact group %r: %s is gone (merged by another task); listing again", name,
                              exc.path)
            listed_after = time.monotonic()
        groups = self._index.groups_of(key, listed_after=float("-inf"))
        raise ContactGroupsNotConverged(name, [g["group_id"] for g in groups])

    def _move(self, source: str, target: str) -> list[dict[str, Any]]:
        """Move every member of ``source`` into ``target``, then delete ``source``; return the members moved.

        A source already gone was moved by another task: nothing to do.
        """
        try:
            members = self.list_members(source)
        except ZoomAPIError as exc:
            if not contact_group_gone(exc):
                raise
            self._index.note_deleted(source)
            return []
        entries = [{"type": _int(m.get("type")) or MEMBER_USER, "id": str(m["id"])} for m in members if m.get("id")]
        if entries:
            self.add_members(target, entries)
        self.log.info("Contact group %s: duplicate name, %d members moved into %s; deleting it", source,
                      len(entries), target)
        try:
            self.delete_group(source)
        except ZoomAPIError as exc:
            if not contact_group_gone(exc):
                raise
            self._index.note_deleted(source)
        return entries

    def _send_create(
        self, name: str, privacy: int, description: str | None, members: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """One create, never re-sent by the hook after an attempt whose outcome is unknown (``_OutcomeUnknown``)."""
        body: dict[str, Any] = {"group_name": name, "group_privacy": _privacy(privacy)}
        if description is not None:
            body["description"] = description
        if members:
            body["group_members"] = members
        if not _takes_retry_unknown_outcome(self.hook):
            return self.hook.request(
                "POST", GROUPS_PATH, json=body, attempts=_StopOnUnknownOutcome(), parse=_CREATED
            )
        try:
            return self.hook.request(
                "POST", GROUPS_PATH, json=body, retry_unknown_outcome=False, parse=_CREATED
            )
        except Exception as exc:
            if outcome_unknown(exc):
                raise _OutcomeUnknown(exc) from exc
            raise

    # -- paging ------------------------------------------------------------------------------------------

    def _paginate(self, path: str, keys: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        """Every item of a listing, 50 per page; an expired or refused page token restarts it once."""
        restarted = False
        params: dict[str, Any] = {"page_size": PAGE_SIZE}
        seen: list[dict[str, Any]] = []
        while True:
            try:
                body = self.hook.request("GET", path, params=params, parse=functools.partial(page_of, keys=keys))
            except ZoomAPIError as exc:
                if "next_page_token" not in params or restarted or exc.status_code != 400 or contact_group_gone(exc):
                    raise
                restarted = True
                params, seen = {"page_size": PAGE_SIZE}, []
                continue
            seen += body["_items"]
            token = body.get("next_page_token")
            if not token:
                yield from seen
                return
            params = {"page_size": PAGE_SIZE, "next_page_token": str(token)}


def _takes_retry_unknown_outcome(hook: Any) -> bool:
    """Whether ``hook.request`` can itself stop retrying at an attempt whose outcome is unknown."""
    try:
        return "retry_unknown_outcome" in inspect.signature(hook.request).parameters
    except (TypeError, ValueError):
        return False


@functools.cache
def _contact_group_outcome_type() -> type:
    """``GroupOutcome`` plus what happened to the members sent with the create (imported late: no cycle)."""
    from airflow_provider_zoom.hooks.zoom import GroupOutcome

    @dataclass(frozen=True)
    class ContactGroupOutcome(GroupOutcome):
        members_added: tuple[str, ...] = ()
        members_pending: tuple[str, ...] = ()
        members_rejected: tuple[dict[str, str], ...] = ()

        def to_dict(self) -> dict[str, Any]:
            return {
                **super().to_dict(),
                "members_added": list(self.members_added),
                "members_pending": list(self.members_pending),
                "members_rejected": [dict(r) for r in self.members_rejected],
            }

    ContactGroupOutcome.__qualname__ = "ContactGroupOutcome"
    globals()["ContactGroupOutcome"] = ContactGroupOutcome  # picklable by name
    return ContactGroupOutcome


_MEMBER_FIELD = re.compile(r"^\s*(?:group_)?members\[(\d+)\]")


def _named_members(errors: list[dict[str, Any]], sent: int) -> dict[int, str]:
    """Indexes of the batch that Zoom's validation ``errors`` name, with Zoom's message."""
    named: dict[int, str] = {}
    for error in errors:
        match = _MEMBER_FIELD.match(str(error.get("field", "")))
        if match and int(match.group(1)) < sent:
            named.setdefault(int(match.group(1)), str(error.get("message") or "").strip() or "refused by Zoom")
    return named


def _group_path(group_id: str) -> str:
    if not isinstance(group_id, str) or not group_id.strip():
        raise ZoomInvalidInput(f"group_id must be a non-empty string, not {group_id!r}")
    return f"{GROUPS_PATH}/{quote(group_id.strip(), safe='')}"


def _privacy(value: Any) -> int:
    if isinstance(value, bool) or _int(value) not in PRIVACIES:
        raise ZoomInvalidInput(f"group_privacy must be 1, 2 or 3, not {value!r}")
    return int(value)


def _member_entries(members: Iterable[str | dict[str, Any]]) -> list[dict[str, Any]]:
    """``{type, id}`` entries: a string is a user ID (type 1); duplicates dropped, order kept."""
    if isinstance(members, (str, bytes)):
        raise ZoomInvalidInput("members must be a list of user IDs, not one string")
    entries: dict[tuple[int, str], dict[str, Any]] = {}
    for index, member in enumerate(members):
        if isinstance(member, str):
            kind, member_id = MEMBER_USER, member.strip()
        elif isinstance(member, dict):
            kind, member_id = _int(member.get("type", MEMBER_USER)) or 0, str(member.get("id") or "").strip()
        else:
            raise ZoomInvalidInput(f"members[{index}] must be a user ID or a {{type, id}} object, not {member!r}")
        if kind not in (MEMBER_USER, MEMBER_USER_GROUP) or not member_id:
            raise ZoomInvalidInput(f"members[{index}] needs type 1 (user) or 2 (user group) and an id: {member!r}")
        entries.setdefault((kind, member_id), {"type": kind, "id": member_id})
    return list(entries.values())


def _batches(entries: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Batches of at most 50 users and 3 user groups (Zoom's per-request limits)."""
    users = [e for e in entries if e["type"] == MEMBER_USER]
    groups = [e for e in entries if e["type"] == MEMBER_USER_GROUP]
    while users or groups:
        batch = users[:MAX_USERS_PER_REQUEST] + groups[:MAX_USER_GROUPS_PER_REQUEST]
        users, groups = users[MAX_USERS_PER_REQUEST:], groups[MAX_USER_GROUPS_PER_REQUEST:]
        yield batch


def _first_batch(entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    batches = list(_batches(entries))
    if not batches:
        return [], []
    first = batches[0]
    return first, [e for e in entries if e not in first]


def _id_list(value: Any) -> list[str]:
    """Zoom's ``member_ids`` (a list; a comma-separated string is read too)."""
    if isinstance(value, str):
        return [i.strip() for i in value.split(",") if i.strip()]
    if isinstance(value, list):
        return [str(i).strip() for i in value if str(i).strip()]
    return []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None



def __getattr__(name: str) -> Any:
    """``ContactGroupOutcome`` is built on first use (it subclasses the hook's ``GroupOutcome``); unpickling too."""
    if name == "ContactGroupOutcome":
        return _contact_group_outcome_type()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
