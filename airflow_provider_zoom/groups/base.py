"""What every group backend offers (``GroupAPI``) and the typed results they share.

A backend is built from a ``Requester`` (``airflow_provider_zoom._transport.requester``: the hook's request
path) and never from the hook itself. Results are the same types on every backend, so callers never ask
which API answered: ``members_pending`` is simply empty where the API has no pending people (IM Groups).
The member results are ``TypedDict``s: they are the XCom rows as they are, plain JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NotRequired, Protocol, TypedDict

if TYPE_CHECKING:
    from airflow_provider_zoom.group_spec import GroupSpec

__all__ = [
    "Action",
    "GroupAPI",
    "GroupOutcome",
    "GroupRef",
    "MemberPlan",
    "MembersAdded",
    "PlannedRemoval",
    "Rejection",
    "RemovalCallback",
]

Action = Literal["created", "exists"]
OnConflict = Literal["reuse", "fail"]
MemberKey = Literal["members_added", "members_pending", "members_rejected"]


class Rejection(TypedDict):
    """A person Zoom (or the lookup) refused, with the reason."""

    email: str
    reason: str


@dataclass(frozen=True)
class GroupOutcome:
    """What asking for a group ended in; ``created`` also covers a create confirmed after a lost reply.

    ``members_*`` are the people sent with the create: who got in, who is not active in Zoom yet
    (Contact Groups only), who was refused. ``member_keys`` names the ones this outcome reports in its
    XCom (``to_dict``): none for a bare create, those of the backend when members went with it.
    ``also_named`` are the other groups already sharing the name (another spelling, or duplicates on
    Contact Groups): adopted is ``group_id`` alone, these are left as they are and only reported.
    """

    status_code: int
    outcome: Action
    group_id: str | None
    name: str
    members_added: tuple[str, ...] = ()
    members_pending: tuple[str, ...] = ()
    members_rejected: tuple[Rejection, ...] = ()
    member_keys: tuple[MemberKey, ...] = ()
    also_named: tuple[GroupRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The XCom of a create: ``status_code``, ``outcome``, ``group_id``, ``name`` and the reported members."""
        result: dict[str, Any] = {"status_code": self.status_code, "outcome": self.outcome,
                                  "group_id": self.group_id, "name": self.name}
        for key in self.member_keys:
            values = getattr(self, key)
            result[key] = [dict(v) for v in values] if key == "members_rejected" else list(values)
        if self.also_named:
            result["also_named"] = [dict(r) for r in self.also_named]
        return result


class GroupRef(TypedDict):
    """A group found by name."""

    group_id: str
    name: str


class MembersAdded(TypedDict):
    """The result of adding people by email; ``pending``: not in Zoom yet or not active yet (not a failure)."""

    group_id: str
    added: list[str]
    already_members: list[str]
    rejected: list[Rejection]
    pending: list[str]


class PlannedRemoval(TypedDict):
    id: str
    email: str


#: Called with a member's email (its id when it has none) as soon as Zoom confirmed that member's removal, so
#: that a caller knows everyone removed even when a later call of the same batch fails.
RemovalCallback = Callable[[str], None]


class MemberPlan(TypedDict):
    """What reconciling a group with a list of people would do, from reads only.

    ``members`` is how many people the group has now; ``remove`` its members who may not stay; ``kept`` (set by
    ``groups.membership``) the members ``keep_members`` keeps although the cohort does not list them.
    """

    group_id: str | None
    members: int
    add: list[str]
    already_members: list[str]
    pending: list[str]
    rejected: list[Rejection]
    remove: list[PlannedRemoval] | None
    kept: NotRequired[list[str]]


class GroupAPI(Protocol):
    """One Zoom group API: what the operators and the membership planning call."""

    #: the task's logger (the requester's)
    log: Any

    @property
    def api_name(self) -> str:
        """The connection's ``group_api`` value that selects this backend (``im_groups``, ``contact_groups``)."""
        ...

    def list_groups(self) -> list[dict[str, Any]]:
        """The account's groups, as Zoom lists them (each API's own fields)."""
        ...

    def group_refs(self) -> list[GroupRef]:
        """The account's groups as ``{"group_id", "name"}``, whatever the API calls these fields."""
        ...

    def find_group(self, name: str) -> GroupRef | None:
        """The group of ``name`` (Zoom's name identity: case and spacing do not count), or None; reads only."""
        ...

    def create_group(
        self, spec: GroupSpec, *, on_conflict: OnConflict | str = "reuse", description: str | None = None,
        members: Any = (),
    ) -> GroupOutcome:
        """Create the spec's group or report the one of its name (``exists``); always with an id.

        ``members`` (emails) go in with the create where the API allows; ``on_conflict="fail"`` raises
        ``ZoomGroupExistsError`` for an existing group.
        """
        ...

    def add_members(
        self, group_id: str, emails: Any, *, only_missing: bool = False, name: str | None = None
    ) -> MembersAdded:
        """Add people by email (deduplicated case-insensitively); ``only_missing`` lists the group first."""
        ...

    def plan_members(
        self, group_id: str | None, emails: Any, *, keep: Any = None, list_current: bool = True
    ) -> MemberPlan:
        """What reconciling the group with ``emails`` would do; ``keep`` (None: nobody is removed) may stay."""
        ...

    def remove_members(
        self, group_id: str, members: Iterable[PlannedRemoval], *, on_removed: RemovalCallback | None = None
    ) -> list[str]:
        """Remove the members a plan listed in ``remove``; return their emails.

        ``on_removed`` is called per person as soon as Zoom confirmed the removal: when a later call fails (a
        daily limit, an outage), the caller still knows who is gone, though this method raises.
        """
        ...
