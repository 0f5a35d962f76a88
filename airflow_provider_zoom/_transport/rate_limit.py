"""Client-side pacing that keeps a wave just under Zoom's per-second limits.

Zoom counts requests per account, per category (Light, Medium), per wall-clock second, and a burst
over the limit costs 429s and retries. Token buckets and sliding-window libraries (pyrate-limiter,
limits) allow bursts by design; what stays under a fixed-window limit is evenly spaced request
starts, which takes a dozen lines: a slot every ``1/rate`` seconds, handed out in order under a
lock, never earlier than its time. Each 429 cuts the rate by one request a second, the excess it
stands for (the account's budget is shared with other apps; network jitter bunches arrivals); a
second of successes wins some of it back. The slots can be shared by every process of a machine or of
a deployment (``slot_stores``), so that any number of tasks together keep to the account's limits.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from airflow_provider_zoom._transport.slot_stores import ProcessSlots, SlotStore, slot_store
from airflow_provider_zoom._transport.slot_stores import forget_all as forget_stores

# Zoom's published per-second limits (Light, Medium, Heavy) per plan (Heavy: Contact Groups writes).
PLAN_LIMITS: dict[str, dict[str, float]] = {
    "free": {"light": 4, "medium": 2, "heavy": 1},
    "pro": {"light": 30, "medium": 20, "heavy": 10},
    "business": {"light": 80, "medium": 60, "heavy": 40},
}
# Keep a little under the limit: arrival jitter on the network can push one request into the next second.
HEADROOM = 0.98
# Each 429 cuts the rate by this many requests a second. Zoom counts fixed one-second windows and refuses what a
# window holds over the limit, so the 429s of a second are that second's excess: another app taking part of the
# account's budget refuses many of ours and the rate falls by about its share at once, while a window that network
# jitter overfilled by one (a few percent of the seconds at 0.98 of the limit with 100 ms of jitter, docs/benchmarks.md)
# costs one request a second, won back within the next second. A fixed cut per second (0.85 of the rate, until
# 2026-12-03) made those jitter 429s cost 3 % of a wave's rate each, and adapted to a shared budget 15 % at a time.
# Under a few requests a second (Free, 1/s Heavy) one request is most of the rate: a 429 then cuts MAX_CUT_SHARE.
SLOW_DOWN_PER_429 = 1.0
MAX_CUT_SHARE = 0.15
SPEED_UP_FACTOR = 1.05
MIN_FRACTION = 0.05
# A start overslept by more than this is given up for a new slot (see Pacer.acquire), at most MAX_RESLOTS times.
LATE_S = 0.020
MAX_RESLOTS = 3


def category_of(method: str, path: str) -> str:
    """Zoom's rate-limit label of an operation: IM groups (the Swagger's descriptions), Contact Groups and
    users (the Contact Groups reference, section 2)."""
    parts = [p for p in path.split("?")[0].strip("/").split("/") if p]
    method = method.upper()
    if parts[:2] == ["contacts", "groups"]:
        if method != "GET":
            return "heavy"  # create, update, delete, add and remove members
        return "light" if len(parts) == 3 else "medium"  # get one group; the lists
    if parts[:1] == ["users"]:
        return "light" if len(parts) == 2 else "medium"  # get a user; list users
    if len(parts) == 2:  # /im/groups
        return "medium" if method == "GET" else "light"
    if len(parts) == 4:  # /im/groups/{id}/members
        return "medium"
    return "light"  # one group, or one member


class Pacer:
    """Hands out request start times ``1/rate`` apart on a line of slots shared with every other pacer of its key.

    The line (``slot_stores``: the process, the machine, or Redis) holds one number per account and category,
    the next free start; each ``acquire`` reserves the next one with this pacer's interval and sleeps until it.
    Two hooks with different rates on one line together stay under the larger rate, as the spacing is shared.

    The adaptive part stays with the pacer, that is with the process: a 429 widens the interval this pacer
    reserves, and about a second of its own successes narrows it again. On a shared line that is enough: a
    process's wider reservations push everyone's later starts back, and the 429s of an over-budget second land on
    whichever processes sent then, so all that send slow down together. A shared slow-down factor would cost a
    second store round trip per call, and a process that died slowed would leave it behind with nobody to
    restore it. Recovery is per process too, hence more careful when many processes share the budget.
    """

    def __init__(self, rate: float, *, slots: SlotStore | None = None, key: str = "", clock=time.monotonic,
                 sleep=time.sleep):
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        self.max_rate = float(rate)
        self.rate = float(rate)
        self.key = key
        self.slots: SlotStore = slots if slots is not None else ProcessSlots(clock)
        self._clock = clock
        self._sleep = sleep
        self._successes = 0
        self.missed = 0  # slots given up because this process woke too late for them
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Reserve the next start and sleep until it; a start overslept by more than ``LATE_S`` is given up.

        Zoom counts fixed one-second windows, and evenly spaced starts at 98 % of the limit stay inside one only
        while no request leaves more than ~20 ms after its slot (1/0.98 - 1 s). A busy worker (many task processes
        on few cores) can wake a thread later than that: sent then, it would share the next window with the
        starts reserved for it. So it takes a new slot instead, at most ``MAX_RESLOTS`` times (then it goes).
        """
        for _ in range(MAX_RESLOTS + 1):
            wait = self.slots.reserve(self.key, 1.0 / self.rate)
            # The wait counts from the store's reply: a slow round trip (a thread's first Redis call opens its
            # connection) delays the start, never makes it early, and is not a late wake-up. Counting from the
            # middle of the round trip gave up every thread's first slot: 128 a process, 0.77 of the limit for 4.
            slot = self._clock() + max(wait, 0.0)
            if wait > 0:
                self._sleep(wait)
            if self._clock() - slot <= LATE_S:
                return
            self.missed += 1

    def slow_down(self) -> None:
        """A 429: one request a second less (``SLOW_DOWN_PER_429``, at most ``MAX_CUT_SHARE`` of the rate), never
        under ``MIN_FRACTION`` of the most."""
        with self._lock:
            cut = min(SLOW_DOWN_PER_429, self.rate * MAX_CUT_SHARE)
            self.rate = max(self.max_rate * MIN_FRACTION, self.rate - cut)
            self._successes = 0

    def succeeded(self) -> None:
        with self._lock:
            if self.rate >= self.max_rate:
                return
            self._successes += 1
            if self._successes >= self.rate:  # about a second's worth of calls went through
                self.rate = min(self.max_rate, self.rate * SPEED_UP_FACTOR)
                self._successes = 0


