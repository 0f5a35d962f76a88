"""The account's configuration as ``PUT /_emulator/config`` changes it: what may be set, and what each value must be.

:func:`check_config_change` checks a whole change first, naming every bad key, so that the backend applies it
all or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .admission import IM_GROUPS_MODES
from .contact_groups import CONTACT_GROUP_NAMES_MODES, CONTACT_MEMBERS_KEYS
from .directory import is_email
from .errors import validation_error
from .faults import FaultConfig
from .oauth import TOKEN_POLICIES
from .ratelimit import LIMIT_KEYS, PLANS, SECONDS_PER_DAY
from .users import CREATE_ACTIONS

#: Behaviours Zoom's documentation leaves open, kept in a state file.
MODES = {
    "im_groups": IM_GROUPS_MODES,
    "contact_group_names": CONTACT_GROUP_NAMES_MODES,
    "contact_members_key": CONTACT_MEMBERS_KEYS,
}
MODE_DEFAULTS = {"im_groups": "available", "contact_group_names": "duplicates", "contact_members_key": "group_members"}
SETTABLE = frozenset(
    {
        "plan",
        *LIMIT_KEYS,
        "daily_reset_at",
        "daily_reset_in",
        "daily_window_s",
        "token_policy",
        "token_ttl",
        "app_disabled",
        "paid_account",
        "activate_after",
        "user_seats",
        "foreign_users",
        "create_actions",
        "faults",
        *MODES,
    }
)


@dataclass(frozen=True)
class ConfigChange:
    """The values of a checked change that need parsing; the others are applied as given."""

    plan: str
    token_ttl: int
    daily_window_s: int
    #: ``(epoch seconds or None for 00:00 UTC,)`` when the change moves the daily reset, else ``None``.
    daily_reset: tuple[float | None] | None
    faults: FaultConfig | None


def check_config_change(changes: Mapping[str, Any], *, plan: str, token_ttl: int, now: float) -> ConfigChange:
    """Check a partial config; raises Zoom's 400/300 naming every bad key. ``plan`` and ``token_ttl`` are the
    current values, ``now`` the clock (for ``daily_reset_in``)."""
    problems = [(key, "is not a configurable setting") for key in changes if key not in SETTABLE]
    plan = changes.get("plan", plan)
    if plan not in PLANS:
        problems.append(("plan", f"must be one of {', '.join(PLANS)}"))
    for key in LIMIT_KEYS:
        value = changes.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            problems.append((key, "must be a positive integer or null (unlimited)"))
    daily_reset = _daily_reset(changes, problems, now)
    window = changes.get("daily_window_s", SECONDS_PER_DAY)
    if window is None:
        window = SECONDS_PER_DAY
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= SECONDS_PER_DAY:
        problems.append(("daily_window_s", "must be a whole number of seconds from 1 to 86400, or null (a day)"))
    if "token_policy" in changes and changes["token_policy"] not in TOKEN_POLICIES:
        problems.append(("token_policy", f"must be one of {', '.join(TOKEN_POLICIES)}"))
    ttl = changes.get("token_ttl", token_ttl)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1:
        problems.append(("token_ttl", "must be a positive number of seconds"))
    for key in ("app_disabled", "paid_account"):
        if key in changes and not isinstance(changes[key], bool):
            problems.append((key, "must be a boolean"))
    for key, choices in MODES.items():
        if key in changes and changes[key] not in choices:
            problems.append((key, f"must be one of {', '.join(choices)}"))
    problems += _user_setting_problems(changes)
    fault_config = None
    if "faults" in changes:
        try:
            fault_config = FaultConfig.from_dict(changes["faults"] or {})
        except (ValueError, TypeError) as exc:
            problems.append(("faults", str(exc)))
    if problems:
        raise validation_error(problems)
    return ConfigChange(plan, ttl, window, daily_reset, fault_config)


def _daily_reset(changes: Mapping[str, Any], problems: list, now: float) -> tuple[float | None] | None:
    """The requested daily reset instant as ``(epoch seconds or None,)``; ``None`` when not asked for.

    Rounded up to a whole second: Zoom's ``Retry-After`` has no fractions, and a client that trusts it
    must not arrive before the reset.
    """
    if "daily_reset_at" in changes and "daily_reset_in" in changes:
        problems.append(("daily_reset_in", "give daily_reset_at or daily_reset_in, not both"))
        return None
    if "daily_reset_in" in changes:
        seconds = changes["daily_reset_in"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= SECONDS_PER_DAY:
            problems.append(("daily_reset_in", "must be a number of seconds from 0 to 86400"))
            return None
        return (float(math.ceil(now + seconds)),)
    if "daily_reset_at" not in changes:
        return None
    value = changes["daily_reset_at"]
    if value is None:
        return (None,)
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        problems.append(("daily_reset_at", "must be an ISO-8601 timestamp (e.g. 2026-12-01T18:30:00Z) or null"))
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (float(math.ceil(when.timestamp())),)


def _user_setting_problems(changes: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The user directory's settings: what is wrong with each, by key."""
    problems: list[tuple[str, str]] = []
    delay = changes.get("activate_after")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0):
        problems.append(("activate_after", "must be a number of seconds >= 0, or null (never on its own)"))
    seats = changes.get("user_seats")
    if seats is not None and (isinstance(seats, bool) or not isinstance(seats, int) or seats < 0):
        problems.append(("user_seats", "must be a whole number >= 0, or null (no limit)"))
    foreign = changes.get("foreign_users")
    if foreign is not None and (
        not isinstance(foreign, list) or not all(isinstance(e, str) and is_email(e.strip()) for e in foreign)
    ):
        problems.append(("foreign_users", "must be a list of email addresses"))
    actions = changes.get("create_actions", ["create"])
    if not isinstance(actions, list) or not all(action in CREATE_ACTIONS for action in actions):
        problems.append(("create_actions", f"must be a list of {', '.join(CREATE_ACTIONS)}"))
    return problems
