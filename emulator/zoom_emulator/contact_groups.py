"""Contact groups (zoom-contact-groups.md 4): groups whose members are active users of the account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import EmulatedZoomError, contact_group_not_found, invalid_body, validation_error
from .ids import GroupIdSource
from .paging import PageCursors, int_param
from .users import EmulatedUsers

CONTACT_GROUP_NAMES_MODES = ("duplicates", "unique")
CONTACT_MEMBERS_KEYS = ("group_members", "members", "both")
# zoom-contact-groups.md 3.3, 4.2, 4.7, 4.8
CONTACT_PAGE_SIZE, CONTACT_MAX_PAGE_SIZE = 10, 50
MAX_USER_MEMBERS, MAX_GROUP_MEMBERS, MAX_REMOVE_IDS = 50, 3, 20
PRIVACY_VALUES = (1, 2, 3)
MEMBER_TYPES = (1, 2)  # 1 user, 2 user group


@dataclass
class ContactGroup:
    """A contact group (zoom-contact-groups.md 4): members are user ids (type 1) in insertion order."""

    id: str
    name: str
    privacy: int
    description: str
    created_at: float
    members: dict[str, int] = field(default_factory=dict)  # member id -> member type (1 user, 2 user group)

    def summary(self) -> dict[str, Any]:
        """The list item (4.1): no ``total_members`` there."""
        return {
            "group_id": self.id,
            "group_name": self.name,
            "group_privacy": self.privacy,
            "description": self.description,
        }

    def detail(self) -> dict[str, Any]:
        """The Get and Create reply (4.2, 4.3)."""
        return {**self.summary(), "total_members": len(self.members)}


class EmulatedContactGroups:
    """The account's contact groups; not thread-safe (the backend locks around it).

    ``names`` is ``"duplicates"`` (Zoom documents no uniqueness) or ``"unique"`` (a second group with the same
    trimmed, case-insensitive name gets 409/4132). ``members_key`` names the member array of "List contact
    group members": ``group_members`` (documented), ``members`` or ``both``.
    """

    def __init__(self, *, users: EmulatedUsers, ids: GroupIdSource, pages: PageCursors, clock: Callable[[], float]):
        self._users = users
        self._ids = ids
        self._pages = pages
        self._clock = clock
        self.by_id: dict[str, ContactGroup] = {}
        self.names = "duplicates"
        self.members_key = "group_members"

    def clear(self) -> None:
        self.by_id.clear()

    def restore(self, group: ContactGroup) -> None:
        """A group read from a state file."""
        self.by_id[group.id] = group

    def forget_user(self, user_id: str) -> None:
        for group in self.by_id.values():
            group.members.pop(user_id, None)

    def list_all(self, page_size: str | None = None, next_page_token: str | None = None) -> dict[str, Any]:
        """4.1: ``groups`` (no ``total_members``), ``next_page_token`` ("" at the end), ``page_size``."""
        size = int_param("page_size", page_size, CONTACT_PAGE_SIZE, CONTACT_MAX_PAGE_SIZE)
        groups = list(self.by_id.values())  # creation order (ordering is not documented)
        items, token, _ = self._pages.page(groups, size, "contact-groups", next_page_token)
        return {"groups": [g.summary() for g in items], "next_page_token": token, "page_size": size}

    def create(self, payload: Any, taken: Callable[[str], bool]) -> dict[str, Any]:
        """4.2: all or nothing; the 201 body is the group as Get returns it (``group_id`` included)."""
        if not isinstance(payload, dict):
            raise invalid_body()
        problems: list[tuple[str, str]] = []
        name = payload.get("group_name")
        # 4.2: not marked required, but a group without a name is useless; refusing is the safe choice.
        if not isinstance(name, str):
            problems.append(("group_name", "is required" if name is None else "must be a string"))
        elif not name.strip():
            problems.append(("group_name", "must not be empty"))
        privacy = payload.get("group_privacy", 1)  # 4.2: default not documented; 1 is the example value
        if not _is_int(privacy) or privacy not in PRIVACY_VALUES:
            problems.append(("group_privacy", f"must be one of 1, 2, 3 (got {privacy!r})"))
        description = payload.get("description", "")
        if not isinstance(description, str):
            problems.append(("description", "must be a string"))
        members_key, items = _member_list(payload, problems, required=False)
        members = _member_items(members_key, items, problems)
        if problems or not isinstance(name, str):
            raise validation_error(problems)
        _check_member_limits(members)
        if self.names == "unique":
            self._ensure_name_free(name, None)
        resolved = self._resolve_members(members_key, members)
        group = ContactGroup(
            id=self._ids.new(taken),
            name=name,
            privacy=privacy,
            description=description,
            created_at=self._clock(),
            members=resolved,
        )
        self.by_id[group.id] = group
        return group.detail()

    def get(self, group_id: str) -> dict[str, Any]:
        return self.group(group_id).detail()

    def update(self, group_id: str, payload: Any) -> None:
        """4.4: keys ``name``, ``privacy``, ``description``; others (``group_name`` too) are ignored, as the
        reference expects of Zoom; an object without any of them changes nothing and still answers 204."""
        if not isinstance(payload, dict):
            raise invalid_body()
        problems: list[tuple[str, str]] = []
        values: dict[str, Any] = {}
        if "name" in payload:
            name = payload["name"]
            if not isinstance(name, str):
                problems.append(("name", "must be a string"))
            elif not name.strip():
                problems.append(("name", "must not be empty"))
            else:
                values["name"] = name
        if "privacy" in payload:
            privacy = payload["privacy"]
            if not _is_int(privacy) or privacy not in PRIVACY_VALUES:
                problems.append(("privacy", f"must be one of 1, 2, 3 (got {privacy!r})"))
            else:
                values["privacy"] = privacy
        if "description" in payload:
            if not isinstance(payload["description"], str):
                problems.append(("description", "must be a string"))
            else:
                values["description"] = payload["description"]
        if problems:
            raise validation_error(problems)
        group = self.group(group_id)
        if "name" in values and self.names == "unique":
            self._ensure_name_free(values["name"], group_id)
        for key, value in values.items():
            setattr(group, key, value)

    def delete(self, group_id: str) -> None:
        """4.5: a second delete finds no group (400/300), the safe reading of the documented error."""
        self.group(group_id)
        del self.by_id[group_id]

    def list_members(
        self, group_id: str, page_size: str | None = None, next_page_token: str | None = None
    ) -> dict[str, Any]:
        """4.6: items ``{type, id, name}`` under ``group_members`` (or ``members``/both, see the config)."""
        size = int_param("page_size", page_size, CONTACT_PAGE_SIZE, CONTACT_MAX_PAGE_SIZE)
        group = self.group(group_id)
        members = list(group.members.items())
        items, token, _ = self._pages.page(members, size, f"contact-members:{group_id}", next_page_token)
        listed = [{"type": kind, "id": uid, "name": self._member_name(uid, kind)} for uid, kind in items]
        keys = ("group_members", "members") if self.members_key == "both" else (self.members_key,)
        return {**dict.fromkeys(keys, listed), "next_page_token": token, "page_size": size}

    def add_members(self, group_id: str, payload: Any) -> dict[str, Any]:
        """4.7: 201 ``{"member_ids": [...]}`` listing only the members this call added.

        Limits first (50 users, 3 user groups: the documented 400/300 texts), then every member must be a user
        of the account whose invitation is accepted: anything else fails the whole call with 400/300 naming
        each bad member, and nobody is added (the reference leaves partial batches undocumented; this is the
        strict reading). Members already in the group are skipped silently (the safe assumption of 4.7).
        """
        if not isinstance(payload, dict):
            raise invalid_body()
        problems: list[tuple[str, str]] = []
        members_key, items = _member_list(payload, problems, required=True)
        members = _member_items(members_key, items, problems)
        if problems:
            raise validation_error(problems)
        _check_member_limits(members)
        group = self.group(group_id)
        resolved = self._resolve_members(members_key, members)
        added = [uid for uid in resolved if uid not in group.members]
        for uid in added:
            group.members[uid] = resolved[uid]
        return {"member_ids": added}

    def remove_members(self, group_id: str, member_ids: str | None) -> None:
        """4.8: ``member_ids`` comma-separated (spaces trimmed, repeats merged), at most 20; all or nothing."""
        ids = [part.strip() for part in (member_ids or "").split(",") if part.strip()]
        if not ids:
            raise validation_error([("member_ids", "is required: comma-separated member ids")])
        if len(ids) > MAX_REMOVE_IDS:  # counted as sent, before merging repeats: the stricter reading
            raise EmulatedZoomError(400, 300, f"The maximum number of memberId is {MAX_REMOVE_IDS}.")
        unique = list(dict.fromkeys(ids))
        group = self.group(group_id)
        for member_id in unique:
            if member_id not in group.members:
                raise EmulatedZoomError(400, 300, f"A member with this memberId: {member_id} does not exist.")
        if len(unique) >= len(group.members):
            raise EmulatedZoomError(400, 300, "A group must have at least one member.")
        for member_id in unique:
            del group.members[member_id]

    def group(self, group_id: str) -> ContactGroup:
        group = self.by_id.get(group_id)
        if group is None:
            raise contact_group_not_found(group_id)
        return group

    def _ensure_name_free(self, name: str, own_id: str | None) -> None:
        """Only with ``names="unique"``: the IM API's documented 409/4132 (4.2 suggests it)."""
        wanted = name.strip().casefold()
        for group in self.by_id.values():
            if group.id != own_id and group.name.strip().casefold() == wanted:
                raise EmulatedZoomError(409, 4132, f"Group name {name} is already in use.")

    def _resolve_members(self, key: str, members: list[tuple[int, str]]) -> dict[str, int]:
        """Member ids -> types, in order, repeats merged; raises 400/300 naming every member that cannot join.

        A type-1 id must be the id of an active user of the account. An e-mail address is not an id (4.7: not
        documented; clients resolve addresses with ``GET /users/{email}`` first). A pending user (invitation not
        accepted) or an inactive one is refused: Zoom is silent on both, and refusing is the stricter choice.
        The emulator has no user groups (web groups), so every type-2 id is unknown.
        """
        errors: list[dict[str, str]] = []
        resolved: dict[str, int] = {}
        for index, (kind, member_id) in enumerate(members):
            where = f"{key}[{index}].id"
            user = self._users.by_id.get(member_id) if kind == 1 else None
            if user is None:
                what = "User" if kind == 1 else "User group"
                errors.append({"field": where, "message": f"{what} does not exist: {member_id}."})
            elif user.status != "active":
                detail = (
                    "has not accepted the invitation to the account yet"
                    if user.status == "pending"
                    else "is deactivated"
                )
                errors.append(
                    {"field": where, "message": f"User {member_id} ({user.email}) is {user.status}: it {detail}."}
                )
            else:
                resolved.setdefault(member_id, kind)
        if errors:
            raise EmulatedZoomError(400, 300, "Validation Failed.", errors=errors)
        return resolved

    def _member_name(self, member_id: str, kind: int) -> str:
        user = self._users.by_id.get(member_id) if kind == 1 else None
        return user.display_name if user is not None else ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _member_list(payload: dict[str, Any], problems: list[tuple[str, str]], *, required: bool) -> tuple[str, list[Any]]:
    """The member array and the key it came in: ``group_members`` (documented) or ``members`` (accepted too).

    Both at once is ambiguous and refused (Zoom is silent; the stricter choice).
    """
    given = [key for key in ("group_members", "members") if key in payload]
    if len(given) > 1:
        problems.append(("group_members", "give group_members or members, not both"))
        return "group_members", []
    key = given[0] if given else "group_members"
    items = payload.get(key)
    if items is None and not required:
        return key, []
    if not isinstance(items, list) or (required and not items):
        problems.append((key, "is required: a list of {type, id} objects" if required else "must be a list"))
        return key, []
    return key, items


