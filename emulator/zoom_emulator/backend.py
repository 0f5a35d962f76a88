"""The emulated Zoom account: IM groups, contact groups, users, tokens, rate limits, faults and Zoom's rules.

Everything Zoom *decides* lives here (as in moto's backends); ``app.py`` only turns HTTP into calls of
these methods and results or :class:`~.errors.EmulatorError` back into HTTP. Every public method takes one
lock, so uvicorn's event loop and test threads can share an instance.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import random
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .directory import USER_STATUSES, SeedUser, email_domain, is_email, normalize_domain, split_emails
from .errors import (
    DropConnection,
    EmulatedZoomError,
    OAuthError,
    contact_group_not_found,
    group_not_found,
    im_groups_gone,
    user_not_found,
    validation_error,
)
from .faults import FAULT_KINDS, FaultConfig, FaultInjector
from .persistence import load_state, save_state
from .ratelimit import LIMIT_KEYS, PLANS, Category, Exceeded, RateLimiter

DEFAULT_CLIENT_ID = "demo-client-id"
DEFAULT_CLIENT_SECRET = "demo-client-secret"
DEFAULT_ACCOUNT_ID = "demo-account"
TOKEN_POLICIES = ("multiple", "latest-only")
ACCESS_TOKEN_TTL = 3600
PAGE_TOKEN_TTL = 15 * 60  # Swagger: "The expiration period for this token is 15 minutes."
SCOPES = "imgroup:read:admin imgroup:write:admin contact_group:read:admin contact_group:write:admin user:read:admin"
IM_GROUPS_MODES = ("available", "gone")
CONTACT_GROUP_NAMES_MODES = ("duplicates", "unique")
CONTACT_MEMBERS_KEYS = ("group_members", "members", "both")

GROUP_TYPES = ("normal", "shared", "restricted")
# Swagger is silent on defaults for the flags; these are what Zoom's admin UI preselects for a new group.
DEFAULT_SEARCH_FLAGS = {"search_by_domain": False, "search_by_account": True, "search_by_ma_account": False}
MAX_NAME_LENGTH = 128
MAX_MEMBERS_PER_ADD = 10
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 30, 300
_NAME_SPLIT = re.compile(r"[._\-+]+")
_MODES = {
    "im_groups": IM_GROUPS_MODES,
    "contact_group_names": CONTACT_GROUP_NAMES_MODES,
    "contact_members_key": CONTACT_MEMBERS_KEYS,
}
_MODE_DEFAULTS = {"im_groups": "available", "contact_group_names": "duplicates", "contact_members_key": "group_members"}

# Contact Groups (zoom-contact-groups.md 3.3, 4.2, 4.7, 4.8)
CONTACT_PAGE_SIZE, CONTACT_MAX_PAGE_SIZE = 10, 50
MAX_USER_MEMBERS, MAX_GROUP_MEMBERS, MAX_REMOVE_IDS = 50, 3, 20
PRIVACY_VALUES = (1, 2, 3)
MEMBER_TYPES = (1, 2)  # 1 user, 2 user group
# Users (5.2): page_size default 30; the 2025 spec's maximum is 2000 (the 2023 one said 300).
USERS_PAGE_SIZE, USERS_MAX_PAGE_SIZE = 30, 2000

PER_SECOND_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = (
    "You have reached the maximum daily rate limit for this API. "
    "Refer to the response header for details on when you can make another request."
)


@dataclass
class User:
    id: str
    email: str
    first_name: str
    last_name: str
    type: int = 1  # Basic
    # "directory": seeded, added by /_emulator/users or read from a state file; "domain": a user of a
    # --user-domain, materialised the first time a request names it (dropped again by a reset).
    source: str = "directory"
    status: str = "active"  # Zoom's user status: active, pending (invited, not yet accepted) or inactive

    def as_member(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "type": self.type,
        }

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.email


@dataclass
class ContactGroup:
    """A contact group (zoom-contact-groups.md 4): members are user ids (type 1) in insertion order."""

    id: str
    name: str
    privacy: int
    description: str
    created_at: float
    members: dict[str, int] = field(default_factory=dict)  # member id -> member type (1 user, 2 user group)

    def summary(self) -> dict[str, Any]:
        """The list item (4.1): no ``total_members`` there."""
        return {
            "group_id": self.id,
            "group_name": self.name,
            "group_privacy": self.privacy,
            "description": self.description,
        }

    def detail(self) -> dict[str, Any]:
        """The Get and Create reply (4.2, 4.3)."""
        return {**self.summary(), "total_members": len(self.members)}


@dataclass
class Group:
    id: str
    name: str
    type: str
    search_by_domain: bool
    search_by_account: bool
    search_by_ma_account: bool
    created_at: float
    members: dict[str, None] = field(default_factory=dict)  # user ids, an insertion-ordered set

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "total_members": len(self.members),
            "type": self.type,
            "search_by_domain": self.search_by_domain,
            "search_by_account": self.search_by_account,
            "search_by_ma_account": self.search_by_ma_account,
        }


@dataclass(frozen=True)
class _PageCursor:
    group_id: str
    offset: int
    expires_at: float


def user_id_for(email: str) -> str:
    """Deterministic so the same HR row maps to the same Zoom user in every run and every emulator."""
    return _b64_id(hashlib.sha256(email.strip().casefold().encode()).digest()[:16])


def iso_z(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64_id(raw: bytes) -> str:
    # Zoom ids look like base64url of 16 bytes: 22 characters, no padding.
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class ZoomBackend:
    """One Zoom account with one Server-to-Server OAuth app.

    ``plan`` picks Zoom's rate-limit preset; ``light_rps``/``medium_rps``/``light_daily``/``medium_daily``
    override it (``None`` keeps the preset). ``paid_account=False`` makes every IM group operation answer
    Zoom's "Only available for paid account" (``plan`` only sets rate limits, so that free-plan limits can be
    exercised on a working API). ``faults`` is a :class:`FaultConfig` or its dict form. ``seed`` makes group
    ids and (unless ``faults`` has its own seed) faults reproducible. ``clock`` returns epoch seconds and
    drives token expiry, rate-limit windows and page-token expiry, so tests need not sleep.

    Only users of the account can be added to a group, as at Zoom. ``users`` seeds the directory with
    addresses (or :class:`~.directory.SeedUser` records carrying names and a status); ``user_domains`` makes
    every well-formed address under those domains a user (see :meth:`_lookup_email`). ``pending_users`` are
    users whose invitation is pending (status ``pending``) wherever they come from (seed or domain);
    ``missing_users`` are not users at all, even when a seed lists them or their domain is a user domain (until
    ``POST /_emulator/users`` adds them). Both take addresses or comma-separated strings of them.

    ``daily_reset_at`` (ISO-8601, UTC unless it says otherwise) is when the daily window in progress ends, and the
    next ones every 24 hours after; unset, at 00:00 UTC as at Zoom. ``heavy_rps``/``heavy_daily`` override the
    plan's Heavy limits. ``im_groups="gone"`` answers every IM group
    operation with Zoom's 410/4137. ``contact_group_names="unique"`` refuses a second contact group with the same
    (trimmed, case-insensitive) name with 409/4132; the default ``"duplicates"`` allows it, as Zoom documents no
    uniqueness. ``contact_members_key`` names the member array of "List contact group members": ``group_members``
    (default), ``members`` or ``both``. These three default to the state file's values, else to the defaults.
    """

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        account_id: str = DEFAULT_ACCOUNT_ID,
        state_file: str | os.PathLike[str] | None = None,
        plan: str = "unlimited",
        light_rps: int | None = None,
        medium_rps: int | None = None,
        light_daily: int | None = None,
        medium_daily: int | None = None,
        heavy_rps: int | None = None,
        heavy_daily: int | None = None,
        daily_reset_at: str | None = None,
        token_policy: str = "multiple",
        token_ttl: int = ACCESS_TOKEN_TTL,
        app_disabled: bool = False,
        paid_account: bool = True,
        users: Iterable[str | SeedUser] | None = None,
        user_domains: Iterable[str] | None = None,
        pending_users: str | Iterable[str] | None = None,
        missing_users: str | Iterable[str] | None = None,
        im_groups: str | None = None,
        contact_group_names: str | None = None,
        contact_members_key: str | None = None,
        faults: FaultConfig | Mapping[str, Any] | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.account_id = account_id
        self.state_file = Path(state_file) if state_file is not None else None
        self._seed = seed
        self._clock = clock
        self._lock = threading.RLock()
        fault_dict = faults.to_dict() if isinstance(faults, FaultConfig) else dict(faults or {})
        limits = {
            "light_rps": light_rps,
            "medium_rps": medium_rps,
            "light_daily": light_daily,
            "medium_daily": medium_daily,
            "heavy_rps": heavy_rps,
            "heavy_daily": heavy_daily,
        }
        self._initial_config: dict[str, Any] = {  # replayed by reset(keep_config=False)
            "plan": plan,
            **{key: value for key, value in limits.items() if value is not None},
            "daily_reset_at": daily_reset_at,
            "daily_window_s": None,
            "token_policy": token_policy,
            "token_ttl": token_ttl,
            "app_disabled": app_disabled,
            "paid_account": paid_account,
            "faults": fault_dict,
        }
        # The directory the account starts with; reset(keep_config=False) returns to it.
        self._user_domains = tuple(dict.fromkeys(normalize_domain(domain) for domain in user_domains or ()))
        self._pending = {email.casefold() for email in split_emails(pending_users)}
        self._initial_missing = frozenset(email.casefold() for email in split_emails(missing_users))
        self._missing = set(self._initial_missing)
        self._initial_users = _seed_directory(users or (), self._pending, self._initial_missing)
        self._started_at = clock()
        self._groups: dict[str, Group] = {}
        self._contact_groups: dict[str, ContactGroup] = {}
        self._names: dict[str, str] = {}  # casefolded name -> group id
        self._users: dict[str, User] = {uid: replace(user) for uid, user in self._initial_users.items()}
        self._tokens: dict[str, float] = {}  # access token -> expiry; invalidated tokens are removed
        self._page_cursors: dict[str, _PageCursor] = {}
        self._ids = random.Random(seed)
        self._reset_counters()
        self._plan = "unlimited"
        self._limiter = RateLimiter(PLANS["unlimited"])
        self._token_policy = "multiple"
        self._token_ttl = ACCESS_TOKEN_TTL
        self._app_disabled = False
        self._paid_account = True
        self._faults = FaultInjector(FaultConfig(), seed)
        self._im_groups = _MODE_DEFAULTS["im_groups"]
        self._contact_group_names = _MODE_DEFAULTS["contact_group_names"]
        self._contact_members_key = _MODE_DEFAULTS["contact_members_key"]
        saved = self._load(self.state_file) if self.state_file is not None else {}
        # Explicit settings win over the state file's, which win over the defaults.
        for key, value in (
            ("im_groups", im_groups),
            ("contact_group_names", contact_group_names),
            ("contact_members_key", contact_members_key),
        ):
            self._initial_config[key] = value if value is not None else saved.get(key, _MODE_DEFAULTS[key])
        try:
            self.update_config(self._initial_config)
        except EmulatedZoomError as exc:
            raise ValueError("; ".join(error["message"] for error in exc.errors or ())) from None

    # -- configuration -------------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The live configuration (never the client secret)."""
        with self._lock:
            limits = self._limiter.limits
            return {
                "account_id": self.account_id,
                "client_id": self.client_id,
                "plan": self._plan,
                **{key: getattr(limits, key) for key in LIMIT_KEYS},
                "daily_reset_at": iso_z(self._limiter.day_anchor) if self._limiter.day_anchor else None,
                "daily_window_s": self._limiter.day_length,
                "token_policy": self._token_policy,
                "token_ttl": self._token_ttl,
                "app_disabled": self._app_disabled,
                "paid_account": self._paid_account,
                "im_groups": self._im_groups,
                "contact_group_names": self._contact_group_names,
                "contact_members_key": self._contact_members_key,
                "user_domains": list(self._user_domains),
                "pending_users": sorted(self._pending),
                "missing_users": sorted(self._missing),
                "faults": self._faults.config.to_dict(),
                "seed": self._seed,
            }

    def update_config(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Apply a partial config (the body of ``PUT /_emulator/config``) atomically.

        ``plan`` restarts from that plan's limits; explicit limit keys override them (``null`` = unlimited).
        ``faults`` replaces the whole fault config and re-seeds the fault RNG. Changing limits restarts the
        rate-limit windows. ``daily_reset_at`` (ISO-8601; ``null``: 00:00 UTC) or ``daily_reset_in`` (seconds from
        now) moves the end of the daily window in progress, keeping its count. ``daily_window_s`` shortens the
        "day" of the daily limits (``null``: 86,400 s, Zoom's) so that a test sees several resets; it restarts them.
        """
        settable = {
            "plan",
            *LIMIT_KEYS,
            "daily_reset_at",
            "daily_reset_in",
            "daily_window_s",
            "token_policy",
            "token_ttl",
            "app_disabled",
            "paid_account",
            "faults",
            *_MODES,
        }
        problems = [(key, "is not a configurable setting") for key in changes if key not in settable]
        plan = changes.get("plan", self._plan)
        if plan not in PLANS:
            problems.append(("plan", f"must be one of {', '.join(PLANS)}"))
        for key in LIMIT_KEYS:
            value = changes.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                problems.append((key, "must be a positive integer or null (unlimited)"))
        daily_reset = self._daily_reset(changes, problems)
        window = changes.get("daily_window_s", 86_400)
        if window is None:
            window = 86_400
        if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 86_400:
            problems.append(("daily_window_s", "must be a whole number of seconds from 1 to 86400, or null (a day)"))
        if "token_policy" in changes and changes["token_policy"] not in TOKEN_POLICIES:
            problems.append(("token_policy", f"must be one of {', '.join(TOKEN_POLICIES)}"))
        ttl = changes.get("token_ttl", self._token_ttl)
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1:
            problems.append(("token_ttl", "must be a positive number of seconds"))
        if "app_disabled" in changes and not isinstance(changes["app_disabled"], bool):
            problems.append(("app_disabled", "must be a boolean"))
        if "paid_account" in changes and not isinstance(changes["paid_account"], bool):
            problems.append(("paid_account", "must be a boolean"))
        for key, choices in _MODES.items():
            if key in changes and changes[key] not in choices:
                problems.append((key, f"must be one of {', '.join(choices)}"))
        fault_config = None
        if "faults" in changes:
            try:
                fault_config = FaultConfig.from_dict(changes["faults"] or {})
            except (ValueError, TypeError) as exc:
                problems.append(("faults", str(exc)))
        if problems:
            raise validation_error(problems)

        with self._lock:
            limit_changes = {key: changes[key] for key in LIMIT_KEYS if key in changes}
            if "plan" in changes or limit_changes:
                base = PLANS[plan] if "plan" in changes else self._limiter.limits
                self._plan = plan
                self._limiter = RateLimiter(
                    base.with_overrides(**limit_changes), daily_reset_at=self._day_anchor(),
                    day_length=self._limiter.day_length,
                )
            if "daily_window_s" in changes:  # a test's short "day": restarts the windows
                self._limiter = RateLimiter(self._limiter.limits, daily_reset_at=self._day_anchor(), day_length=window)
            if daily_reset is not None:
                self._limiter.move_daily_reset(daily_reset[0], self._clock())
            self._token_policy = changes.get("token_policy", self._token_policy)
            self._token_ttl = ttl
            self._app_disabled = changes.get("app_disabled", self._app_disabled)
            self._paid_account = changes.get("paid_account", self._paid_account)
            before = (self._im_groups, self._contact_group_names, self._contact_members_key)
            self._im_groups = changes.get("im_groups", self._im_groups)
            self._contact_group_names = changes.get("contact_group_names", self._contact_group_names)
            self._contact_members_key = changes.get("contact_members_key", self._contact_members_key)
            if before != (self._im_groups, self._contact_group_names, self._contact_members_key):
                self._save()
            if fault_config is not None:
                self._faults = FaultInjector(fault_config, self._seed)
            return self.config()

    def _daily_reset(self, changes: Mapping[str, Any], problems: list) -> tuple[float | None] | None:
        """The requested daily reset instant as ``(epoch seconds or None,)``; ``None`` when not asked for.

        Rounded up to a whole second: Zoom's ``Retry-After`` has no fractions, and a client that trusts it
        must not arrive before the reset.
        """
        if "daily_reset_at" in changes and "daily_reset_in" in changes:
            problems.append(("daily_reset_in", "give daily_reset_at or daily_reset_in, not both"))
            return None
        if "daily_reset_in" in changes:
            seconds = changes["daily_reset_in"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 86_400:
                problems.append(("daily_reset_in", "must be a number of seconds from 0 to 86400"))
                return None
            return (float(math.ceil(self._clock() + seconds)),)
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

    def _day_anchor(self) -> float | None:
        limiter = getattr(self, "_limiter", None)
        return limiter.day_anchor if limiter is not None and limiter.day_anchor else None

    # -- inspection ----------------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything a test may want to assert on; deliberately contains no secret and no token."""
        with self._lock:
            groups = [
                {
                    **group.summary(),
                    "created_at": iso_z(group.created_at),
                    "members": [{"id": uid, "email": self._users[uid].email} for uid in group.members],
                }
                for group in self._groups.values()
            ]
            contact_groups = [
                {
                    **group.detail(),
                    "created_at": iso_z(group.created_at),
                    "members": [
                        {"type": kind, "id": uid, "email": self._users[uid].email if uid in self._users else None}
                        for uid, kind in group.members.items()
                    ],
                }
                for group in self._contact_groups.values()
            ]
            return {
                "account_id": self.account_id,
                "groups": groups,
                "contact_groups": contact_groups,
                "users": [{**user.as_member(), "status": user.status} for user in self._users.values()],
                "config": self.config(),
                "counters": {
                    "requests": {route: dict(statuses) for route, statuses in self._requests.items()},
                    "api_requests": self._faults.api_requests,
                    "tokens_issued": self._tokens_issued,
                    "active_tokens": sum(1 for expiry in self._tokens.values() if expiry > self._clock()),
                    "rate_limited": self._rate_limited,
                    "faults": dict(self._fault_counts),
                },
            }

    def reset(self, *, keep_config: bool = True) -> None:
        """Empty the account and counters; the fault RNG and id RNG restart from their seeds.

        The user directory is kept (domain users are forgotten until named again); ``keep_config=False``
        returns it, like the config, to what the account started with: the seeded users, not those added
        by :meth:`add_users` since.
        """
        with self._lock:
            self._groups.clear()
            self._names.clear()
            self._contact_groups.clear()
            if keep_config:
                self._users = {uid: user for uid, user in self._users.items() if user.source == "directory"}
            else:
                self._users = {uid: replace(user) for uid, user in self._initial_users.items()}
                self._missing = set(self._initial_missing)
            self._tokens.clear()
            self._page_cursors.clear()
            self._ids = random.Random(self._seed)
            self._reset_counters()
            if keep_config:
                self._faults = FaultInjector(self._faults.config, self._seed)
                self._limiter = RateLimiter(
                    self._limiter.limits, daily_reset_at=self._day_anchor(), day_length=self._limiter.day_length
                )
            else:
                self.update_config(self._initial_config)
            self._save()

    def record(self, route: str, status: int | str) -> None:
        """Count one answered request under its route template (``"dropped"`` for connection drops)."""
        with self._lock:
            statuses = self._requests.setdefault(route, {})
            key = str(status)
            statuses[key] = statuses.get(key, 0) + 1

    def _reset_counters(self) -> None:
        self._requests: dict[str, dict[str, int]] = {}
        self._tokens_issued = 0
        self._rate_limited = 0
        self._fault_counts: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)

    # -- OAuth ---------------------------------------------------------------------------------------

    def issue_token(
        self,
        client_id: str | None,
        client_secret: str | None,
        grant_type: str | None,
        account_id: str | None,
        api_url: str,
    ) -> dict[str, Any]:
        """Server-to-Server OAuth ``account_credentials`` grant, checked in the order Zoom checks."""
        valid_secret = client_secret is not None and hmac.compare_digest(
            client_secret.encode(), self.client_secret.encode()
        )
        if client_id != self.client_id or not valid_secret:
            raise OAuthError(401, "invalid_client", "Invalid client_id or client_secret")
        with self._lock:
            if self._app_disabled:
                raise OAuthError(400, "invalid_client", "The app has been disabled.")
            if grant_type != "account_credentials":
                raise OAuthError(400, "unsupported_grant_type", "unsupported grant type")
            if account_id != self.account_id:
                raise OAuthError(400, "invalid_request", "Invalid account_id")
            if self._faults.config.faults_on_oauth:
                self._inject_transport_fault(self._faults.draw(allow_429=False))
            now = self._clock()
            if self._token_policy == "latest-only":
                # Zoom's behaviour for years: a new token revokes every older one of the account.
                self._tokens.clear()
            elif len(self._tokens) > 1024:
                self._tokens = {token: exp for token, exp in self._tokens.items() if exp > now}
            token = secrets.token_urlsafe(48)
            self._tokens[token] = now + self._token_ttl
            self._tokens_issued += 1
            return {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self._token_ttl,
                "scope": SCOPES,
                "api_url": api_url,
            }

    def invalidate_tokens(self) -> int:
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count

    # -- admission: what happens to every /v2 request before its handler -------------------------------

    def latency_seconds(self, *, oauth: bool = False) -> float:
        """Injected delay for the next request (the HTTP layer sleeps without blocking the loop)."""
        with self._lock:
            if oauth and not self._faults.config.faults_on_oauth:
                return 0.0
            delay = self._faults.latency_seconds()
            if delay:
                self._fault_counts["latency"] += 1
            return delay

    def admit(self, category: Category, authorization: str | None, api: str = "im") -> None:
        """Token invalidation schedule, bearer check, retired API, rate limits, paid plan and injected faults.

        ``api`` is the family of the route: ``im`` (IM groups), ``contacts`` (Contact Groups) or ``users``;
        only the first two need a paid account. Returns normally when the handler may run; raises
        :class:`EmulatedZoomError` or :class:`DropConnection`.
        """
        with self._lock:
            if self._faults.next_api_request():
                self._tokens.clear()
                self._fault_counts["invalidate_tokens"] += 1
            self._check_token(authorization)
            if api == "im" and self._im_groups == "gone":
                # After the credentials (a 401 comes first everywhere) and before any budget is spent: the
                # reference pages show the 410 as the operation's answer, not as a rate-limited call.
                raise im_groups_gone()
            fault = self._faults.draw()
            if fault == "burst_429":
                self._fault_counts["burst_429"] += 1
                self._rate_limited += 1
                raise EmulatedZoomError(429, 429, PER_SECOND_MESSAGE)
            exceeded = self._limiter.acquire(category, self._clock())
            if exceeded is not None:
                self._rate_limited += 1
                raise _rate_limit_error(exceeded)
            if not self._paid_account and api in ("im", "contacts"):
                raise _not_paid(self.account_id)
            self._inject_transport_fault(fault)

    def _check_token(self, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None:
            raise EmulatedZoomError(401, 124, "Invalid access token.")
        if expiry <= self._clock():
            raise EmulatedZoomError(401, 124, "Access token is expired.")

    def _inject_transport_fault(self, fault: str | None) -> None:
        if fault == "error_5xx":
            self._fault_counts["error_5xx"] += 1
            raise _server_error(self._faults.error_status())
        if fault == "reset":
            self._fault_counts["reset"] += 1
            raise DropConnection()

    # -- IM groups -----------------------------------------------------------------------------------

    def list_groups(self) -> dict[str, Any]:
        with self._lock:
            groups = [group.summary() for group in self._groups.values()]
        # Zoom returns every IM group in one page.
        return {
            "page_count": 1,
            "page_number": 1,
            "page_size": len(groups),
            "total_records": len(groups),
            "groups": groups,
        }

    def create_group(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        values = _group_values(fields, creating=True)
        with self._lock:
            self._ensure_name_free(values["name"], None)
            group_id = self._new_group_id()
            group = Group(id=group_id, created_at=self._clock(), **values)
            self._groups[group_id] = group
            self._names[group.name.casefold()] = group_id
            self._save()
            self._fail_after_commit()
            return group.summary()

    def _fail_after_commit(self) -> None:
        """The commit-then-fail fault: the create is saved, then the client gets a 502 or a dropped connection."""
        failure = self._faults.commit_then_fail()
        if failure is not None:
            self._fault_counts["commit_then_fail"] += 1
            if failure == "reset":
                raise DropConnection()
            raise _server_error(502)

    def get_group(self, group_id: str) -> dict[str, Any]:
        with self._lock:
            return self._group(group_id).summary()

    def update_group(self, group_id: str, fields: Mapping[str, Any]) -> None:
        values = _group_values(fields, creating=False)
        with self._lock:
            group = self._group(group_id)
            if "name" in values:
                self._ensure_name_free(values["name"], group_id)
                del self._names[group.name.casefold()]
                self._names[values["name"].casefold()] = group_id
            for key, value in values.items():
                setattr(group, key, value)
            self._save()

    def delete_group(self, group_id: str) -> None:
        with self._lock:
            group = self._group(group_id)
            del self._groups[group_id]
            del self._names[group.name.casefold()]
            self._save()

    # -- members -------------------------------------------------------------------------------------

    def list_members(
        self,
        group_id: str,
        page_size: str | None = None,
        page_number: str | None = None,
        next_page_token: str | None = None,
    ) -> dict[str, Any]:
        size = _int_param("page_size", page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        with self._lock:
            group = self._group(group_id)
            now = self._clock()
            if next_page_token:
                cursor = self._page_cursors.get(next_page_token)
                if cursor is None or cursor.group_id != group_id or cursor.expires_at <= now:
                    raise validation_error([("next_page_token", "is invalid or has expired")])
                offset = cursor.offset
            else:
                # Deprecated but still honoured by Zoom.
                offset = (_int_param("page_number", page_number, 1, None) - 1) * size
            member_ids = list(group.members)
            total = len(member_ids)
            token = ""
            if offset + size < total:
                token = self._new_page_cursor(_PageCursor(group_id, offset + size, now + PAGE_TOKEN_TTL), now)
            return {
                "page_count": math.ceil(total / size),
                "page_number": offset // size + 1,
                "page_size": size,
                "total_records": total,
                "next_page_token": token,
                "members": [self._users[uid].as_member() for uid in member_ids[offset : offset + size]],
            }

    def add_members(self, group_id: str, payload: Any) -> dict[str, Any]:
        """Add up to 10 users of the account by id or email; all or nothing.

        Members already in the group are ignored, as Zoom does, and ``ids`` lists only the users this call
        added. Any malformed entry or unknown user fails the whole request with Zoom's 400/300 "Validation
        Failed." naming every bad entry by index: Zoom documents no partial success for this operation, so
        the emulator takes the strict reading and adds nobody.
        """
        items = payload.get("members") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            raise validation_error([("members", "is required: a list of 1 to 10 {id} or {email} objects")])
        if len(items) > MAX_MEMBERS_PER_ADD:
            raise validation_error([("members", f"at most {MAX_MEMBERS_PER_ADD} members per request")])
        with self._lock:
            group = self._group(group_id)
            resolved: list[User] = []
            errors: list[dict[str, str]] = []
            for index, item in enumerate(items):
                where = f"members[{index}]"
                if not isinstance(item, dict):
                    errors.append({"field": where, "message": f"{where}: must be an object with id or email"})
                    continue
                user_id, email = item.get("id"), item.get("email")
                # Swagger types both as strings: anything else (an object, a number, ...) is refused by name,
                # never skipped over (an empty object used to fall through to the email and be accepted).
                wrong = [
                    name
                    for name, value in (("id", user_id), ("email", email))
                    if value is not None and not isinstance(value, str)
                ]
                if wrong:
                    for name in wrong:
                        errors.append({"field": f"{where}.{name}", "message": f"{where}.{name}: must be a string"})
                    continue
                if user_id:  # Swagger: "If the user ID is given then ignore the user email."
                    user = self._users.get(user_id)
                    if user is None:
                        errors.append(_no_such_user(f"{where}.id", user_id))
                    else:
                        resolved.append(user)
                elif isinstance(email, str) and is_email(email.strip()):
                    user = self._lookup_email(email.strip())
                    if user is None:
                        errors.append(_no_such_user(f"{where}.email", email.strip()))
                    else:
                        resolved.append(user)
                else:
                    field_name = f"{where}.email"
                    message = f"{field_name}: must be a valid email address (or give id)"
                    errors.append({"field": field_name, "message": message})
            if errors:
                raise EmulatedZoomError(400, 300, "Validation Failed.", errors=errors)
            added: dict[str, None] = {}
            for user in resolved:
                self._users.setdefault(user.id, user)  # a domain user joins the directory when first named
                if user.id not in group.members:
                    group.members[user.id] = None
                    added[user.id] = None
            self._save()
            return {"ids": ",".join(added), "added_at": iso_z(self._clock())}

    def remove_member(self, group_id: str, member_id: str) -> None:
        with self._lock:
            group = self._group(group_id)
            if member_id not in group.members:
                # Swagger documents a 404 for "IM Group member not found" without a code; 1001 is Zoom's
                # "User does not exist" code, distinct from 4130 so clients can tell the two apart.
                raise EmulatedZoomError(404, 1001, f"User does not exist in group {group_id}: {member_id}.")
            del group.members[member_id]
            self._save()

    # -- Contact Groups (zoom-contact-groups.md 4) -----------------------------------------------------

    def list_contact_groups(self, page_size: str | None = None, next_page_token: str | None = None) -> dict[str, Any]:
        """4.1: ``groups`` (no ``total_members``), ``next_page_token`` ("" at the end), ``page_size``."""
        size = _int_param("page_size", page_size, CONTACT_PAGE_SIZE, CONTACT_MAX_PAGE_SIZE)
        with self._lock:
            groups = list(self._contact_groups.values())  # creation order (ordering is not documented)
            items, token, _ = self._page(groups, size, "contact-groups", next_page_token)
            return {"groups": [g.summary() for g in items], "next_page_token": token, "page_size": size}

    def create_contact_group(self, payload: Any) -> dict[str, Any]:
        """4.2: all or nothing; the 201 body is the group as Get returns it (``group_id`` included)."""
        if not isinstance(payload, dict):
            raise _invalid_object()
        problems: list[tuple[str, str]] = []
        name = payload.get("group_name")
        # 4.2: not marked required, but a group without a name is useless; refusing is the safe choice.
        if not isinstance(name, str):
            problems.append(("group_name", "is required" if name is None else "must be a string"))
        elif not name.strip():
            problems.append(("group_name", "must not be empty"))
        privacy = payload.get("group_privacy", 1)  # 4.2: default not documented; 1 is the example value
        if not _is_int(privacy) or privacy not in PRIVACY_VALUES:
            problems.append(("group_privacy", f"must be one of 1, 2, 3 (got {privacy!r})"))
        description = payload.get("description", "")
        if not isinstance(description, str):
            problems.append(("description", "must be a string"))
        members_key, items = _member_list(payload, problems, required=False)
        members = _member_items(members_key, items, problems)
        if problems:
            raise validation_error(problems)
        _check_member_limits(members)
        with self._lock:
            if self._contact_group_names == "unique":
                self._ensure_contact_name_free(name, None)
            resolved = self._resolve_members(members_key, members)
            group = ContactGroup(
                id=self._new_group_id(),
                name=name,
                privacy=privacy,
                description=description,
                created_at=self._clock(),
                members=resolved,
            )
            self._contact_groups[group.id] = group
            self._save()
            self._fail_after_commit()
            return group.detail()

    def get_contact_group(self, group_id: str) -> dict[str, Any]:
        with self._lock:
            return self._contact_group(group_id).detail()

    def update_contact_group(self, group_id: str, payload: Any) -> None:
        """4.4: keys ``name``, ``privacy``, ``description``; others (``group_name`` too) are ignored, as the
        reference expects of Zoom; an object without any of them changes nothing and still answers 204."""
        if not isinstance(payload, dict):
            raise _invalid_object()
        problems: list[tuple[str, str]] = []
        values: dict[str, Any] = {}
        if "name" in payload:
            name = payload["name"]
            if not isinstance(name, str):
                problems.append(("name", "must be a string"))
            elif not name.strip():
                problems.append(("name", "must not be empty"))
            else:
                values["name"] = name
        if "privacy" in payload:
            privacy = payload["privacy"]
            if not _is_int(privacy) or privacy not in PRIVACY_VALUES:
                problems.append(("privacy", f"must be one of 1, 2, 3 (got {privacy!r})"))
            else:
                values["privacy"] = privacy
        if "description" in payload:
            if not isinstance(payload["description"], str):
                problems.append(("description", "must be a string"))
            else:
                values["description"] = payload["description"]
        if problems:
            raise validation_error(problems)
        with self._lock:
            group = self._contact_group(group_id)
            if "name" in values and self._contact_group_names == "unique":
                self._ensure_contact_name_free(values["name"], group_id)
            for key, value in values.items():
                setattr(group, key, value)
            self._save()

    def delete_contact_group(self, group_id: str) -> None:
        """4.5: a second delete finds no group (400/300), the safe reading of the documented error."""
        with self._lock:
            self._contact_group(group_id)
            del self._contact_groups[group_id]
            self._save()

    def list_contact_group_members(
        self, group_id: str, page_size: str | None = None, next_page_token: str | None = None
    ) -> dict[str, Any]:
        """4.6: items ``{type, id, name}`` under ``group_members`` (or ``members``/both, see the config)."""
        size = _int_param("page_size", page_size, CONTACT_PAGE_SIZE, CONTACT_MAX_PAGE_SIZE)
        with self._lock:
            group = self._contact_group(group_id)
            members = list(group.members.items())
            items, token, _ = self._page(members, size, f"contact-members:{group_id}", next_page_token)
            listed = [{"type": kind, "id": uid, "name": self._member_name(uid, kind)} for uid, kind in items]
            keys = ("group_members", "members") if self._contact_members_key == "both" else (self._contact_members_key,)
            return {**dict.fromkeys(keys, listed), "next_page_token": token, "page_size": size}

    def add_contact_group_members(self, group_id: str, payload: Any) -> dict[str, Any]:
        """4.7: 201 ``{"member_ids": [...]}`` listing only the members this call added.

        Limits first (50 users, 3 user groups: the documented 400/300 texts), then every member must be a user
        of the account whose invitation is accepted: anything else fails the whole call with 400/300 naming
        each bad member, and nobody is added (the reference leaves partial batches undocumented; this is the
        strict reading). Members already in the group are skipped silently (the safe assumption of 4.7).
        """
        if not isinstance(payload, dict):
            raise _invalid_object()
        problems: list[tuple[str, str]] = []
        members_key, items = _member_list(payload, problems, required=True)
        members = _member_items(members_key, items, problems)
        if problems:
            raise validation_error(problems)
        _check_member_limits(members)
        with self._lock:
            group = self._contact_group(group_id)
            resolved = self._resolve_members(members_key, members)
            added = [uid for uid in resolved if uid not in group.members]
            for uid in added:
                group.members[uid] = resolved[uid]
            self._save()
            return {"member_ids": added}

    def remove_contact_group_members(self, group_id: str, member_ids: str | None) -> None:
        """4.8: ``member_ids`` comma-separated (spaces trimmed, repeats merged), at most 20; all or nothing."""
        ids = [part.strip() for part in (member_ids or "").split(",") if part.strip()]
        if not ids:
            raise validation_error([("member_ids", "is required: comma-separated member ids")])
        if len(ids) > MAX_REMOVE_IDS:  # counted as sent, before merging repeats: the stricter reading
            raise EmulatedZoomError(400, 300, f"The maximum number of memberId is {MAX_REMOVE_IDS}.")
        unique = list(dict.fromkeys(ids))
        with self._lock:
            group = self._contact_group(group_id)
            for member_id in unique:
                if member_id not in group.members:
                    raise EmulatedZoomError(400, 300, f"A member with this memberId: {member_id} does not exist.")
            if len(unique) >= len(group.members):
                raise EmulatedZoomError(400, 300, "A group must have at least one member.")
            for member_id in unique:
                del group.members[member_id]
            self._save()

    def _contact_group(self, group_id: str) -> ContactGroup:
        group = self._contact_groups.get(group_id)
        if group is None:
            raise contact_group_not_found(group_id)
        return group

    def _ensure_contact_name_free(self, name: str, own_id: str | None) -> None:
        """Only with ``contact_group_names="unique"``: the IM API's documented 409/4132 (4.2 suggests it)."""
        wanted = name.strip().casefold()
        for group in self._contact_groups.values():
            if group.id != own_id and group.name.strip().casefold() == wanted:
                raise EmulatedZoomError(409, 4132, f"Group name {name} is already in use.")

    def _resolve_members(self, key: str, members: list[tuple[int, str]]) -> dict[str, int]:
        """Member ids -> types, in order, repeats merged; raises 400/300 naming every member that cannot join.

        A type-1 id must be the id of an active user of the account. An e-mail address is not an id (4.7: not
        documented; clients resolve addresses with ``GET /users/{email}`` first). A pending user (invitation not
        accepted) or an inactive one is refused: Zoom is silent on both, and refusing is the stricter choice.
        The emulator has no user groups (web groups), so every type-2 id is unknown.
        """
        errors: list[dict[str, str]] = []
        resolved: dict[str, int] = {}
        for index, (kind, member_id) in enumerate(members):
            where = f"{key}[{index}].id"
            user = self._users.get(member_id) if kind == 1 else None
            if user is None:
                what = "User" if kind == 1 else "User group"
                errors.append({"field": where, "message": f"{what} does not exist: {member_id}."})
            elif user.status != "active":
                detail = (
                    "has not accepted the invitation to the account yet"
                    if user.status == "pending"
                    else "is deactivated"
                )
                errors.append(
                    {"field": where, "message": f"User {member_id} ({user.email}) is {user.status}: it {detail}."}
                )
            else:
                resolved.setdefault(member_id, kind)
        if errors:
            raise EmulatedZoomError(400, 300, "Validation Failed.", errors=errors)
        return resolved

    def _member_name(self, member_id: str, kind: int) -> str:
        user = self._users.get(member_id) if kind == 1 else None
        return user.display_name if user is not None else ""

    def _page(
        self, items: list[Any], size: int, listing: str, token: str | None, offset: int = 0
    ) -> tuple[list[Any], str, int]:
        """One page of ``items`` from ``offset`` (or the token's), the token for the next ("" at the end) and the
        offset used; a token is tied to its listing."""
        now = self._clock()
        if token:
            cursor = self._page_cursors.get(token)
            if cursor is None or cursor.group_id != listing or cursor.expires_at <= now:
                # 3.3: not documented; the safe assumption is 400/300 naming the token.
                raise validation_error([("next_page_token", "is invalid or has expired")])
            offset = cursor.offset
        following = ""
        if offset + size < len(items):
            following = self._new_page_cursor(_PageCursor(listing, offset + size, now + PAGE_TOKEN_TTL), now)
        return items[offset : offset + size], following, offset

    # -- Users (zoom-contact-groups.md 5) ----------------------------------------------------------------

    def get_user(self, user_id: str) -> dict[str, Any]:
        """5.1: by id or e-mail (case-insensitively); ``me`` names no user for an account-level token."""
        with self._lock:
            user = self._users.get(user_id)
            if user is None and is_email(user_id.strip()):
                user = self._lookup_email(user_id.strip())
                if user is not None:
                    self._users.setdefault(user.id, user)  # a domain user joins the directory when first named
            if user is None:
                raise user_not_found(user_id)
            return self._user_object(user, listing=False)

    def list_users(
        self,
        status: str | None = None,
        page_size: str | None = None,
        page_number: str | None = None,
        next_page_token: str | None = None,
    ) -> dict[str, Any]:
        """5.2: the directory's users with ``status`` (default ``active``), paged; no ``id`` for pending users."""
        wanted = status if status not in (None, "") else "active"
        if wanted not in USER_STATUSES:
            raise validation_error([("status", f"must be one of {', '.join(USER_STATUSES)} (got {wanted!r})")])
        size = _int_param("page_size", page_size, USERS_PAGE_SIZE, USERS_MAX_PAGE_SIZE)
        with self._lock:
            users = [user for user in self._users.values() if user.status == wanted]
            offset = 0 if next_page_token else (_int_param("page_number", page_number, 1, None) - 1) * size
            items, token, offset = self._page(users, size, f"users:{wanted}", next_page_token, offset)
            return {
                "next_page_token": token,
                "page_count": math.ceil(len(users) / size),
                "page_number": offset // size + 1,
                "page_size": size,
                "total_records": len(users),
                "users": [self._user_object(user, listing=True) for user in items],
            }

    def _user_object(self, user: User, *, listing: bool) -> dict[str, Any]:
        """The user object's fields a Contact Groups client needs (5.1), plus plausible neighbours."""
        now = self._clock()
        created = iso_z(now if user.status == "pending" else self._started_at)  # 5.1: pending -> time of the call
        body: dict[str, Any] = {
            "id": user.id,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "display_name": user.display_name,
            "type": user.type,
            "status": user.status,
            "account_id": self.account_id,
            "role_id": "2",
            "role_name": "Member",
            "group_ids": [],
            "im_group_ids": [g.id for g in self._groups.values() if user.id in g.members],
            "verified": 1 if user.status == "active" else 0,
            "created_at": created,
            "user_created_at": created,
        }
        if listing and user.status == "pending":
            del body["id"]  # 5.2: "id is not returned for pending users"
        return body

    # -- the user directory ----------------------------------------------------------------------------

    def add_users(self, emails: Any, status: Any = None, missing: Any = None) -> dict[str, Any]:
        """``POST /_emulator/users``: make these addresses users of the account (all or nothing).

        ``status`` (``active``, ``pending`` or ``inactive``) is given to every one of them, new or existing
        (so a pending user can be made active, as when the hire accepts the invitation); without it new users
        are active (or pending when ``pending_users`` names them) and existing ones keep theirs. ``missing``
        addresses stop being users (as ``missing_users`` at start-up): they leave the directory and every group,
        and a user domain no longer vouches for them, until ``emails`` names them again. Give ``emails``,
        ``missing`` or both.
        """
        problems: list[tuple[str, str]] = []
        if missing is None and (not isinstance(emails, list) or not emails):
            raise validation_error([("emails", "is required: a non-empty list of email addresses")])
        for key, value in (("emails", emails), ("missing", missing)):
            if value is None:
                continue
            if not isinstance(value, list):
                problems.append((key, "must be a list of email addresses"))
                continue
            problems += [
                (f"{key}[{index}]", "must be a valid email address")
                for index, email in enumerate(value)
                if not isinstance(email, str) or not is_email(email.strip())
            ]
        if status is not None and status not in USER_STATUSES:
            problems.append(("status", f"must be one of {', '.join(USER_STATUSES)}"))
        if problems:
            raise validation_error(problems)
        with self._lock:
            for email in missing or ():
                self._missing.add(email.strip().casefold())
                gone = self._users.pop(user_id_for(email), None)
                if gone is not None:
                    for group in self._groups.values():
                        group.members.pop(gone.id, None)
                    for contact_group in self._contact_groups.values():
                        contact_group.members.pop(gone.id, None)
            emails = emails or []
            for email in emails:
                self._missing.discard(email.strip().casefold())
            users = []
            for email in emails:
                user = self._users.get(user_id_for(email))
                if user is None:
                    user = self._users[user_id_for(email)] = _new_user(SeedUser(email.strip()), pending=self._pending)
                user.source = "directory"  # a domain user named here stays across resets too
                if status is not None:
                    user.status = status
                users.append({**user.as_member(), "status": user.status})
            self._save()
            return {"users": users}

    def _lookup_email(self, email: str) -> User | None:
        """The account's user with this address (case-insensitively, as the user lookup reference advises).

        Under a ``user_domains`` domain every well-formed address is a user, created here on first use. Real
        Zoom has no such thing: it is a convenience for synthetic load tests (bench, e2e, the test suite) whose
        thousands of generated addresses would otherwise all have to be seeded. Such a user's id is only known
        once an email has named it (ids are derived from the address and cannot be reversed).
        """
        user = self._users.get(user_id_for(email))
        if user is None and email_domain(email) in self._user_domains and email.casefold() not in self._missing:
            user = _new_user(SeedUser(email), source="domain", pending=self._pending)
        return user

    # -- internals -----------------------------------------------------------------------------------

    def _group(self, group_id: str) -> Group:
        group = self._groups.get(group_id)
        if group is None:
            raise group_not_found(group_id)
        return group

    def _ensure_name_free(self, name: str, own_id: str | None) -> None:
        # Assumption: Zoom treats group names case-insensitively (after trimming) when checking uniqueness.
        holder = self._names.get(name.casefold())
        if holder is not None and holder != own_id:
            raise EmulatedZoomError(409, 4132, f"Group name {name} is already in use.")

    def _new_group_id(self) -> str:
        while True:  # a seeded RNG replays ids after a restart with a state file
            group_id = _b64_id(self._ids.getrandbits(128).to_bytes(16, "big"))
            if group_id not in self._groups and group_id not in self._contact_groups:
                return group_id

    def _new_page_cursor(self, cursor: _PageCursor, now: float) -> str:
        if len(self._page_cursors) > 1024:
            self._page_cursors = {t: c for t, c in self._page_cursors.items() if c.expires_at > now}
        token = secrets.token_urlsafe(24)
        self._page_cursors[token] = cursor
        return token

    def _save(self) -> None:
        if self.state_file is None:
            return
        save_state(
            self.state_file,
            {
                "account_id": self.account_id,
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
                    for g in self._groups.values()
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
                    for g in self._contact_groups.values()
                ],
                "users": [
                    {**user.as_member(), "source": user.source, "status": user.status} for user in self._users.values()
                ],
                "config": {
                    "im_groups": self._im_groups,
                    "contact_group_names": self._contact_group_names,
                    "contact_members_key": self._contact_members_key,
                },
            },
        )

    def _load(self, path: Path) -> dict[str, Any]:
        """The account in ``path`` (checked by :func:`load_state`), on top of the seeded directory; returns the
        file's saved settings (``im_groups``, ``contact_group_names``, ``contact_members_key``)."""
        data = load_state(path)
        if data is None:
            return {}
        for raw in data["users"]:
            user = User(**raw)
            if user.source == "domain" and email_domain(user.email) not in self._user_domains:
                user.source = "directory"  # its domain is no longer given: the file is all that vouches for it
            self._users[user.id] = user
        for raw in data["groups"]:
            group = Group(**{**raw, "members": dict.fromkeys(raw["members"])})
            self._groups[group.id] = group
            self._names[group.name.casefold()] = group.id
        for raw in data.get("contact_groups", []):
            members = {member["id"]: member["type"] for member in raw["members"]}
            contact_group = ContactGroup(**{**raw, "members": members})
            self._contact_groups[contact_group.id] = contact_group
        return dict(data.get("config", {}))


def _group_values(fields: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate create/update fields; form values arrive as strings, JSON values may be real booleans."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    name = fields.get("name")
    if name is not None or creating:
        if not isinstance(name, str):
            problems.append(("name", "is required" if name is None else "must be a string"))
        elif not name.strip():
            problems.append(("name", "must not be empty"))
        elif len(name.strip()) > MAX_NAME_LENGTH:
            problems.append(("name", f"must be at most {MAX_NAME_LENGTH} characters (got {len(name.strip())})"))
        else:
            values["name"] = name.strip()
    group_type = fields.get("type", "normal" if creating else None)
    if group_type is not None:
        if group_type in GROUP_TYPES:
            values["type"] = group_type
        else:
            problems.append(("type", f"must be one of {', '.join(GROUP_TYPES)} (got {group_type!r})"))
    for flag, default in DEFAULT_SEARCH_FLAGS.items():
        raw = fields.get(flag, default if creating else None)
        if raw is None:
            continue
        parsed = _boolean(raw)
        if parsed is None:
            problems.append((flag, f"must be a boolean, true or false (got {raw!r})"))
        else:
            values[flag] = parsed
    if problems:
        raise validation_error(problems)
    return values


def _invalid_object() -> EmulatedZoomError:
    return EmulatedZoomError(400, 300, "Request Body should be a valid JSON object.")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _member_list(payload: dict[str, Any], problems: list[tuple[str, str]], *, required: bool) -> tuple[str, list[Any]]:
    """The member array and the key it came in: ``group_members`` (documented) or ``members`` (accepted too).

    Both at once is ambiguous and refused (Zoom is silent; the stricter choice).
    """
    given = [key for key in ("group_members", "members") if key in payload]
    if len(given) > 1:
        problems.append(("group_members", "give group_members or members, not both"))
        return "group_members", []
    key = given[0] if given else "group_members"
    items = payload.get(key)
    if items is None and not required:
        return key, []
    if not isinstance(items, list) or (required and not items):
        problems.append((key, "is required: a list of {type, id} objects" if required else "must be a list"))
        return key, []
    return key, items


def _member_items(key: str, items: list[Any], problems: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """``[{type: 1|2, id: str}, ...]`` -> ``[(type, id)]``; every malformed entry is named by index."""
    members: list[tuple[int, str]] = []
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            problems.append((where, "must be an object {type, id}"))
            continue
        kind, member_id = item.get("type"), item.get("id")
        ok = True
        if not _is_int(kind) or kind not in MEMBER_TYPES:
            problems.append((f"{where}.type", f"must be 1 (user) or 2 (user group) (got {kind!r})"))
            ok = False
        if not isinstance(member_id, str) or not member_id.strip():
            detail = "is required" if member_id is None else "must be a non-empty string"
            problems.append((f"{where}.id", detail))
            ok = False
        if ok:
            members.append((kind, member_id.strip()))
    return members


def _check_member_limits(members: list[tuple[int, str]]) -> None:
    """4.2/4.7's documented texts; counted as sent (repeats included), the stricter reading."""
    if sum(1 for kind, _ in members if kind == 1) > MAX_USER_MEMBERS:
        raise EmulatedZoomError(400, 300, f"The maximum number of user member per request is {MAX_USER_MEMBERS}.")
    if sum(1 for kind, _ in members if kind == 2) > MAX_GROUP_MEMBERS:
        raise EmulatedZoomError(400, 300, f"The maximum number of group member per request is {MAX_GROUP_MEMBERS}.")


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _int_param(name: str, raw: str | None, default: int, maximum: int | None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error([(name, f"must be an integer (got {raw!r})")]) from None
    if value < 1 or (maximum is not None and value > maximum):
        bound = f"between 1 and {maximum}" if maximum is not None else "at least 1"
        raise validation_error([(name, f"must be {bound} (got {value})")])
    return value


def _seed_directory(
    seeds: Iterable[str | SeedUser],
    pending: set[str] | frozenset[str] = frozenset(),
    missing: set[str] | frozenset[str] = frozenset(),
) -> dict[str, User]:
    """The seeded users by id; raises ``ValueError`` for a malformed address (files skip those rows instead).

    ``missing`` addresses (casefolded) are left out; ``pending`` ones get status ``pending``.
    """
    users: dict[str, User] = {}
    for seed in seeds:
        seed = SeedUser(seed) if isinstance(seed, str) else seed
        email = seed.email.strip() if isinstance(seed.email, str) else ""
        if not is_email(email):
            raise ValueError(f"user {seed.email!r} is not a valid email address")
        if seed.status is not None and seed.status not in USER_STATUSES:
            raise ValueError(f"user {email!r}: status must be one of {', '.join(USER_STATUSES)}")
        if email.casefold() in missing:
            continue
        user = _new_user(replace(seed, email=email), pending=pending)
        users.setdefault(user.id, user)  # the first of duplicate rows wins
    return users


def _new_user(seed: SeedUser, source: str = "directory", pending: set[str] | frozenset[str] = frozenset()) -> User:
    """Names from the seed, else guessed from the mailbox (jane.doe@ -> Jane Doe), so listings look plausible."""
    parts = [part.capitalize() for part in _NAME_SPLIT.split(seed.email.split("@", 1)[0]) if part]
    first = seed.first_name if seed.first_name is not None else (parts[0] if parts else "")
    last = seed.last_name if seed.last_name is not None else " ".join(parts[1:])
    status = "pending" if seed.email.casefold() in pending else (seed.status or "active")
    return User(
        id=user_id_for(seed.email), email=seed.email, first_name=first, last_name=last, source=source, status=status
    )


def _no_such_user(field_name: str, who: object) -> dict[str, str]:
    # Zoom's wording for an unknown user (code 1001 of "Get a user"), as one entry of a 300 "Validation Failed."
    return {"field": field_name, "message": f"User does not exist: {who}."}


def _not_paid(account_id: str) -> EmulatedZoomError:
    """Swagger lists error code 200 "Only available for paid account:{accountId}." on six of the eight IM group
    operations (not on update or delete group), under a response key of 200 that is the error code, not the
    status. The status is 400, as Zoom documents the same code 200 for Contact Groups (see
    zoom-contact-groups.md 3.2). Where Swagger is silent (update, delete group) the emulator refuses too: a
    free account has no IM groups to change, and the stricter answer cannot hide a client bug.
    """
    return EmulatedZoomError(400, 200, f"Only available for paid account: {account_id}.")


def _rate_limit_error(exceeded: Exceeded) -> EmulatedZoomError:
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


def _server_error(status: int) -> EmulatedZoomError:
    messages = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return EmulatedZoomError(status, status, messages[status])
