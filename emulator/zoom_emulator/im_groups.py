"""IM directory groups (the IM Groups Swagger): groups with unique names and their members.

Only users of the account can be added, looked up by id or e-mail in :class:`~.users.EmulatedUsers`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .directory import is_email
from .errors import EmulatedZoomError, group_not_found, validation_error
from .ids import GroupIdSource, iso_z
from .paging import PageCursors, int_params
from .users import EmulatedUsers, User

GROUP_TYPES = ("normal", "shared", "restricted")
# Swagger is silent on defaults for the flags; these are what Zoom's admin UI preselects for a new group.
DEFAULT_SEARCH_FLAGS = {"search_by_domain": False, "search_by_account": True, "search_by_ma_account": False}
MAX_NAME_LENGTH = 128
MAX_MEMBERS_PER_ADD = 10
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 30, 300


@dataclass
class Group:
    id: str
    name: str
    type: str
    search_by_domain: bool
    search_by_account: bool
    search_by_ma_account: bool
    created_at: float
    members: dict[str, None] = field(default_factory=dict)  # user ids, an insertion-ordered set

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "total_members": len(self.members),
            "type": self.type,
            "search_by_domain": self.search_by_domain,
            "search_by_account": self.search_by_account,
            "search_by_ma_account": self.search_by_ma_account,
        }


class EmulatedIMGroups:
    """The account's IM groups; not thread-safe (the backend locks around it)."""

    def __init__(
        self, *, users: EmulatedUsers, ids: GroupIdSource, pages: PageCursors, clock: Callable[[], float]
    ):
        self._users = users
        self._ids = ids
        self._pages = pages
        self._clock = clock
        self.by_id: dict[str, Group] = {}
        self._names: dict[str, str] = {}  # casefolded name -> group id

    def clear(self) -> None:
        self.by_id.clear()
        self._names.clear()

    def restore(self, group: Group) -> None:
        """A group read from a state file."""
        self.by_id[group.id] = group
        self._names[group.name.casefold()] = group.id

    def ids_with_member(self, user_id: str) -> list[str]:
        return [group.id for group in self.by_id.values() if user_id in group.members]

    def forget_user(self, user_id: str) -> None:
        for group in self.by_id.values():
            group.members.pop(user_id, None)

    def list_all(self) -> dict[str, Any]:
        groups = [group.summary() for group in self.by_id.values()]
        # Zoom returns every IM group in one page.
        return {
            "page_count": 1,
            "page_number": 1,
            "page_size": len(groups),
            "total_records": len(groups),
            "groups": groups,
        }

    def create(self, fields: Mapping[str, Any], taken: Callable[[str], bool], *, form: bool = False) -> dict[str, Any]:
        """``taken`` tells whether an id is already used by either group API; ``form``: a multipart body."""
        values = group_values(fields, creating=True, form=form)
        self._ensure_name_free(values["name"], None)
        group = Group(id=self._ids.new(taken), created_at=self._clock(), **values)
        self.restore(group)
        return group.summary()

    def get(self, group_id: str) -> dict[str, Any]:
        return self.group(group_id).summary()

    def update(self, group_id: str, fields: Mapping[str, Any], *, form: bool = False) -> None:
        values = group_values(fields, creating=False, form=form)
        group = self.group(group_id)
        if "name" in values:
            self._ensure_name_free(values["name"], group_id)
            del self._names[group.name.casefold()]
            self._names[values["name"].casefold()] = group_id
        for key, value in values.items():
            setattr(group, key, value)

    def delete(self, group_id: str) -> None:
        group = self.group(group_id)
        del self.by_id[group_id]
        del self._names[group.name.casefold()]

    def list_members(
        self,
        group_id: str,
        page_size: str | None = None,
        page_number: str | None = None,
        next_page_token: str | None = None,
    ) -> dict[str, Any]:
        # page_number is deprecated but still honoured by Zoom; a token wins over it (it is still checked).
        size, number = int_params(
            ("page_size", page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), ("page_number", page_number, 1, None)
        )
        group = self.group(group_id)
        offset = 0 if next_page_token else (number - 1) * size
        member_ids = list(group.members)
        items, token, offset = self._pages.page(member_ids, size, f"im-members:{group_id}", next_page_token, offset)
        total = len(member_ids)
        return {
            "page_count": math.ceil(total / size),
            "page_number": offset // size + 1,
            "page_size": size,
            "total_records": total,
            "next_page_token": token,
            "members": [self._users.by_id[uid].as_member() for uid in items],
        }

    def add_members(self, group_id: str, payload: Any) -> dict[str, Any]:
        """Add up to 10 users of the account by id or email; all or nothing.

        Members already in the group are ignored, as Zoom does, and ``ids`` lists only the users this call
        added. Any malformed entry or unknown user fails the whole request with Zoom's 400/300 "Validation
        Failed." naming every bad entry by index: Zoom documents no partial success for this operation, so
        the emulator takes the strict reading and adds nobody.
        """
        items = payload.get("members") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            raise validation_error([("members", "is required: a list of 1 to 10 {id} or {email} objects")])
        if len(items) > MAX_MEMBERS_PER_ADD:
            raise validation_error([("members", f"at most {MAX_MEMBERS_PER_ADD} members per request")])
        group = self.group(group_id)
        resolved: list[User] = []
        errors: list[dict[str, str]] = []
        for index, item in enumerate(items):
            where = f"members[{index}]"
            if not isinstance(item, dict):
                errors.append({"field": where, "message": f"{where}: must be an object with id or email"})
                continue
            user_id, email = item.get("id"), item.get("email")
            # Swagger types both as strings: anything else (an object, a number, ...) is refused by name,
            # never skipped over (an empty object used to fall through to the email and be accepted).
            wrong = [
                name
                for name, value in (("id", user_id), ("email", email))
                if value is not None and not isinstance(value, str)
            ]
            if wrong:
                for name in wrong:
                    errors.append({"field": f"{where}.{name}", "message": f"{where}.{name}: must be a string"})
                continue
            if user_id:  # Swagger: "If the user ID is given then ignore the user email."
                user = self._users.by_id.get(user_id)
                if user is None:
                    errors.append(_no_such_user(f"{where}.id", user_id))
                else:
                    resolved.append(user)
            elif isinstance(email, str) and is_email(email.strip()):
                user = self._users.lookup_email(email.strip())
                if user is None:
                    errors.append(_no_such_user(f"{where}.email", email.strip()))
                else:
                    resolved.append(user)
            else:
                field_name = f"{where}.email"
                message = f"{field_name}: must be a valid email address (or give id)"
                errors.append({"field": field_name, "message": message})
        if errors:
            raise EmulatedZoomError(400, 300, "Validation Failed.", errors=errors)
        added: dict[str, None] = {}
        for user in resolved:
            self._users.remember(user)
            if user.id not in group.members:
                group.members[user.id] = None
                added[user.id] = None
        return {"ids": ",".join(added), "added_at": iso_z(self._clock())}

    def remove_member(self, group_id: str, member_id: str) -> None:
        group = self.group(group_id)
        if member_id not in group.members:
            # Swagger documents a 404 for "IM Group member not found" without a code; 1001 is Zoom's
            # "User does not exist" code, distinct from 4130 so clients can tell the two apart.
            raise EmulatedZoomError(404, 1001, f"User does not exist in group {group_id}: {member_id}.")
        del group.members[member_id]

    def group(self, group_id: str) -> Group:
        group = self.by_id.get(group_id)
        if group is None:
            raise group_not_found(group_id)
        return group

    def _ensure_name_free(self, name: str, own_id: str | None) -> None:
        # Assumption: Zoom treats group names case-insensitively (after trimming) when checking uniqueness.
        holder = self._names.get(name.casefold())
        if holder is not None and holder != own_id:
            raise EmulatedZoomError(409, 4132, f"Group name {name} is already in use.")


