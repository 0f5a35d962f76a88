"""IM directory groups (``/v2/im/groups``), one ``GroupAPI`` backend.

Members are e-mail addresses, 10 per add; "name in use" is a 409 (code 4132) and Zoom has no lookup by name
(the account's groups are listed and indexed, ``NameIndex``). The create is the multipart form of Zoom's
documentation (``im_form_fields``).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from airflow_provider_zoom._defaults import ON_CONFLICT_CHOICES
from airflow_provider_zoom._transport.pagination import paginate
from airflow_provider_zoom._transport.retries import created_object, outcome_unknown
from airflow_provider_zoom.emails import email_list
from airflow_provider_zoom.exceptions import (
    ZoomAPIError,
    ZoomError,
    ZoomGroupExistsError,
    ZoomInvalidInput,
    ZoomRateLimitError,
    ZoomReplyError,
)
from airflow_provider_zoom.group_spec import group_key
from airflow_provider_zoom.groups._member_errors import rejected_members
from airflow_provider_zoom.groups.base import (
    GroupOutcome,
    GroupRef,
    MemberKey,
    MemberPlan,
    MembersAdded,
    PlannedRemoval,
    RemovalCallback,
)
from airflow_provider_zoom.groups.im_form import im_form_fields
from airflow_provider_zoom.groups.names import NameIndex, pick

if TYPE_CHECKING:
    from airflow_provider_zoom._transport.requester import Requester
    from airflow_provider_zoom.group_spec import GroupSpec

__all__ = ["IMGroups", "im_form_fields"]

API_NAME = "im_groups"
GROUPS_PATH = "im/groups"
MAX_MEMBERS_PER_ADD = 10  # Swagger: POST /im/groups/{groupId}/members takes at most 10 members
MEMBERS_PAGE_SIZE = 300  # Swagger: maximum page_size of GET /im/groups/{groupId}/members
GROUP_NAME_IN_USE = 4132
GROUP_NOT_FOUND = 4130  # Swagger: "Group does not exist:{groupId}."
_CREATED = functools.partial(created_object, id_key="id")  # a 201 of POST /im/groups names its id
_WITH_MEMBERS: tuple[MemberKey, ...] = ("members_added", "members_rejected")


@dataclass(frozen=True)
class _BatchResult:
    added: list[dict[str, str]]
    already_members: list[dict[str, str]]
    rejected: list[tuple[dict[str, str], str]]


class IMGroups:
    """IM Groups over a ``Requester``; one object per task, shared by the threads of a wave."""

    api_name = API_NAME

    def __init__(self, requester: Requester):
        self.requester = requester
        self.log = requester.log
        self._index = NameIndex(self.list_groups, id_field="id", name_field="name")
        self._members_wait_for_reset = False  # a daily-limit 429 on a member add: creates go on without members
        self._flag_lock = threading.Lock()

    # -- the GroupAPI ---------------------------------------------------------------------------------

    def list_groups(self) -> list[dict[str, Any]]:
        """Every IM group of the account (``GET /im/groups``, all pages)."""
        return list(paginate(self.requester, GROUPS_PATH, ("groups",)))

    def group_refs(self) -> list[GroupRef]:
        return [GroupRef(group_id=str(g["id"]), name=str(g.get("name") or ""))
                for g in self.list_groups() if g.get("id")]

    def find_group(self, name: str) -> GroupRef | None:
        group = self.group_named(name)
        return GroupRef(group_id=group["id"], name=group.get("name") or name) if group else None

    def create_group(
        self, spec: GroupSpec, *, on_conflict: str = "reuse", description: str | None = None, members: Any = ()
    ) -> GroupOutcome:
        """Create the group and, when this call created it, add ``members`` right away (Medium, beside the
        other threads' creates on Light). IM groups have no description: it is not sent.

        The add is best effort: a failure after the create is logged and the group still reported created with
        who got in, so the members step adds the rest. A daily-limit 429 stops member adds for the rest of the
        wave (creates go on); the members step meets that limit itself.
        """
        wanted = list(dict.fromkeys(e.lower() for e in email_list(members, "members")))
        outcome = self.create(spec, on_conflict=on_conflict)
        if outcome.outcome != "created" or not wanted or outcome.group_id is None or self._members_wait_for_reset:
            return outcome
        result: dict[str, Any] = {"added": [], "already_members": [], "rejected": []}
        try:
            self._add_emails(outcome.group_id, wanted, result)
        except ZoomRateLimitError as exc:
            with self._flag_lock:
                first, self._members_wait_for_reset = not self._members_wait_for_reset, True
            if first:
                self.log.warning("Member adds stop for this wave (the members step adds them): %s", exc)
        except (ZoomError, requests.RequestException) as exc:
            self.log.warning("IM group %r was created; adding its members failed (%s): the members step adds the "
                             "%d not in yet", spec.name, exc, len(wanted) - len(result["added"]))
        return GroupOutcome(
            outcome.status_code, outcome.outcome, outcome.group_id, outcome.name,
            members_added=tuple(result["added"] + result["already_members"]),
            members_rejected=tuple(result["rejected"]), member_keys=_WITH_MEMBERS,
        )

    def add_members(
        self, group_id: str, emails: Any, *, only_missing: bool = False, name: str | None = None
    ) -> MembersAdded:
        """Add people by email, 10 per call; optionally skip current members (``pending`` is always empty).

        ``added`` is who Zoom's reply (and, when it counts fewer, the group's member list) shows as added;
        ``rejected`` who Zoom refused, with its reason; the others of their batch are still added.
        """
        wanted = list(dict.fromkeys(e.lower() for e in email_list(emails, "emails")))
        current: set[str] = set()
        if only_missing:
            current = {str(m.get("email") or "").lower() for m in self.list_members(group_id)}
        result: dict[str, Any] = {"group_id": group_id, "added": [], "rejected": [],
                                  "already_members": [e for e in wanted if e in current]}
        self._add_emails(group_id, [e for e in wanted if e not in current], result)
        return MembersAdded(group_id=group_id, added=result["added"], already_members=result["already_members"],
                            rejected=result["rejected"], pending=[])

    def plan_members(
        self, group_id: str | None, emails: Any, *, keep: Any = None, list_current: bool = True
    ) -> MemberPlan:
        """What reconciling the group with ``emails`` would do, from list calls only (nothing is written)."""
        wanted = list(dict.fromkeys(e.lower() for e in email_list(emails, "emails")))
        current = self.list_members(group_id) if group_id and (list_current or keep is not None) else []
        by_email = {str(m.get("email") or "").lower(): str(m.get("id") or "") for m in current}
        kept = None if keep is None else {e.lower() for e in email_list(keep, "keep")} | set(wanted)
        return MemberPlan(
            group_id=group_id,
            members=len(current),
            add=[e for e in wanted if e not in by_email],
            already_members=[e for e in wanted if e in by_email],
            pending=[],
            rejected=[],
            remove=[] if kept is None else [
                PlannedRemoval(id=member_id, email=email)
                for email, member_id in sorted(by_email.items()) if email not in kept
            ],
        )

    def remove_members(
        self, group_id: str, members: Iterable[PlannedRemoval], *, on_removed: RemovalCallback | None = None
    ) -> list[str]:
        """Remove members one call each (``DELETE /im/groups/{groupId}/members/{memberId}``, Light); return the
        emails removed, each also given to ``on_removed`` right after its call. A member Zoom no longer finds (a
        404 other than code 4130, "group does not exist") was removed meanwhile: not counted.
        """
        removed: list[str] = []
        for member in members:
            path = f"{GROUPS_PATH}/{group_id}/members/{quote(str(member['id']), safe='')}"
            try:
                self.requester.request("DELETE", path)
            except ZoomAPIError as exc:
                if isinstance(exc, ZoomReplyError) or exc.status_code != 404 or str(exc.code) == str(GROUP_NOT_FOUND):
                    raise
                continue
            removed.append(member.get("email") or member["id"])
            if on_removed is not None:
                on_removed(removed[-1])
        return removed

    # -- IM Groups' own calls ---------------------------------------------------------------------------

    def create(self, spec: GroupSpec, *, on_conflict: str = "reuse") -> GroupOutcome:
        """Create the group, treating "name in use" (409, code 4132) as an outcome rather than a failure.

        A 409 that follows an attempt whose outcome is unknown (timeout, 5xx, dropped connection, a
        201 whose body could not be read) is that attempt's group when the group is still empty: it is
        reported as ``created`` and never created twice. A group that already has members was there
        before this call. Every outcome carries the group's id; a reply that leaves it unknown raises
        ``ZoomReplyError``.

        :param on_conflict: ``reuse`` returns the existing group; ``fail`` raises ``ZoomGroupExistsError``.
        """
        if on_conflict not in ON_CONFLICT_CHOICES:
            raise ZoomInvalidInput(f"on_conflict must be one of {ON_CONFLICT_CHOICES}, not {on_conflict!r}")
        attempts: list = []
        files = {field: (None, value) for field, value in im_form_fields(spec).items()}
        try:
            body = self.requester.request("POST", GROUPS_PATH, files=files, attempts=attempts, parse=_CREATED)
        except ZoomAPIError as exc:
            if isinstance(exc, ZoomReplyError) or exc.status_code != 409 or exc.code not in (GROUP_NAME_IN_USE, None):
                raise
            existing, others = self._named(spec.name, seen_after=time.monotonic())
            existing = existing or {}
            group_id = existing.get("id")
            if not isinstance(group_id, str) or not group_id:
                raise ZoomReplyError(
                    "POST", "/im/groups", 409,
                    f"name in use (Zoom code {exc.code}) for {spec.name!r}, but no group of that name is listed by "
                    "GET /im/groups",
                ) from None
            lost_reply = any(outcome_unknown(a) for a in attempts) and not existing.get("total_members")
            if lost_reply:
                self.log.info("Group %r was created by an earlier attempt whose reply was lost", spec.name)
                return GroupOutcome(201, "created", group_id, spec.name)
            if on_conflict == "fail":
                raise ZoomGroupExistsError(spec.name, group_id) from None
            also = tuple(GroupRef(group_id=str(g["id"]), name=str(g.get("name") or "")) for g in others)
            if also:  # Zoom keeps IM names unique: only a listing that lags could show two
                self.log.warning("IM group %r: %d other group(s) share the name (%s); using %s, leaving them as they "
                                 "are", spec.name, len(also), ", ".join(r["group_id"] for r in also), group_id)
            return GroupOutcome(409, "exists", group_id, spec.name, also_named=also)
        name = body.get("name")
        return GroupOutcome(201, "created", body["id"], name if isinstance(name, str) and name else spec.name)

    def group_named(self, name: str, *, seen_after: float | None = None) -> dict[str, Any] | None:
        """The IM group of ``name`` (names are unique per account regardless of case), or None.

        Answered from the backend's index when it holds the name; listed again only when the index predates
        ``seen_after`` (default: now) and lacks it: a wave re-run meets a 409 for every group, and a listing
        for each would cost one Medium call per group.
        """
        return self._named(name, seen_after=seen_after)[0]

    def _named(self, name: str, *, seen_after: float | None) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The group of ``name`` by ``names.pick`` (the exact spelling first, then the lowest id) and the others."""
        seen = time.monotonic() if seen_after is None else seen_after
        groups = self._index.groups_of(group_key(name), listed_after=seen, reuse_if_found=True)
        return pick(name, groups, id_field="id", name_field="name")

    def get_group(self, group_id: str) -> dict[str, Any]:
        """One IM group (``GET /im/groups/{groupId}``)."""
        return self.requester.request_json("GET", f"{GROUPS_PATH}/{group_id}")

    def list_members(self, group_id: str) -> list[dict[str, Any]]:
        """Every member of an IM group, 300 per page (Zoom's largest)."""
        return list(paginate(self.requester, f"{GROUPS_PATH}/{group_id}/members", ("members",),
                             page_size=MEMBERS_PAGE_SIZE))

    def _add_emails(self, group_id: str, to_add: list[str], result: dict[str, Any]) -> None:
        """Add ``to_add`` 10 per call, recording each batch in ``result`` as it is answered: a failure part-way
        leaves there who is in already."""
        for start in range(0, len(to_add), MAX_MEMBERS_PER_ADD):
            batch = self._add_batch(group_id, [{"email": e} for e in to_add[start : start + MAX_MEMBERS_PER_ADD]])
            result["added"] += [m["email"] for m in batch.added]
            result["already_members"] += [m["email"] for m in batch.already_members]
            result["rejected"] += [{"email": m["email"], "reason": reason} for m, reason in batch.rejected]
        if result["rejected"]:
            self.log.warning(
                "IM group %s: Zoom refused %d of %d members: %s", group_id, len(result["rejected"]), len(to_add),
                "; ".join(f"{r['email']}: {r['reason']}" for r in result["rejected"][:20]),
            )

    def _add_batch(self, group_id: str, batch: list[dict[str, str]]) -> _BatchResult:
        """Send one batch (at most 10); drop the members a 400 names and send the rest again.

        Zoom adds nobody of a batch it refuses, so the others are sent once more; a 400 that names
        no member of the batch raises. Re-adding a member is a no-op at Zoom, so a retried call
        cannot double anything.
        """
        path = f"{GROUPS_PATH}/{group_id}/members"
        pending = list(batch)
        rejected: list[tuple[dict[str, str], str]] = []
        while pending:
            try:
                reply = self.requester.request_json("POST", path, json={"members": pending})
            except ZoomAPIError as exc:
                if isinstance(exc, ZoomReplyError) or exc.status_code != 400:
                    raise
                named = rejected_members(exc.errors, len(pending))
                if not named:
                    raise
                rejected += [(pending[i], reason) for i, reason in sorted(named.items())]
                pending = [m for i, m in enumerate(pending) if i not in named]
                continue
            return self._confirm_added(group_id, pending, reply, rejected)
        return _BatchResult([], [], rejected)

    def _confirm_added(
        self, group_id: str, sent: list[dict[str, str]], reply: dict[str, Any], rejected: list
    ) -> _BatchResult:
        """Who Zoom's 201 (``{"ids": "id1,id2", "added_at"}``) says was added; the member list when it says fewer."""
        ids = reply.get("ids")
        reply_ids = [i.strip() for i in ids.split(",") if i.strip()] if isinstance(ids, str) else None
        if reply_ids is not None and len(reply_ids) >= len(sent):
            return _BatchResult(list(sent), [], rejected)
        listed = self.list_members(group_id)
        by_email = {str(m.get("email") or "").lower(): m.get("id") for m in listed}
        listed_ids = {m.get("id") for m in listed}
        added, already, missing = [], [], []
        for member in sent:
            member_id = member.get("id") if member.get("id") in listed_ids else by_email.get(
                str(member.get("email") or "").lower()
            )
            if member_id is None:
                missing.append((member, "Zoom answered HTTP 201 but the member is not in the group"))
            elif reply_ids is None or member_id in reply_ids:
                added.append(member)
            else:
                already.append(member)  # in the group, yet not among the ids Zoom added: it was there before
        return _BatchResult(added, already, rejected + missing)
