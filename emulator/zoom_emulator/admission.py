"""What happens to every /v2 request before its handler: token schedule, bearer check, a retired API, rate
limits and daily caps, the paid-plan gate and the injected transport faults, in that order."""

from __future__ import annotations

from collections.abc import Callable

from .errors import EmulatedZoomError, im_groups_gone
from .faults import Faults
from .oauth import EmulatedOAuthApp
from .ratelimit import PLANS, Category, Exceeded, RateLimiter

IM_GROUPS_MODES = ("available", "gone")
PER_SECOND_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = (
    "You have reached the maximum daily rate limit for this API. "
    "Refer to the response header for details on when you can make another request."
)


class Admission:
    """The account's gate; not thread-safe (the backend locks around it).

    ``limiter`` counts the plan's per-second and daily budgets; ``paid_account=False`` refuses the group APIs
    with Zoom's "Only available for paid account"; ``im_groups="gone"`` answers every IM group operation with
    Zoom's 410/4137.
    """

    def __init__(self, *, account_id: str, oauth: EmulatedOAuthApp, faults: Faults, clock: Callable[[], float]):
        self._account_id = account_id
        self._oauth = oauth
        self._faults = faults
        self._clock = clock
        self.plan = "unlimited"
        self.limiter = RateLimiter(PLANS["unlimited"])
        self.paid_account = True
        self.im_groups = "available"
        self.rate_limited = 0

    def admit(self, category: Category, authorization: str | None, api: str = "im") -> None:
        """``api`` is the family of the route: ``im`` (IM groups), ``contacts`` (Contact Groups), ``users`` or
        ``user_create`` (``POST /v2/users``); all but ``users`` need a paid account. Returns normally when the
        handler may run; raises :class:`EmulatedZoomError` or :class:`~.errors.DropConnection`."""
        if self._faults.injector.next_api_request():
            self._oauth.invalidate()
            self._faults.count("invalidate_tokens")
        self._oauth.check_bearer(authorization)
        if api == "im" and self.im_groups == "gone":
            # After the credentials (a 401 comes first everywhere) and before any budget is spent: the
            # reference pages show the 410 as the operation's answer, not as a rate-limited call.
            raise im_groups_gone()
        fault = self._faults.injector.draw()
        if fault == "burst_429":
            self._faults.count("burst_429")
            self.rate_limited += 1
            raise EmulatedZoomError(429, 429, PER_SECOND_MESSAGE)
        exceeded = self.limiter.acquire(category, self._clock())
        if exceeded is not None:
            self.rate_limited += 1
            raise rate_limit_error(exceeded)
        # Creating users needs Pro or higher (zoom-users.md 1), as the group APIs need a paid account.
        if not self.paid_account and api in ("im", "contacts", "user_create"):
            raise not_paid(self._account_id)
        self._faults.raise_transport(fault)

    def day_anchor(self) -> float | None:
        return self.limiter.day_anchor or None


def not_paid(account_id: str) -> EmulatedZoomError:
    """Swagger lists error code 200 "Only available for paid account:{accountId}." on six of the eight IM group
    operations (not on update or delete group), under a response key of 200 that is the error code, not the
    status. The status is 400, as Zoom documents the same code 200 for Contact Groups (see
    zoom-contact-groups.md 3.2). Where Swagger is silent (update, delete group) the emulator refuses too: a
    free account has no IM groups to change, and the stricter answer cannot hide a client bug.
    """
    return EmulatedZoomError(400, 200, f"Only available for paid account: {account_id}.")


def rate_limit_error(exceeded: Exceeded) -> EmulatedZoomError:
    if exceeded.resets_at is None:  # per-second: Zoom sends no Retry-After
        return EmulatedZoomError(429, 429, PER_SECOND_MESSAGE)
    headers = {
        "Retry-After": exceeded.resets_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "X-RateLimit-Category": exceeded.category,
        "X-RateLimit-Type": "Daily-limit",
        "X-RateLimit-Limit": str(exceeded.limit),
        "X-RateLimit-Remaining": "0",
    }
    return EmulatedZoomError(429, 429, DAILY_MESSAGE, headers=headers)
