"""What a valid IM directory group request is, checked before anything is sent to Zoom.

Zoom's own limits (Swagger: ``name`` maxLength 128, ``type`` enum) are enforced client side so that a
bad template value fails the task with a message naming the field, instead of a 400 from Zoom or,
worse, a group created under a name nobody meant.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from airflow_provider_zoom.exceptions import InvalidGroupSpec

__all__ = ["GroupSpec", "InvalidGroupSpec", "group_key", "normalize_group_name", "validate_group_spec"]

MAX_GROUP_NAME_LENGTH = 128
GROUP_TYPES = ("normal", "shared", "restricted")
SEARCH_FLAGS = ("search_by_domain", "search_by_account", "search_by_ma_account")

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


@dataclass(frozen=True)
class GroupSpec:
    """A validated create request. Flags left as ``None`` are not sent (Zoom keeps its default)."""

    name: str
    type: str = "normal"
    search_by_domain: bool | None = None
    search_by_account: bool | None = None
    search_by_ma_account: bool | None = None

    def form_fields(self) -> dict[str, str]:
        """Deprecated: the IM create form is ``airflow_provider_zoom.groups.im.im_form_fields(spec)``."""
        from airflow_provider_zoom._deprecation import warn_renamed
        from airflow_provider_zoom.groups.im_form import im_form_fields

        warn_renamed("GroupSpec.form_fields()", "airflow_provider_zoom.groups.im.im_form_fields(spec)")
        return im_form_fields(self)


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


# Invisible characters that carry no meaning in a group name: dropped, so "Sales" and "Sa<ZWSP>les" are one group.
_DROPPED = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad\u180e"))
# Joiners shape some scripts (Persian, Indic, emoji) and stay in the shown name, but not in its identity.
_JOINERS = dict.fromkeys(map(ord, "\u200c\u200d"))
# Characters that reorder or hide text: a name holding one can look like another name. Refused.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"\s+")


def normalize_group_name(name: str) -> str:
    """The name as it is sent and shown: NFKC, harmless invisibles dropped, any run of spaces one space.

    NFKC turns look-alike forms into one (a no-break or ideographic space into a space, full-width
    letters into ASCII). Control characters, bidi controls and other invisible format characters
    would make two different names look the same: they raise ``InvalidGroupSpec`` naming the
    character and its position (1-based, in the name as given).
    """
    interior = _interior(name)
    for index, char in enumerate(name):
        category = unicodedata.category(char)
        if char in _BIDI:
            problem = "bidi control"
        elif category == "Cc" and (index in interior or not char.isspace()):
            problem = "control character"  # a tab or line break around the name is trimmed; inside, refused
        elif category in ("Cf", "Co", "Cs", "Cn") and ord(char) not in _DROPPED and ord(char) not in _JOINERS:
            problem = "invisible or unassigned character"
        else:
            continue
        raise InvalidGroupSpec(
            "name", name, f"contains a {problem} {_describe(char)} at position {index + 1}; remove it"
        )
    text = unicodedata.normalize("NFKC", name.translate(_DROPPED))
    return _SPACES.sub(" ", text).strip()


def group_key(name: str) -> str:
    """A group's identity: two names with the same key are one group (Zoom compares names regardless of case).

    Never raises, so that names read back from Zoom (made by anyone) can be indexed too.
    """
    text = unicodedata.normalize("NFKC", str(name).translate(_DROPPED).translate(_JOINERS))
    return _SPACES.sub(" ", text).strip().casefold()


def _interior(name: str) -> range:
    """Indexes between the first and last non-whitespace characters: a tab or line break there is refused."""
    stripped_left = len(name) - len(name.lstrip())
    return range(stripped_left, len(name.rstrip()))


def _describe(char: str) -> str:
    names = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}
    return f"U+{ord(char):04X} {names.get(char) or unicodedata.name(char, 'CONTROL')}"


def validate_group_name(name: Any) -> str:
    """The name as it will be sent (``normalize_group_name``), 1 to 128 characters; else ``InvalidGroupSpec``."""
    if not isinstance(name, str):
        raise InvalidGroupSpec("name", name, "must be a string")
    trimmed = normalize_group_name(name)
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
    """A ``GroupSpec`` from raw (templated) values: the type defaults to ``normal``, flags may be strings."""
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
