"""The emulated Zoom account: one object that composes the resource models and serves them under one lock.

As in moto, each resource has its model (``oauth.py``, ``users.py``, ``im_groups.py``, ``contact_groups.py``),
what happens before a handler runs is ``admission.py`` (rate limits, daily caps) and ``faults.py``, and the
state file's (de)serialisation is ``persistence.py``. This module holds the configuration, wires the models
together and saves after each change; ``app.py`` only turns HTTP into calls of these methods and results or
:class:`~.errors.EmulatorError` back into HTTP. Every public method takes one lock, so uvicorn's event loop
and test threads can share an instance.

The names other code imports from here (constants, models, errors, :class:`PlanLimits`) are re-exported.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .admission import DAILY_MESSAGE, IM_GROUPS_MODES, PER_SECOND_MESSAGE, Admission, not_paid, rate_limit_error
from .contact_groups import (
    CONTACT_GROUP_NAMES_MODES,
    CONTACT_MAX_PAGE_SIZE,
    CONTACT_MEMBERS_KEYS,
    CONTACT_PAGE_SIZE,
    MAX_GROUP_MEMBERS,
    MAX_REMOVE_IDS,
    MAX_USER_MEMBERS,
    MEMBER_TYPES,
    PRIVACY_VALUES,
    ContactGroup,
    EmulatedContactGroups,
)
from .directory import SeedUser, split_emails
from .errors import DropConnection, EmulatedZoomError, OAuthError
from .faults import FaultConfig, Faults, server_error
from .ids import GroupIdSource, iso_z, user_id_for
from .im_groups import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SEARCH_FLAGS,
    GROUP_TYPES,
    MAX_MEMBERS_PER_ADD,
    MAX_NAME_LENGTH,
    MAX_PAGE_SIZE,
    EmulatedIMGroups,
    Group,
)
from .oauth import (
    ACCESS_TOKEN_TTL,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SCOPES,
    TOKEN_POLICIES,
    EmulatedOAuthApp,
)
from .paging import PAGE_TOKEN_TTL, PageCursors
from .persistence import load_account, save_account
from .ratelimit import LIMIT_KEYS, PLANS, Category, PlanLimits, RateLimiter
from .settings import MODE_DEFAULTS, check_config_change
from .users import USERS_MAX_PAGE_SIZE, USERS_PAGE_SIZE, EmulatedUsers, User

__all__ = [  # re-exported: importers of these names from zoom_emulator.backend keep working
    "ACCESS_TOKEN_TTL",
    "CONTACT_GROUP_NAMES_MODES",
    "CONTACT_MAX_PAGE_SIZE",
    "CONTACT_MEMBERS_KEYS",
    "CONTACT_PAGE_SIZE",
    "DAILY_MESSAGE",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_SEARCH_FLAGS",
    "GROUP_TYPES",
    "IM_GROUPS_MODES",
    "MAX_GROUP_MEMBERS",
    "MAX_MEMBERS_PER_ADD",
    "MAX_NAME_LENGTH",
    "MAX_PAGE_SIZE",
    "MAX_REMOVE_IDS",
    "MAX_USER_MEMBERS",
    "MEMBER_TYPES",
    "PAGE_TOKEN_TTL",
    "PER_SECOND_MESSAGE",
    "PRIVACY_VALUES",
    "SCOPES",
    "TOKEN_POLICIES",
    "USERS_MAX_PAGE_SIZE",
    "USERS_PAGE_SIZE",
    "ContactGroup",
    "DropConnection",
    "EmulatedZoomError",
    "FaultConfig",
    "Group",
    "OAuthError",
    "PlanLimits",
    "User",
    "ZoomBackend",
    "iso_z",
    "not_paid",
    "rate_limit_error",
    "server_error",
    "user_id_for",
]

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
    every well-formed address under those domains a user (see :meth:`.EmulatedUsers.lookup_email`).
    ``pending_users`` are users whose invitation is pending (status ``pending``) wherever they come from (seed
    or domain); ``missing_users`` are not users at all, even when a seed lists them or their domain is a user
    domain (until ``POST /_emulator/users`` adds them). Both take addresses or comma-separated strings of them.

    ``daily_reset_at`` (ISO-8601, UTC unless it says otherwise) is when the daily window in progress ends, and the
    next ones every 24 hours after; unset, at 00:00 UTC as at Zoom. ``heavy_rps``/``heavy_daily`` override the
    plan's Heavy limits. ``im_groups="gone"`` answers every IM group
    operation with Zoom's 410/4137. ``contact_group_names="unique"`` refuses a second contact group with the same
    (trimmed, case-insensitive) name with 409/4132; the default ``"duplicates"`` allows it, as Zoom documents no
    uniqueness. ``contact_members_key`` names the member array of "List contact group members": ``group_members``
    (default), ``members`` or ``both``. These three default to the state file's values, else to the defaults.

    ``POST /v2/users`` (see :meth:`.EmulatedUsers.create`): ``create_actions`` are the actions the account may use
    (default ``create``, which invites: the user is pending); ``foreign_users`` are users of another account
    (400/1009); ``user_seats`` caps the account's users (400/2034); ``user_create_daily`` overrides the plan's daily
    create cap. ``activate_after`` (seconds) has every pending user accept the invitation that long after becoming
    pending (``None``: only ``POST /_emulator/users/{email}/activate`` does it).
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
        user_create_daily: int | None = None,
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
        activate_after: float | None = None,
        user_seats: int | None = None,
        foreign_users: str | Iterable[str] | None = None,
        create_actions: Iterable[str] = ("create",),
        faults: FaultConfig | Mapping[str, Any] | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
    ):
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
            "user_create_daily": user_create_daily,
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
            "activate_after": activate_after,
            "user_seats": user_seats,
            "foreign_users": split_emails(foreign_users),
            "create_actions": list(create_actions),
            "faults": fault_dict,
        }
        self.oauth = EmulatedOAuthApp(
            client_id=client_id, client_secret=client_secret, account_id=account_id, clock=clock
        )
        self.faults = Faults(FaultConfig(), seed)
        self.admission = Admission(account_id=account_id, oauth=self.oauth, faults=self.faults, clock=clock)
        self._pages = PageCursors(clock)
        self._ids = GroupIdSource(seed)
        self.users = EmulatedUsers(
            account_id=account_id,
            users=users or (),
            user_domains=user_domains or (),
            pending_users=pending_users,
            missing_users=missing_users,
            pages=self._pages,
            clock=clock,
            im_group_ids=lambda user_id: self.im_groups.ids_with_member(user_id),
        )
        self.im_groups = EmulatedIMGroups(users=self.users, ids=self._ids, pages=self._pages, clock=clock)
        self.contact_groups = EmulatedContactGroups(users=self.users, ids=self._ids, pages=self._pages, clock=clock)
        self._reset_counters()
        saved = self._load(self.state_file) if self.state_file is not None else {}
        # Explicit settings win over the state file's, which win over the defaults.
        for key, value in (
            ("im_groups", im_groups),
            ("contact_group_names", contact_group_names),
            ("contact_members_key", contact_members_key),
        ):
            self._initial_config[key] = value if value is not None else saved.get(key, MODE_DEFAULTS[key])
        try:
            self.update_config(self._initial_config)
        except EmulatedZoomError as exc:
            raise ValueError("; ".join(error["message"] for error in exc.errors or ())) from None

    @property
    def client_id(self) -> str:
        return self.oauth.client_id

    @property
    def client_secret(self) -> str:
        return self.oauth.client_secret

    # -- configuration -------------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The live configuration (never the client secret)."""
        with self._lock:
            limiter = self.admission.limiter
            return {
                "account_id": self.account_id,
                "client_id": self.client_id,
                "plan": self.admission.plan,
                **{key: getattr(limiter.limits, key) for key in LIMIT_KEYS},
                "daily_reset_at": iso_z(limiter.day_anchor) if limiter.day_anchor else None,
                "daily_window_s": limiter.day_length,
                "token_policy": self.oauth.policy,
                "token_ttl": self.oauth.ttl,
                "app_disabled": self.oauth.disabled,
                "paid_account": self.admission.paid_account,
                "im_groups": self.admission.im_groups,
                "contact_group_names": self.contact_groups.names,
                "contact_members_key": self.contact_groups.members_key,
                "user_domains": list(self.users.domains),
                "pending_users": sorted(self.users.pending),
                "missing_users": sorted(self.users.missing),
                "activate_after": self.users.activate_after,
                "user_seats": self.users.seats,
                "foreign_users": sorted(self.users.foreign),
                "create_actions": list(self.users.create_actions),
                "faults": self.faults.config.to_dict(),
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
        checked = check_config_change(changes, plan=self.admission.plan, token_ttl=self.oauth.ttl, now=self._clock())
        plan, ttl, window, daily_reset = checked.plan, checked.token_ttl, checked.daily_window_s, checked.daily_reset
        fault_config = checked.faults

        with self._lock:
            admission = self.admission
            limit_changes = {key: changes[key] for key in LIMIT_KEYS if key in changes}
            if "plan" in changes or limit_changes:
                base = PLANS[plan] if "plan" in changes else admission.limiter.limits
                admission.plan = plan
                admission.limiter = RateLimiter(
                    base.with_overrides(**limit_changes),
                    daily_reset_at=admission.day_anchor(),
                    day_length=admission.limiter.day_length,
                )
            if "daily_window_s" in changes:  # a test's short "day": restarts the windows
                admission.limiter = RateLimiter(
                    admission.limiter.limits, daily_reset_at=admission.day_anchor(), day_length=window
                )
            if daily_reset is not None:
                admission.limiter.move_daily_reset(daily_reset[0], self._clock())
            self.oauth.policy = changes.get("token_policy", self.oauth.policy)
            self.oauth.ttl = ttl
            self.oauth.disabled = changes.get("app_disabled", self.oauth.disabled)
            admission.paid_account = changes.get("paid_account", admission.paid_account)
            users = self.users
            users.activate_after = changes.get("activate_after", users.activate_after)
            users.seats = changes.get("user_seats", users.seats)
            if "foreign_users" in changes:
                users.foreign = {email.strip().casefold() for email in changes["foreign_users"] or ()}
            if "create_actions" in changes:
                users.create_actions = tuple(changes["create_actions"])
            before = self._saved_config()
            admission.im_groups = changes.get("im_groups", admission.im_groups)
            self.contact_groups.names = changes.get("contact_group_names", self.contact_groups.names)
            self.contact_groups.members_key = changes.get("contact_members_key", self.contact_groups.members_key)
            if before != self._saved_config():
                self._save()
            if fault_config is not None:
                self.faults.reconfigure(fault_config)
            return self.config()

    def _saved_config(self) -> dict[str, str]:
        """The settings a state file carries."""
        return {
            "im_groups": self.admission.im_groups,
            "contact_group_names": self.contact_groups.names,
            "contact_members_key": self.contact_groups.members_key,
        }

    # -- inspection ----------------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything a test may want to assert on; deliberately contains no secret and no token."""
        with self._lock:
            self._activate_due()
            users = self.users.by_id
            groups = [
                {
                    **group.summary(),
                    "created_at": iso_z(group.created_at),
                    "members": [{"id": uid, "email": users[uid].email} for uid in group.members],
                }
                for group in self.im_groups.by_id.values()
            ]
            contact_groups = [
                {
                    **group.detail(),
                    "created_at": iso_z(group.created_at),
                    "members": [
                        {"type": kind, "id": uid, "email": users[uid].email if uid in users else None}
                        for uid, kind in group.members.items()
                    ],
                }
                for group in self.contact_groups.by_id.values()
            ]
            return {
                "account_id": self.account_id,
                "groups": groups,
                "contact_groups": contact_groups,
                "users": [{**user.as_member(), "status": user.status} for user in users.values()],
                "config": self.config(),
                "counters": {
                    "requests": {route: dict(statuses) for route, statuses in self._requests.items()},
                    "api_requests": self.faults.injector.api_requests,
                    "tokens_issued": self.oauth.issued,
                    "active_tokens": self.oauth.active_tokens(),
                    "rate_limited": self.admission.rate_limited,
                    "invitations_sent": self.users.invitations_sent,
                    "faults": dict(self.faults.counts),
                },
            }

    def reset(self, *, keep_config: bool = True) -> None:
        """Empty the account and counters; the fault RNG and id RNG restart from their seeds.

        The user directory is kept (domain users are forgotten until named again); ``keep_config=False``
        returns it, like the config, to what the account started with: the seeded users, not those added
        by :meth:`add_users` since.
        """
        with self._lock:
            self.im_groups.clear()
            self.contact_groups.clear()
            self.users.reset(keep_config=keep_config)
            self.oauth.invalidate()
            self._pages.clear()
            self._ids.restart()
            self._reset_counters()
            if keep_config:
                self.faults.restart()
                limiter = self.admission.limiter
                self.admission.limiter = RateLimiter(
                    limiter.limits, daily_reset_at=self.admission.day_anchor(), day_length=limiter.day_length
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
        self.oauth.issued = 0
        self.admission.rate_limited = 0
        self.users.invitations_sent = 0
        self.faults.reset_counts()

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
        with self._lock:
            self.oauth.check_credentials(client_id, client_secret, grant_type, account_id)
            if self.faults.config.faults_on_oauth:
                self.faults.raise_transport(self.faults.injector.draw(allow_429=False))
            return self.oauth.issue(api_url)

    def invalidate_tokens(self) -> int:
        with self._lock:
            return self.oauth.invalidate()

    # -- admission: what happens to every /v2 request before its handler -------------------------------

    def latency_seconds(self, *, oauth: bool = False) -> float:
        """Injected delay for the next request (the HTTP layer sleeps without blocking the loop)."""
        with self._lock:
            return self.faults.latency_seconds(oauth=oauth)

    def admit(self, category: Category, authorization: str | None, api: str = "im") -> None:
        """Token invalidation schedule, bearer check, retired API, rate limits, paid plan and injected faults
        (see :meth:`.Admission.admit`)."""
        with self._lock:
            self._activate_due()
            self.admission.admit(category, authorization, api)

    # -- IM groups -----------------------------------------------------------------------------------

    def list_groups(self) -> dict[str, Any]:
        with self._lock:
            return self.im_groups.list_all()

    def create_group(self, fields: Mapping[str, Any], *, form: bool = False) -> dict[str, Any]:
        with self._lock:
            group = self.im_groups.create(fields, self._group_id_taken, form=form)
            self._save()
            self.faults.after_commit()
            return group

    def get_group(self, group_id: str) -> dict[str, Any]:
        with self._lock:
            return self.im_groups.get(group_id)

    def update_group(self, group_id: str, fields: Mapping[str, Any], *, form: bool = False) -> None:
        with self._lock:
            self.im_groups.update(group_id, fields, form=form)
            self._save()

    def delete_group(self, group_id: str) -> None:
        with self._lock:
            self.im_groups.delete(group_id)
            self._save()

    def list_members(
        self,
        group_id: str,
        page_size: str | None = None,
        page_number: str | None = None,
        next_page_token: str | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            return self.im_groups.list_members(group_id, page_size, page_number, next_page_token)

    def add_members(self, group_id: str, payload: Any) -> dict[str, Any]:
        with self._lock:
            result = self.im_groups.add_members(group_id, payload)
            self._save()
            return result

    def remove_member(self, group_id: str, member_id: str) -> None:
        with self._lock:
            self.im_groups.remove_member(group_id, member_id)
            self._save()

    # -- Contact Groups (zoom-contact-groups.md 4) -----------------------------------------------------

    def list_contact_groups(self, page_size: str | None = None, next_page_token: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self.contact_groups.list_all(page_size, next_page_token)

    def create_contact_group(self, payload: Any) -> dict[str, Any]:
        with self._lock:
            group = self.contact_groups.create(payload, self._group_id_taken)
            self._save()
            self.faults.after_commit()
            return group

    def get_contact_group(self, group_id: str) -> dict[str, Any]:
        with self._lock:
            return self.contact_groups.get(group_id)

    def update_contact_group(self, group_id: str, payload: Any) -> None:
        with self._lock:
            self.contact_groups.update(group_id, payload)
            self._save()

    def delete_contact_group(self, group_id: str) -> None:
        with self._lock:
            self.contact_groups.delete(group_id)
            self._save()

    def list_contact_group_members(
        self, group_id: str, page_size: str | None = None, next_page_token: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            return self.contact_groups.list_members(group_id, page_size, next_page_token)

    def add_contact_group_members(self, group_id: str, payload: Any) -> dict[str, Any]:
        with self._lock:
            result = self.contact_groups.add_members(group_id, payload)
            self._save()
            return result

    def remove_contact_group_members(self, group_id: str, member_ids: str | None) -> None:
        with self._lock:
            self.contact_groups.remove_members(group_id, member_ids)
            self._save()

    # -- Users (zoom-contact-groups.md 5) ----------------------------------------------------------------

    def get_user(self, user_id: str) -> dict[str, Any]:
        with self._lock:
            return self.users.get(user_id)

    def list_users(
        self,
        status: str | None = None,
        page_size: str | None = None,
        page_number: str | None = None,
        next_page_token: str | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            return self.users.list_all(status, page_size, page_number, next_page_token)

    def create_user(self, payload: Any) -> dict[str, Any]:
        """``POST /v2/users`` (see :meth:`.EmulatedUsers.create`). Every request with ``action: create`` counts
        against the daily create cap, whatever its outcome: Zoom does not say which ones count, and counting all
        is the stricter choice."""
        with self._lock:
            if isinstance(payload, dict) and payload.get("action") == "create":
                exceeded = self.admission.limiter.acquire_user_create("Light", self._clock())
                if exceeded is not None:
                    self.admission.rate_limited += 1
                    raise rate_limit_error(exceeded)
            user = self.users.create(payload)
            self._save()
            return user

    def activate_user(self, email: str) -> dict[str, Any]:
        """``POST /_emulator/users/{email}/activate``: the person accepts Zoom's invitation now."""
        with self._lock:
            user = self.users.activate(email)
            self._save()
            return user

    def add_users(self, emails: Any, status: Any = None, missing: Any = None) -> dict[str, Any]:
        """``POST /_emulator/users`` (see :meth:`.EmulatedUsers.add`); users made missing leave every group."""
        with self._lock:
            result, gone = self.users.add(emails, status, missing)
            for user_id in gone:
                self.im_groups.forget_user(user_id)
                self.contact_groups.forget_user(user_id)
            self._save()
            return result

    # -- internals -----------------------------------------------------------------------------------

    def _activate_due(self) -> None:
        """Pending users whose ``activate_after`` delay has run out become active (checked on each request)."""
        if self.users.activate_due():
            self._save()

    def _group_id_taken(self, group_id: str) -> bool:
        return group_id in self.im_groups.by_id or group_id in self.contact_groups.by_id

    def _save(self) -> None:
        if self.state_file is None:
            return
        save_account(
            self.state_file,
            account_id=self.account_id,
            users=self.users.by_id.values(),
            groups=self.im_groups.by_id.values(),
            contact_groups=self.contact_groups.by_id.values(),
            config=self._saved_config(),
        )

    def _load(self, path: Path) -> dict[str, Any]:
        """The account in ``path``, on top of the seeded directory; returns the file's saved settings."""
        saved = load_account(path)
        if saved is None:
            return {}
        self.users.restore(saved.users)
        for group in saved.groups:
            self.im_groups.restore(group)
        for contact_group in saved.contact_groups:
            self.contact_groups.restore(contact_group)
        return saved.config

