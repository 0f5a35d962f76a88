"""What a valid IM directory group request is, checked before anything is sent to Zoom.

Zoom's own limits (Swagger: ``name`` maxLength 128, ``type`` enum) are enforced client side so that a
bad template value fails the task with a message naming the field, instead of a 400 from Zoom or,
worse, a group created under a name nobody meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_GROUP_NAME_LENGTH = 128
GROUP_TYPES = ("normal", "shared", "restricted")
SEARCH_FLAGS = ("search_by_domain", "search_by_account", "search_by_ma_account")

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


class InvalidGroupSpec(ValueError):
    """A group field has a value Zoom would reject or that is ambiguous."""

    def __init__(self, field: str, value: Any, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"Invalid IM group field {field!r} = {value!r}: {reason}")


@dataclass(frozen=True)
class GroupSpec:
    """A validated create request. Flags left as ``None`` are not sent (Zoom keeps its default)."""

    name: str
    type: str = "normal"
    search_by_domain: bool | None = None
    search_by_account: bool | None = None
    search_by_ma_account: bool | None = None

    def form_fields(self) -> dict[str, str]:
        """The multipart fields exactly as Zoom's curl example sends them (booleans as true/false)."""
        fields = {"name": self.name, "type": self.type}
        for flag in SEARCH_FLAGS:
            value = getattr(self, flag)
            if value is not None:
                fields[flag] = "true" if value else "false"
        return fields


def parse_bool(field: str, value: Any) -> bool | None:
    """Accept real booleans and the strings templates render (``true/false/1/0/yes/no``)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if text in ("", "none"):
            return None
    raise InvalidGroupSpec(field, value, "expected a boolean (true/false, 1/0, yes/no)")


def validate_group_name(name: Any) -> str:
    if not isinstance(name, str):
        raise InvalidGroupSpec("name", name, "must be a string")
    trimmed = name.strip()
    if not trimmed:
        raise InvalidGroupSpec("name", name, "must not be empty")
    if len(trimmed) > MAX_GROUP_NAME_LENGTH:
        raise InvalidGroupSpec(
            "name", name, f"is {len(trimmed)} characters long, Zoom allows at most {MAX_GROUP_NAME_LENGTH}"
        )
    return trimmed


def validate_group_spec(
    name: Any,
    type: Any = "normal",
    search_by_domain: Any = None,
    search_by_account: Any = None,
    search_by_ma_account: Any = None,
) -> GroupSpec:
    group_type = type.strip().lower() if isinstance(type, str) else type
    if group_type in (None, ""):
        group_type = "normal"
    if group_type not in GROUP_TYPES:
        raise InvalidGroupSpec("type", type, f"must be one of {', '.join(GROUP_TYPES)}")
    return GroupSpec(
        name=validate_group_name(name),
        type=group_type,
        search_by_domain=parse_bool("search_by_domain", search_by_domain),
        search_by_account=parse_bool("search_by_account", search_by_account),
        search_by_ma_account=parse_bool("search_by_ma_account", search_by_ma_account),
    )
