"""Zoom's rate-limit model: per-account budgets per category, in fixed 1-second and UTC-day windows.

The daily windows start at 00:00 UTC (Zoom's documented ``Retry-After`` example) unless the emulator is told
another reset instant (``daily_reset_at``): then the current daily window ends there and the next ones are
24 hours long, so a test can watch a daily cap reset within seconds.

Only admitted requests consume budget, so a client that backs off after a 429 gets through in the next
window, which is how Zoom behaves as far as clients can observe it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

Category = Literal["Light", "Medium", "Heavy"]
CATEGORIES: tuple[Category, ...] = ("Light", "Medium", "Heavy")
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class PlanLimits:
    """Requests allowed per category; ``None`` means unlimited."""

    light_rps: int | None = None
    medium_rps: int | None = None
    light_daily: int | None = None
    medium_daily: int | None = None
    heavy_rps: int | None = None
    heavy_daily: int | None = None
    #: ``POST /v2/users`` with ``action: create`` per day, a cap of its own beside the Light budget (zoom-users.md 1).
    user_create_daily: int | None = None

    def per_second(self, category: Category) -> int | None:
        return getattr(self, f"{category.lower()}_rps")

    def daily(self, category: Category) -> int | None:
        return getattr(self, f"{category.lower()}_daily")

    def with_overrides(self, **overrides: int | None) -> PlanLimits:
        return replace(self, **overrides)


# Zoom's published limits by plan (zoom-contact-groups.md 7.2, from Zoom's rate-limits page): Free accounts
# have daily caps per category; paid plans have none for Light and Medium, and one daily cap for Heavy and
# Resource-intensive combined (Pro 30,000, Business+ 60,000). The emulator serves no Resource-intensive
# operation, so that shared cap is the Heavy daily cap here. Daily windows are UTC days (7.2: the reset time
# is not documented; 00:00 UTC is the safe assumption).
PLANS: dict[str, PlanLimits] = {
    "free": PlanLimits(
        light_rps=4,
        medium_rps=2,
        light_daily=6_000,
        medium_daily=2_000,
        heavy_rps=1,
        heavy_daily=1_000,
        user_create_daily=50,
    ),
    "pro": PlanLimits(light_rps=30, medium_rps=20, heavy_rps=10, heavy_daily=30_000, user_create_daily=1_500),
    "business": PlanLimits(light_rps=80, medium_rps=60, heavy_rps=40, heavy_daily=60_000, user_create_daily=10_000),
    "unlimited": PlanLimits(),
}
LIMIT_KEYS = (
    "light_rps",
    "medium_rps",
    "light_daily",
    "medium_daily",
    "heavy_rps",
    "heavy_daily",
    "user_create_daily",
)


@dataclass(frozen=True)
class Exceeded:
    """Why a request was refused; ``resets_at`` is only known (and only sent by Zoom) for daily limits."""

    category: Category
    kind: Literal["per-second", "daily"]
    limit: int
    resets_at: datetime | None = None


class RateLimiter:
    """Counts admitted requests; not thread-safe on its own (the backend holds its lock around it)."""

    def __init__(self, limits: PlanLimits, *, daily_reset_at: float | None = None, day_length: int = SECONDS_PER_DAY):
        self.limits = limits
        #: Seconds per daily window: 86,400 as at Zoom; shorter only to watch many resets in one test.
        self.day_length = day_length
        #: An instant (epoch seconds) on a daily-window boundary; 0 is 1970-01-01T00:00Z, so UTC midnights.
        self.day_anchor = 0.0 if daily_reset_at is None else float(daily_reset_at)
        self._second: dict[str, tuple[int, int]] = {}
        self._day: dict[str, tuple[int, int]] = {}  # by category, and "user_create" for the create cap

    def acquire(self, category: Category, now: float) -> Exceeded | None:
        """Take one unit of budget, or say which limit (daily first: it is the more useful answer) is hit."""
        second, day = int(now), int((now - self.day_anchor) // self.day_length)
        daily_limit = self.limits.daily(category)
        day_used = _used(self._day, category, day)
        if daily_limit is not None and day_used >= daily_limit:
            resets_at = datetime.fromtimestamp(self.day_anchor + (day + 1) * self.day_length, UTC)
            return Exceeded(category, "daily", daily_limit, resets_at)
        second_limit = self.limits.per_second(category)
        second_used = _used(self._second, category, second)
        if second_limit is not None and second_used >= second_limit:
            return Exceeded(category, "per-second", second_limit)
        self._day[category] = (day, day_used + 1)
        self._second[category] = (second, second_used + 1)
        return None

    def acquire_user_create(self, category: Category, now: float) -> Exceeded | None:
        """One unit of the daily ``action: create`` cap (its own count, in the same daily windows); ``category``
        is the route's, reported in the 429's ``X-RateLimit-Category``."""
        day = int((now - self.day_anchor) // self.day_length)
        limit = self.limits.user_create_daily
        used = _used(self._day, "user_create", day)
        if limit is not None and used >= limit:
            resets_at = datetime.fromtimestamp(self.day_anchor + (day + 1) * self.day_length, UTC)
            return Exceeded(category, "daily", limit, resets_at)
        self._day["user_create"] = (day, used + 1)
        return None


    def move_daily_reset(self, daily_reset_at: float | None, now: float) -> None:
        """End the daily window in progress at ``daily_reset_at`` (``None``: at the next 00:00 UTC), keeping
        what it has used so far: only the reset instant moves, not the count."""
        old_day = int((now - self.day_anchor) // self.day_length)
        self.day_anchor = 0.0 if daily_reset_at is None else float(daily_reset_at)
        new_day = int((now - self.day_anchor) // self.day_length)
        self._day = {category: (new_day, count) for category, (day, count) in self._day.items() if day == old_day}


def _used(windows: dict[str, tuple[int, int]], category: str, window: int) -> int:
    current, count = windows.get(category, (window, 0))
    return count if current == window else 0
