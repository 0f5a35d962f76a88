"""The state file: one JSON document, replaced atomically so a killed emulator never leaves half a file.

All of the account's serialisation lives here: :func:`save_account` writes the models' records and
:func:`load_account` checks a file and rebuilds them, so the models never see JSON.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .contact_groups import ContactGroup
from .im_groups import Group
from .users import User

FORMAT_VERSION = 1


class StateFileError(ValueError):
    """A state file the emulator cannot start from; the message names the file and what is wrong, on one line."""


_GROUP_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "name": (str,),
    "type": (str,),
    "search_by_domain": (bool,),
    "search_by_account": (bool,),
    "search_by_ma_account": (bool,),
    "created_at": (int, float),
    "members": (list,),
}
_USER_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "email": (str,),
    "first_name": (str,),
    "last_name": (str,),
    "type": (int,),
}
_USER_SOURCES = ("directory", "domain")
_USER_STATUSES = ("active", "pending", "inactive")
_CONTACT_GROUP_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "name": (str,),
    "privacy": (int,),
    "description": (str,),
    "created_at": (int, float),
    "members": (list,),
}
# Settings a state file carries (explicit settings at start-up win over them), with their allowed values.
_CONFIG_VALUES = {
    "im_groups": ("available", "gone"),
    "contact_group_names": ("duplicates", "unique"),
    "contact_members_key": ("group_members", "members", "both"),
}


def load_state(path: Path) -> dict[str, Any] | None:
    """The saved account, or ``None`` when there is no file yet.

    Raises :class:`StateFileError` for a file that cannot be read, is not JSON (a truncated copy, say) or
    does not have the shape :func:`save_state` writes, so that the CLI can say so in one line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"state file {path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise StateFileError(f"state file {path}: not UTF-8 text (byte {exc.start}); is it the right file?") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        detail = f"{exc.msg}: line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else exc
        raise StateFileError(f"state file {path}: not valid JSON ({detail}); truncated, or not a state file?") from None
    problem = _shape_problem(data)
    if problem:
        raise StateFileError(f"state file {path}: not an emulator state file: {problem}")
    return data


def _shape_problem(data: Any) -> str | None:
    """What is wrong with a parsed state file, or ``None``; checks everything the backend relies on."""
    if not isinstance(data, dict):
        return f"the top level is a JSON {_json_type(data)}, not an object"
    if data.get("version") != FORMAT_VERSION:
        return f"version is {data.get('version')!r}, this emulator reads version {FORMAT_VERSION}"
    for key in ("groups", "users"):
        if not isinstance(data.get(key), list):
            return f"{key!r} must be a list"
    user_ids: set[str] = set()
    for index, user in enumerate(data["users"]):
        where = f"users[{index}]"
        problem = _record_problem(where, user, _USER_FIELDS, optional={"source", "status"})
        if problem:
            return problem
        if user.get("source", "directory") not in _USER_SOURCES:
            return f"{where}.source must be one of {', '.join(_USER_SOURCES)}"
        if user.get("status", "active") not in _USER_STATUSES:
            return f"{where}.status must be one of {', '.join(_USER_STATUSES)}"
        user_ids.add(user["id"])
    names: set[str] = set()
    for index, group in enumerate(data["groups"]):
        where = f"groups[{index}]"
        problem = _record_problem(where, group, _GROUP_FIELDS)
        if problem:
            return problem
        unknown = [m for m in group["members"] if not isinstance(m, str) or m not in user_ids]
        if unknown:
            return f"{where}.members lists {unknown[0]!r}, which is not among the file's users"
        if group["name"].casefold() in names:
            return f"{where}.name {group['name']!r} is used by an earlier group"
        names.add(group["name"].casefold())
    return _contact_problem(data, user_ids) or _config_problem(data)