@dataclass(frozen=True)
class RateLimits:
    """Requests per second per category; ``None`` means unpaced."""

    light: float | None = None
    medium: float | None = None
    heavy: float | None = None

    @classmethod
    def for_plan(cls, plan: str, headroom: float = HEADROOM) -> RateLimits:
        try:
            limits = PLAN_LIMITS[plan.lower()]
        except KeyError:
            raise ValueError(f"unknown Zoom plan {plan!r}; known: {', '.join(PLAN_LIMITS)}") from None
        return cls(**{category: rate * headroom for category, rate in limits.items()})

    @classmethod
    def resolve(cls, plan=None, light_rps=None, medium_rps=None, heavy_rps=None) -> RateLimits | None:
        """Explicit rates win over the plan's; nothing given means no pacing."""
        base = cls.for_plan(plan) if plan else cls()
        limits = cls(
            light=float(light_rps) if light_rps else base.light,
            medium=float(medium_rps) if medium_rps else base.medium,
            heavy=float(heavy_rps) if heavy_rps else base.heavy,
        )
        return limits if (limits.light or limits.medium or limits.heavy) else None


_PACERS: dict[tuple, Pacer] = {}
_PACERS_GUARD = threading.Lock()


def shared_pacer(line: str, rate: float, slots: SlotStore | None = None) -> Pacer:
    """One pacer per line (account and category), rate and store in the process, so that all hooks share it."""
    slots = slots if slots is not None else slot_store("process")
    with _PACERS_GUARD:
        return _PACERS.setdefault((line, rate, id(slots)), Pacer(rate, slots=slots, key=line))


def forget_all() -> None:
    """Drop every pacer, store and line of the process (tests start from nothing)."""
    with _PACERS_GUARD:
        _PACERS.clear()
    forget_stores()