def _member_items(key: str, items: list[Any], problems: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """``[{type: 1|2, id: str}, ...]`` -> ``[(type, id)]``; every malformed entry is named by index."""
    members: list[tuple[int, str]] = []
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            problems.append((where, "must be an object {type, id}"))
            continue
        kind, member_id = item.get("type"), item.get("id")
        ok = True
        if not _is_int(kind) or kind not in MEMBER_TYPES:
            problems.append((f"{where}.type", f"must be 1 (user) or 2 (user group) (got {kind!r})"))
            ok = False
        if not isinstance(member_id, str) or not member_id.strip():
            detail = "is required" if member_id is None else "must be a non-empty string"
            problems.append((f"{where}.id", detail))
            ok = False
        if ok and isinstance(kind, int) and isinstance(member_id, str):
            members.append((kind, member_id.strip()))
    return members


def _check_member_limits(members: list[tuple[int, str]]) -> None:
    """4.2/4.7's documented texts; counted as sent (repeats included), the stricter reading."""
    if sum(1 for kind, _ in members if kind == 1) > MAX_USER_MEMBERS:
        raise EmulatedZoomError(400, 300, f"The maximum number of user member per request is {MAX_USER_MEMBERS}.")
    if sum(1 for kind, _ in members if kind == 2) > MAX_GROUP_MEMBERS:
        raise EmulatedZoomError(400, 300, f"The maximum number of group member per request is {MAX_GROUP_MEMBERS}.")
