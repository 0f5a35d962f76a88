"""What an e-mail address is, for the whole provider: the HR extract's check and the Zoom user lookup use it.

One rule, so that an address the extract accepts is one the API calls accept too (and the other way round):
exactly one ``@``, a non-empty local part, a dotted domain without empty labels, no whitespace, and nothing
that could bend a URL path (``/``, ``\\``, ``?``, ``#``; a ``%`` only in the local part, where RFC 5322 allows
it). At most ``MAX_EMAIL_LENGTH`` characters (RFC 5321's path limit).

Reading a *list* of addresses, as a person or a template gives it, is here too.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from typing import Any

from airflow_provider_zoom.exceptions import ZoomInvalidInput

__all__ = ["MAX_EMAIL_LENGTH", "email_list", "is_email", "union_emails"]

MAX_EMAIL_LENGTH = 254
_NOT_LOCAL = r"@\s/\\?#"
_NOT_DOMAIN = r"@\s/\\?#%."
_EMAIL = re.compile(rf"[^{_NOT_LOCAL}]+@[^{_NOT_DOMAIN}]+(?:\.[^{_NOT_DOMAIN}]+)+")
_SEPARATORS = re.compile(r"[,;\s]+")


def is_email(text: str) -> bool:
    """Whether ``text`` (as given: not trimmed) is one e-mail address by the provider's rule."""
    return isinstance(text, str) and len(text) <= MAX_EMAIL_LENGTH and _EMAIL.fullmatch(text) is not None


def email_list(value: Any, field: str = "emails") -> list[str]:
    """Emails from a list, or from ONE string as a template renders it.

    A string is a single address, a comma / semicolon / whitespace separated list, or a JSON or
    Python list literal (``'["a@x.org", "b@x.org"]'``): never iterated character by character.
    Anything else raises ``ZoomInvalidInput`` naming ``field``. The addresses are not checked here (the
    lookup reports a bad one as rejected, without failing the others).
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


def union_emails(*lists: Iterable[str]) -> list[str]:
    """Every email of the lists once (case-insensitively), in first-seen order."""
    seen: dict[str, str] = {}
    for emails in lists:
        for email in emails:
            seen.setdefault(email.strip().lower(), email.strip())
    return list(seen.values())


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
