"""Reading a list of member emails as a person or a template gives it, and Zoom's per-member refusals.

Kept free of the HTTP stack so that operators can use it before a hook exists.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from typing import Any

from airflow_provider_zoom.exceptions import ZoomInvalidInput

_SEPARATORS = re.compile(r"[,;\s]+")
_MEMBER_FIELD = re.compile(r"^\s*members\[(\d+)\]")


def email_list(value: Any, field: str = "emails") -> list[str]:
    """Emails from a list, or from ONE string as a template renders it.

    A string is a single address, a comma / semicolon / whitespace separated list, or a JSON or
    Python list literal (``'["a@x.org", "b@x.org"]'``): never iterated character by character.
    Anything else raises ``ZoomInvalidInput`` naming ``field``.
    """
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text[0] in "[(":
            return email_list(_list_literal(text, field), field)
        if text[0] == "{":
            raise ZoomInvalidInput(f"{field} must be emails, not a mapping: {_show(text)}")
        return [part for part in _SEPARATORS.split(text) if part]
    if isinstance(value, (bytes, bytearray, dict)) or not isinstance(value, Iterable):
        raise ZoomInvalidInput(
            f"{field} must be an email address, a comma/semicolon/space separated list of them, or a list; "
            f"got {type(value).__name__} {_show(value)}"
        )
    emails: list[str] = []
    for index, item in enumerate(value):
        if isinstance(item, dict) and isinstance(item.get("email"), str):
            item = item["email"]
        if not isinstance(item, str):
            raise ZoomInvalidInput(
                f"{field}[{index}] must be an email address (a string), got {type(item).__name__} {_show(item)}"
            )
        if item.strip():
            emails.append(item.strip())
    return emails


def _list_literal(text: str, field: str) -> list | tuple:
    try:
        parsed = json.loads(text)
    except ValueError:
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise ZoomInvalidInput(
                f"{field} looks like a list but is neither a JSON nor a Python list literal: {_show(text)}"
            ) from None
    if not isinstance(parsed, (list, tuple)):
        raise ZoomInvalidInput(f"{field} must be a list of emails, got {type(parsed).__name__} {_show(text)}")
    return parsed


def _show(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def rejected_members(errors: list[dict[str, Any]], sent: int) -> dict[int, str]:
    """Indexes (in the batch sent) of the members Zoom's validation ``errors`` name, with Zoom's reason.

    ``{"field": "members[3].email", "message": "User does not exist: ghost@x.org."}`` -> ``{3: "User does
    not exist: ghost@x.org."}``. An error that names no member of the batch is not attributable.
    """
    named: dict[int, str] = {}
    for error in errors:
        field = str(error.get("field", ""))
        match = _MEMBER_FIELD.match(field)
        if not match or int(match.group(1)) >= sent:
            continue
        message = str(error.get("message", "")).strip()
        if field and message.startswith(field):
            message = message[len(field) :].lstrip(" :")
        named.setdefault(int(match.group(1)), message or "refused by Zoom")
    return named


def union_emails(*lists: Iterable[str]) -> list[str]:
    """Every email of the lists once (case-insensitively), in first-seen order."""
    seen: dict[str, str] = {}
    for emails in lists:
        for email in emails:
            seen.setdefault(email.strip().lower(), email.strip())
    return list(seen.values())
