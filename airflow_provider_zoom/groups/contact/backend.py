"""Contact Groups (``/v2/contacts/groups``), one ``GroupAPI`` backend: the successor of the retired IM Groups.

People are given by e-mail and are Zoom user IDs in a contact group: ``users`` looks them up (``pending``:
not active in Zoom yet). Names are kept unique by ``one_per_name``; the calls themselves are ``wire``'s.
A group type maps to a privacy (``PRIVACY_BY_GROUP_TYPE``); the IM search flags have no equivalent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from airflow_provider_zoom._defaults import ON_CONFLICT_CHOICES
from airflow_provider_zoom._values import as_int
from airflow_provider_zoom.emails import email_list
from airflow_provider_zoom.exceptions import (
    ContactGroupsNotConverged,
    ZoomAPIError,
    ZoomGroupExistsError,
    ZoomInvalidInput,
)
from airflow_provider_zoom.group_spec import SEARCH_FLAGS, group_key
from airflow_provider_zoom.groups.base import (
    GroupOutcome,
    GroupRef,
    MemberKey,
    MemberPlan,
    MembersAdded,
    PlannedRemoval,
    Rejection,
    RemovalCallback,
)
from airflow_provider_zoom.groups.contact.one_per_name import MAX_CONVERGE_ROUNDS, Ensured, OneGroupPerName
from airflow_provider_zoom.groups.contact.users import ACTIVE, PENDING, UserDirectory, ZoomUser
from airflow_provider_zoom.groups.contact.wire import MEMBER_USER, contact_group_gone, member_entries

if TYPE_CHECKING:
    from airflow_provider_zoom._transport.requester import Requester
    from airflow_provider_zoom.group_spec import GroupSpec

__all__ = ["PRIVACY_BY_GROUP_TYPE", "ContactGroups"]

API_NAME = "contact_groups"
#: ``GroupSpec.type`` -> Zoom's ``group_privacy`` (1 everyone sees the group, 2 members, 3 nobody else).
PRIVACY_BY_GROUP_TYPE = {"shared": 1, "normal": 2, "restricted": 3}
_MEMBER_KEYS: tuple[MemberKey, ...] = ("members_added", "members_pending", "members_rejected")


class ContactGroups:
    """Contact Groups over a ``Requester``; one object per task (its user cache and name index live as long
    as it does), shared by the threads of a wave.

    ``client`` is the wire client (the eight operations), ``names`` the one-group-per-name guarantee,
    ``users`` the e-mail lookup.
    """

    api_name = API_NAME

    def __init__(self, requester: Requester):
        self.log = requester.log
        self.users = UserDirectory(requester)
        self.names = OneGroupPerName(requester)
        self.client = self.names.client
        self._search_flags_logged = False
        self._log_lock = threading.Lock()

    def list_groups(self) -> list[dict[str, Any]]:
        """Every contact group (``group_id``, ``group_name``, ``group_privacy``, ``description``)."""
        return self.client.list_groups()

    def group_refs(self) -> list[GroupRef]:
        return [GroupRef(group_id=str(g["group_id"]), name=str(g.get("group_name") or ""))
                for g in self.list_groups() if g.get("group_id")]

    def find_group(self, name: str) -> GroupRef | None:
        """The group a name stands for, from a listing at most a minute old."""
        group = self.names.find_group(name, max_age=60.0)
        return GroupRef(group_id=group["group_id"], name=group.get("group_name") or name) if group else None

    def create_group(
        self,
        spec: GroupSpec,
        *,
        on_conflict: str = "reuse",
        description: str | None = None,
        members: Any = (),
    ) -> GroupOutcome:
        """Create the spec's group as a contact group, or report the one of that name: a ``GroupOutcome``.

        ``type`` maps normal->2, shared->1, restricted->3 (``group_privacy``); ``search_by_*`` have no
        equivalent and are ignored (logged once when set). ``members`` (emails) are resolved first and the
        active ones sent in the create (up to 50; more are added right after). The result also carries
        ``members_added`` / ``members_pending`` / ``members_rejected`` (all empty when the group existed:
        the caller adds members then, as on the IM path). Groups already there under the name, in any
        spelling, are adopted (``exists``; the others of the name in ``also_named``), never merged or deleted.
        """
        if on_conflict not in ON_CONFLICT_CHOICES:
            raise ZoomInvalidInput(f"on_conflict must be one of {ON_CONFLICT_CHOICES}, not {on_conflict!r}")
        self._log_ignored_flags(spec)
        privacy = PRIVACY_BY_GROUP_TYPE.get(spec.type)
        if privacy is None:
            raise ZoomInvalidInput(f"group type {spec.type!r} has no contact-group privacy; use one of "
                                   f"{', '.join(PRIVACY_BY_GROUP_TYPE)}")
        found = self.names.adopt(spec.name)  # no user lookups for a name that exists
        if found is not None:
            return self._exists(spec, on_conflict, found)
        wanted = list(dict.fromkeys(e.lower() for e in email_list(members, "members")))
        users = self.users.resolve_all(wanted)
        active = [e for e in wanted if users[e].state == ACTIVE]
        ids = list(dict.fromkeys(str(users[e].id) for e in active))
        ensured = self.names.ensure_group(spec.name, privacy=privacy, description=description, member_ids=ids)
        if not ensured.created:  # another task of this machine created it meanwhile (seen under the claim)
            return self._exists(spec, on_conflict, ensured)
        pending = [e for e in wanted if users[e].state == PENDING]
        rejected = [{"email": e, "reason": users[e].reason or "refused"} for e in wanted
                    if users[e].state not in (ACTIVE, PENDING)]
        return _outcome(201, "created", ensured.group_id, spec.name, active, pending, rejected)


    def _exists(self, spec: GroupSpec, on_conflict: str, found: Ensured) -> GroupOutcome:
        if on_conflict == "fail":
            raise ZoomGroupExistsError(spec.name, found.group_id)
        return _outcome(409, "exists", found.group_id, spec.name, also_named=found.also_named)


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


    def add_members(
        self, group_id: str, emails: Any, *, only_missing: bool = False, name: str | None = None
    ) -> MembersAdded:
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
        rejected = [Rejection(email=e, reason=users[e].reason or "refused") for e in wanted
                    if users[e].state not in (ACTIVE, PENDING)]
        active = [e for e in wanted if users[e].state == ACTIVE]
        if active and name is None:
            name = self.names.index.name_of(group_id) or str(self.client.get_group(group_id).get("group_name") or "")
        result: dict[str, Any] = {"added": [], "already_members": [], "rejected": []}
        for _ in range(MAX_CONVERGE_ROUNDS):
            if not active:
                break
            try:
                result = self._add_active(group_id, active, users, only_missing=only_missing)
            except ZoomAPIError as exc:
                winner = self.names.find_group(name) if name and contact_group_gone(exc) else None
                if winner is None or winner["group_id"] == group_id:
                    raise
                self.log.info("Contact group %s is gone (merged); adding to %r's group %s instead",
                              group_id, name, winner["group_id"])
                group_id = winner["group_id"]
                continue
            if result["added"] and name:
                owed = list(dict.fromkeys(str(users[e].id) for e in result["added"] + result["already_members"]))
                converged = self.names.converge(name, group_key(name), listed_after=time.monotonic(),
                                           owed=member_entries(owed), owner=None, owed_to=group_id)
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
        return MembersAdded(group_id=group_id, added=result["added"], already_members=result["already_members"],
                            rejected=rejected, pending=pending)


    def _add_active(
        self, group_id: str, emails: list[str], users: dict[str, ZoomUser], *, only_missing: bool
    ) -> dict[str, Any]:
        """Add the active people; two addresses of one Zoom user (aliases) share its fate."""
        ids = list(dict.fromkeys(str(users[e].id) for e in emails))
        current: set[str] = set()
        if only_missing and ids:
            current = {str(m.get("id")) for m in self.client.list_members(group_id)}
        fate: dict[str, str] = {i: "already" for i in ids if i in current}
        added, unconfirmed, refused = self.client.add_ids(group_id, [i for i in ids if i not in current])
        fate.update(dict.fromkeys(added, "added"))
        reasons = dict(refused)
        if unconfirmed:
            listed = {str(m.get("id")) for m in self.client.list_members(group_id)}
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


    def plan_members(
        self, group_id: str | None, emails: Any, *, keep: Any = None, list_current: bool = True
    ) -> MemberPlan:
        """``GroupAPI.plan_members`` on a contact group: user lookups and list calls only.

        Members are user IDs here: the people of ``emails`` and ``keep`` are looked up (``GET /users/{email}``,
        cached), and each member to remove by ID (``GET /users/{id}``) to report them by email. Only users
        (type 1) are members to keep or remove; user groups (type 2) are left alone.
        """
        wanted = list(dict.fromkeys(e.lower() for e in email_list(emails, "emails")))
        users = self.users.resolve_all(wanted)
        active = [e for e in wanted if users[e].state == ACTIVE]
        current: list[dict[str, Any]] = []
        if group_id and (list_current or keep is not None):
            current = [m for m in self.client.list_members(group_id)
                       if m.get("id") and (as_int(m.get("type")) or MEMBER_USER) == MEMBER_USER]
        current_ids = {str(m["id"]) for m in current}
        remove: list[PlannedRemoval] = []
        if keep is not None:
            kept_emails = list(dict.fromkeys([*wanted, *(e.lower() for e in email_list(keep, "keep"))]))
            kept_ids = {str(u.id) for u in self.users.resolve_all(kept_emails).values() if u.id}
            for member in current:
                member_id = str(member["id"])
                if member_id not in kept_ids:
                    email = self.client.email_of(member_id) or str(member.get("name") or member_id)
                    remove.append(PlannedRemoval(id=member_id, email=email))
        return MemberPlan(
            group_id=group_id,
            members=len(current),
            add=[e for e in active if str(users[e].id) not in current_ids],
            already_members=[e for e in active if str(users[e].id) in current_ids],
            pending=[e for e in wanted if users[e].state == PENDING],
            rejected=[Rejection(email=e, reason=users[e].reason or "refused") for e in wanted
                      if users[e].state not in (ACTIVE, PENDING)],
            remove=sorted(remove, key=lambda m: m["email"]),
        )


    def remove_members(
        self, group_id: str, members: Iterable[PlannedRemoval], *, on_removed: RemovalCallback | None = None
    ) -> list[str]:
        """Remove ``plan_members``' ``remove`` entries (20 IDs per call, Heavy); return the emails removed, each
        also given to ``on_removed`` once the call that removed it succeeded."""
        email_by_id = {str(m["id"]): m.get("email") or str(m["id"]) for m in members}

        def confirmed(ids: list[str]) -> None:
            for member_id in ids:
                if on_removed is not None:
                    on_removed(email_by_id[member_id])

        result = self.client.remove_members(group_id, list(email_by_id), on_removed=confirmed if on_removed else None)
        return [email_by_id[i] for i in result["removed"]]


    def resolve(self, email: str) -> ZoomUser:
        """``GET /users/{email}``, cached in this object: ``active`` (with ``id``), ``pending`` or ``rejected``."""
        return self.users.resolve(email)


def _outcome(
    status_code: int, action: Any, group_id: str, name: str, added: Iterable[str] = (), pending: Iterable[str] = (),
    rejected: Iterable[Any] = (), also_named: tuple[GroupRef, ...] = (),
) -> GroupOutcome:
    return GroupOutcome(status_code, action, group_id, name, members_added=tuple(added),
                        members_pending=tuple(pending), members_rejected=tuple(rejected), member_keys=_MEMBER_KEYS,
                        also_named=also_named)