def group_values(fields: Mapping[str, Any], *, creating: bool, form: bool = False) -> dict[str, Any]:
    """Validate create/update fields against Swagger's body schema; every problem is named by its field.

    ``form`` values arrive as text (multipart), so a flag is ``true`` or ``false`` there; in JSON it must be a
    JSON boolean and the name a JSON string. A key that is present must hold a value of its type: JSON ``null``
    is not "leave unchanged" (Swagger allows no null, and Zoom is silent on it: the stricter reading).
    """
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    if "name" in fields or creating:
        name = fields.get("name")
        problem = "must be a string (got null)" if "name" in fields and name is None else name_problem(name)
        if problem or not isinstance(name, str):
            problems.append(("name", problem or "must be a string"))
        else:
            values["name"] = name.strip()
    if "type" in fields or creating:
        group_type = fields.get("type", "normal")
        if group_type in GROUP_TYPES:
            values["type"] = group_type
        else:
            problems.append(("type", f"must be one of {', '.join(GROUP_TYPES)} (got {group_type!r})"))
    for flag, default in DEFAULT_SEARCH_FLAGS.items():
        if flag not in fields and not creating:
            continue
        raw = fields.get(flag, default)
        parsed = _boolean(raw, form=form)
        if parsed is None:
            expected = "true or false" if form else "a JSON boolean, true or false"
            problems.append((flag, f"must be {expected} (got {raw!r})"))
        else:
            values[flag] = parsed
    if problems:
        raise validation_error(problems)
    return values


def name_problem(name: Any) -> str | None:
    """What is wrong with a group name, or ``None``.

    Swagger: a string of at most 128 characters, counted as sent (before trimming, the stricter reading). A
    control character (a NUL, a newline, ...) is refused: Zoom documents nothing about them, no admin types
    one, and such a name breaks the logs and CSV exports that show it; refusing is the stricter choice.
    """
    if not isinstance(name, str):
        return "is required" if name is None else "must be a string"
    if not name.strip():
        return "must not be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters (got {len(name)})"
    bad = next((char for char in name if unicodedata.category(char) == "Cc"), None)
    if bad is not None:
        return f"must not contain control characters (found U+{ord(bad):04X})"
    return None


def _boolean(value: Any, *, form: bool) -> bool | None:
    if isinstance(value, bool):
        return value
    if form and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _no_such_user(field_name: str, who: object) -> dict[str, str]:
    # Zoom's wording for an unknown user (code 1001 of "Get a user"), as one entry of a 300 "Validation Failed."
    return {"field": field_name, "message": f"User does not exist: {who}."}
