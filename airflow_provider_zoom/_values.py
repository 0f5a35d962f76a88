"""Reading loosely typed values of Zoom's replies."""

from __future__ import annotations

from typing import Any


def as_int(value: Any) -> int | None:
    """``value`` as an int (``"300"`` -> 300), None when it is none; a bool is not an int here."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
