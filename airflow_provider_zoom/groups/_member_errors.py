"""Zoom's per-member refusals in a 400's ``errors``, read the same way for every group API."""

from __future__ import annotations

import re
from typing import Any

# IM Groups name ``members[3].email``, Contact Groups ``group_members[3].id``.
_MEMBER_FIELD = re.compile(r"^\s*(?:group_)?members\[(\d+)\]")


def rejected_members(errors: list[dict[str, Any]], sent: int) -> dict[int, str]:
    """Indexes (in the batch sent) of the members Zoom's validation ``errors`` name, with Zoom's reason.

    ``{"field": "members[3].email", "message": "User does not exist: ghost@x.org."}`` -> ``{3: "User does
    not exist: ghost@x.org."}`` (a message that repeats the field has it cut off). An error that names no
    member of the batch is not attributable.
    """
    named: dict[int, str] = {}
    for error in errors:
        field = str(error.get("field", ""))
        match = _MEMBER_FIELD.match(field)
        if not match or int(match.group(1)) >= sent:
            continue
        message = str(error.get("message") or "").strip()
        if field and message.startswith(field):
            message = message[len(field) :].lstrip(" :")
        named.setdefault(int(match.group(1)), message or "refused by Zoom")
    return named
