"""Which scope a Zoom call needs, and for which feature: what a "missing scope" error (4700 / 4711) tells the user.

Zoom's message usually names the scopes (``Invalid access token, does not contain scopes:[user:read:admin].``);
when it does not, the classic admin scope of the call's API and method is named. docs/connection.md has the same
table for people.
"""

from __future__ import annotations

import re

__all__ = ["feature_of", "missing_scope", "scope_of"]

#: path prefix -> (feature, read scope, write scope); the longest matching prefix wins
SCOPES: dict[str, tuple[str, str, str]] = {
    "im/groups": ("IM groups", "imgroup:read:admin", "imgroup:write:admin"),
    "contacts/groups": ("contact groups", "contact_group:read:admin", "contact_group:write:admin"),
    "users": ("looking hires up by e-mail", "user:read:admin", "user:write:admin"),
}
#: features whose write differs in name from their read
WRITE_FEATURES = {"users": "inviting missing hires (invite_missing_users)"}
_SCOPES_IN_MESSAGE = re.compile(r"scopes?\s*:?\s*\[([^\]]+)\]", re.IGNORECASE)


def _entry(path: str) -> tuple[str, tuple[str, str, str]] | None:
    clean = path.split("?", 1)[0].strip("/").removeprefix("v2/")
    found = [prefix for prefix in SCOPES if clean == prefix or clean.startswith(prefix + "/")]
    if not found:
        return None
    prefix = max(found, key=len)
    return prefix, SCOPES[prefix]


def _writes(method: str) -> bool:
    return method.upper() not in ("GET", "HEAD")


def scope_of(method: str, path: str) -> str | None:
    """The classic admin scope ``method path`` needs, or None for a path this table does not know."""
    entry = _entry(path)
    if entry is None:
        return None
    _, (_, read, write) = entry
    return write if _writes(method) else read


def feature_of(method: str, path: str) -> str:
    """The provider feature that makes the call, in words (``contact groups (write)``)."""
    entry = _entry(path)
    if entry is None:
        return f"the call {method.upper()} {path}"
    prefix, (feature, _, _) = entry
    if _writes(method):
        return WRITE_FEATURES.get(prefix, f"{feature} (write)")
    return f"{feature} (read)" if prefix != "users" else feature


def missing_scope(method: str, path: str, message: str | None) -> str:
    """The scope(s) Zoom's message names, else the table's, else a plain 'a scope'."""
    named = _SCOPES_IN_MESSAGE.search(message or "")
    if named:
        scopes = [s.strip().strip("'\"") for s in named.group(1).split(",") if s.strip()]
        if scopes:
            return " or ".join(scopes)
    return scope_of(method, path) or "a scope"