def _contact_problem(data: dict[str, Any], user_ids: set[str]) -> str | None:
    """Optional ``contact_groups`` (files written before Contact Groups have none); duplicate names are fine."""
    contact_groups = data.get("contact_groups", [])
    if not isinstance(contact_groups, list):
        return "'contact_groups' must be a list"
    for index, group in enumerate(contact_groups):
        where = f"contact_groups[{index}]"
        problem = _record_problem(where, group, _CONTACT_GROUP_FIELDS)
        if problem:
            return problem
        if group["privacy"] not in (1, 2, 3):
            return f"{where}.privacy must be 1, 2 or 3"
        for member in group["members"]:
            if not isinstance(member, dict) or set(member) != {"type", "id"} or member["type"] not in (1, 2):
                return f"{where}.members must hold {{type: 1|2, id}} objects"
            if not isinstance(member["id"], str) or (member["type"] == 1 and member["id"] not in user_ids):
                return f"{where}.members lists {member['id']!r}, which is not among the file's users"
    return None


def _config_problem(data: dict[str, Any]) -> str | None:
    config = data.get("config", {})
    if not isinstance(config, dict):
        return "'config' must be an object"
    for key, value in config.items():
        if key not in _CONFIG_VALUES:
            return f"config has unknown key {key!r}"
        if value not in _CONFIG_VALUES[key]:
            return f"config.{key} must be one of {', '.join(_CONFIG_VALUES[key])}"
    return None


def _record_problem(
    where: str, record: Any, fields: dict[str, tuple[type, ...]], optional: frozenset[str] | set[str] = frozenset()
) -> str | None:
    if not isinstance(record, dict):
        return f"{where} is a JSON {_json_type(record)}, not an object"
    for key, types in fields.items():
        value = record.get(key)
        if key not in record:
            return f"{where} has no {key!r}"
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            return f"{where}.{key} must be {' or '.join(_TYPE_NAMES[t] for t in types)}"
    extra = sorted(set(record) - set(fields) - set(optional))
    if extra:
        return f"{where} has unknown key(s) {', '.join(map(repr, extra))}"
    return None


_TYPE_NAMES = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "a list"}


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def save_state(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"version": FORMAT_VERSION, **data}, handle, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@dataclass
class SavedAccount:
    """A state file's account, as model records, and its saved settings."""

    users: list[User] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    contact_groups: list[ContactGroup] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)


def save_account(
    path: Path,
    *,
    account_id: str,
    users: Iterable[User],
    groups: Iterable[Group],
    contact_groups: Iterable[ContactGroup],
    config: Mapping[str, Any],
) -> None:
    """Write the account to ``path`` atomically in the shape :func:`load_account` reads."""
    save_state(
        path,
        {
            "account_id": account_id,
            "groups": [
                {
                    "id": g.id,
                    "name": g.name,
                    "type": g.type,
                    "search_by_domain": g.search_by_domain,
                    "search_by_account": g.search_by_account,
                    "search_by_ma_account": g.search_by_ma_account,
                    "created_at": g.created_at,
                    "members": list(g.members),
                }
                for g in groups
            ],
            "contact_groups": [
                {
                    "id": g.id,
                    "name": g.name,
                    "privacy": g.privacy,
                    "description": g.description,
                    "created_at": g.created_at,
                    "members": [{"type": kind, "id": uid} for uid, kind in g.members.items()],
                }
                for g in contact_groups
            ],
            "users": [{**user.as_member(), "source": user.source, "status": user.status} for user in users],
            "config": dict(config),
        },
    )


def load_account(path: Path) -> SavedAccount | None:
    """The account in ``path`` (checked by :func:`load_state`), or ``None`` when there is no file yet."""
    data = load_state(path)
    if data is None:
        return None
    return SavedAccount(
        users=[User(**raw) for raw in data["users"]],
        groups=[Group(**{**raw, "members": dict.fromkeys(raw["members"])}) for raw in data["groups"]],
        contact_groups=[
            ContactGroup(**{**raw, "members": {member["id"]: member["type"] for member in raw["members"]}})
            for raw in data.get("contact_groups", [])
        ],
        config=dict(data.get("config", {})),
    )
