"""The account's users (zoom-contact-groups.md 5): the directory, lookups by id or e-mail, and the user object.

Only users of the account can join a group, as at Zoom. The directory starts from seeded addresses, grows
through ``POST /_emulator/users`` and, under a ``--user-domain``, by every well-formed address a request names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from .directory import USER_STATUSES, SeedUser, email_domain, is_email, normalize_domain, split_emails
from .errors import EmulatedZoomError, invalid_body, user_not_found, validation_error
from .ids import iso_z, user_id_for
from .paging import PageCursors, int_params

# Users (5.2): page_size default 30; the 2025 spec's maximum is 2000 (the 2023 one said 300).
USERS_PAGE_SIZE, USERS_MAX_PAGE_SIZE = 30, 2000
_NAME_SPLIT = re.compile(r"[._\-+]+")
# POST /v2/users (zoom-users.md 1)
CREATE_ACTIONS = ("create", "autoCreate", "custCreate", "ssoCreate")
USER_TYPES = (1, 2, 4)  # Basic, Licensed, Unassigned
MAX_EMAIL_LENGTH = 128


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


class EmulatedUsers:
    """The user directory; not thread-safe (the backend locks around it).

    ``pending`` addresses get status ``pending`` wherever they come from (seed or domain); ``missing`` ones are
    not users at all, even when a seed lists them or their domain is a user domain, until
    :meth:`add` names them again. ``im_group_ids`` tells which IM groups a user is in (for the user object).
    """

    def __init__(
        self,
        *,
        account_id: str,
        users: Iterable[str | SeedUser],
        user_domains: Iterable[str],
        pending_users: str | Iterable[str] | None,
        missing_users: str | Iterable[str] | None,
        pages: PageCursors,
        clock: Callable[[], float],
        im_group_ids: Callable[[str], list[str]],
    ):
        self.account_id = account_id
        self.domains = tuple(dict.fromkeys(normalize_domain(domain) for domain in user_domains))
        self.pending = {email.casefold() for email in split_emails(pending_users)}
        self._initial_missing = frozenset(email.casefold() for email in split_emails(missing_users))
        self.missing = set(self._initial_missing)
        self._initial = seed_directory(users, self.pending, self._initial_missing)
        self.by_id: dict[str, User] = {uid: replace(user) for uid, user in self._initial.items()}
        self._pages = pages
        self._clock = clock
        self._started_at = clock()
        self._im_group_ids = im_group_ids
        #: When each pending user became pending; ``activate_after`` seconds later they accept the invitation.
        self.pending_since: dict[str, float] = {}
        self.activate_after: float | None = None
        #: Addresses that hold a user of another Zoom account: creating them is 400/1009.
        self.foreign: set[str] = set()
        #: The most users (any status) the account may hold; ``None``: no limit.
        self.seats: int | None = None
        #: The ``POST /v2/users`` actions this account may use; the others need features it lacks.
        self.create_actions: tuple[str, ...] = ("create",)
        self.invitations_sent = 0
        self._note_pending()

    def reset(self, *, keep_config: bool) -> None:
        """Keep the directory (domain users are forgotten until named again), or return to the seeded one."""
        if keep_config:
            self.by_id = {uid: user for uid, user in self.by_id.items() if user.source == "directory"}
        else:
            self.by_id = {uid: replace(user) for uid, user in self._initial.items()}
            self.missing = set(self._initial_missing)
        self.pending_since.clear()
        self._note_pending()

    def restore(self, users: Iterable[User]) -> None:
        """Users read from a state file, on top of the seeded directory."""
        for user in users:
            if user.source == "domain" and email_domain(user.email) not in self.domains:
                user.source = "directory"  # its domain is no longer given: the file is all that vouches for it
            self.by_id[user.id] = user
        self._note_pending()

    def lookup_email(self, email: str) -> User | None:
        """The account's user with this address (case-insensitively, as the user lookup reference advises).

        Under a ``user_domains`` domain every well-formed address is a user, created here on first use. Real
        Zoom has no such thing: it is a convenience for synthetic load tests (bench, e2e, the test suite) whose
        thousands of generated addresses would otherwise all have to be seeded. Such a user's id is only known
        once an email has named it (ids are derived from the address and cannot be reversed).
        """
        user = self.by_id.get(user_id_for(email))
        if user is None and email_domain(email) in self.domains and email.casefold() not in self.missing:
            user = new_user(SeedUser(email), source="domain", pending=self.pending)
        return user

    def remember(self, user: User) -> None:
        """A domain user joins the directory when a request first names it."""
        if user.id not in self.by_id:
            self.by_id[user.id] = user
            self._track(user)

    def _track(self, user: User) -> None:
        """Start or stop one user's invitation clock after a change of their status (cheap: one user)."""
        if user.status == "pending":
            self.pending_since.setdefault(user.id, self._clock())
        else:
            self.pending_since.pop(user.id, None)

    def _note_pending(self) -> None:
        """Start the invitation clock of every pending user that has none (and stop it for the others)."""
        now = self._clock()
        for user in self.by_id.values():
            if user.status == "pending":
                self.pending_since.setdefault(user.id, now)
        for user_id in list(self.pending_since):
            known = self.by_id.get(user_id)
            if known is None or known.status != "pending":
                del self.pending_since[user_id]

    def activate_due(self) -> int:
        """Pending users whose invitation has been open ``activate_after`` seconds accept it; returns how many."""
        if self.activate_after is None or not self.pending_since:
            return 0
        now = self._clock()
        due = [uid for uid, since in self.pending_since.items() if now - since >= self.activate_after]
        for user_id in due:
            user = self.by_id.get(user_id)
            if user is not None and user.status == "pending":
                user.status = "active"
            del self.pending_since[user_id]
        return len(due)

    def activate(self, email: str) -> dict[str, Any]:
        """``POST /_emulator/users/{email}/activate``: the person accepts the invitation (any status -> active)."""
        user = self.lookup_email(email.strip()) if is_email(email.strip()) else self.by_id.get(email)
        if user is None:
            raise user_not_found(email)
        self.remember(user)
        user.status = "active"
        self._track(user)
        return {**user.as_member(), "status": user.status}

    def create(self, payload: Any) -> dict[str, Any]:
        """``POST /v2/users`` (zoom-users.md 1): all of the body is checked first, every problem named by its field.

        ``create`` sends Zoom's invitation e-mail: the user is ``pending`` until they accept it. ``autoCreate``,
        ``custCreate`` and ``ssoCreate`` make an active user, but only on accounts with the feature each needs
        (``create_actions``). Then the documented refusals: 409/1005 a user of this account already (active or
        pending), 400/1009 a user of another account, 400/2034 no seat left.
        """
        if not isinstance(payload, dict):
            raise invalid_body()
        problems: list[tuple[str, str]] = []
        action = payload.get("action")
        if action not in CREATE_ACTIONS:
            got = "is required" if action is None else f"must be one of {', '.join(CREATE_ACTIONS)} (got {action!r})"
            problems.append(("action", got))
        info = payload.get("user_info")
        email: Any = None
        user_type: Any = None
        if not isinstance(info, dict):
            problems.append(("user_info", "is required: an object with email and type"))
            info = {}
        else:
            email = info.get("email")
            if not isinstance(email, str) or not email.strip():
                problems.append(("user_info.email", "is required" if email is None else "must be a non-empty string"))
            elif len(email) > MAX_EMAIL_LENGTH:
                problems.append(("user_info.email", f"must be at most {MAX_EMAIL_LENGTH} characters"))
            elif not is_email(email.strip()):
                problems.append(("user_info.email", "must be a valid email address"))
            user_type = info.get("type")
            if isinstance(user_type, bool) or user_type not in USER_TYPES:
                detail = "is required" if user_type is None else f"must be 1, 2 or 4 (got {user_type!r})"
                problems.append(("user_info.type", f"{detail}: 1 Basic, 2 Licensed, 4 Unassigned"))
            for key in ("first_name", "last_name", "display_name", "password"):
                if key in info and not isinstance(info[key], str):
                    problems.append((f"user_info.{key}", "must be a string"))
            if "password" in info and action != "autoCreate":
                # Zoom documents password for autoCreate only; silent on the others: refusing is the stricter choice.
                problems.append(("user_info.password", "is only taken with action autoCreate"))
        if problems:
            raise validation_error(problems)
        if action not in self.create_actions:
            if action == "ssoCreate":
                raise EmulatedZoomError(400, 2002, "SSO is not enabled for this account: ssoCreate needs SSO.")
            # Zoom documents no code for these: 300 naming the field, the validation shape a client handles anyway.
            needs = {"autoCreate": "an Enterprise account with a managed domain", "custCreate": "Zoom's ISV program"}
            raise validation_error([("action", f"{action} needs {needs.get(str(action), 'a feature')}, not enabled")])
        email = email.strip()
        existing = self.lookup_email(email)
        if existing is not None:
            raise EmulatedZoomError(409, 1005, f'Email "{email}" has already been used.')
        if email.casefold() in self.foreign:
            raise EmulatedZoomError(400, 1009, f"The email {email} is already associated with another account.")
        if self.seats is not None and len(self.by_id) >= self.seats:
            raise EmulatedZoomError(400, 2034, "Your account has reached the maximum number of users: no seat left.")
        seed = SeedUser(email, first_name=info.get("first_name"), last_name=info.get("last_name"))
        user = new_user(seed)
        user.type = user_type
        user.status = "pending" if action == "create" else "active"
        self.missing.discard(email.casefold())
        self.by_id[user.id] = user
        self._track(user)
        if action == "create":
            self.invitations_sent += 1
        return user.as_member()

    def get(self, user_id: str) -> dict[str, Any]:
        """5.1: by id or e-mail (case-insensitively); ``me`` names no user for an account-level token."""
        user = self.by_id.get(user_id)
        if user is None and is_email(user_id.strip()):
            user = self.lookup_email(user_id.strip())
            if user is not None:
                self.remember(user)
        if user is None:
            raise user_not_found(user_id)
        return self.user_object(user, listing=False)

    def list_all(
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
        size, number = int_params(
            ("page_size", page_size, USERS_PAGE_SIZE, USERS_MAX_PAGE_SIZE), ("page_number", page_number, 1, None)
        )
        users = [user for user in self.by_id.values() if user.status == wanted]
        offset = 0 if next_page_token else (number - 1) * size
        items, token, offset = self._pages.page(users, size, f"users:{wanted}", next_page_token, offset)
        return {
            "next_page_token": token,
            "page_count": math.ceil(len(users) / size),
            "page_number": offset // size + 1,
            "page_size": size,
            "total_records": len(users),
            "users": [self.user_object(user, listing=True) for user in items],
        }

    def user_object(self, user: User, *, listing: bool) -> dict[str, Any]:
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
            "im_group_ids": self._im_group_ids(user.id),
            "verified": 1 if user.status == "active" else 0,
            "created_at": created,
            "user_created_at": created,
        }
        if listing and user.status == "pending":
            del body["id"]  # 5.2: "id is not returned for pending users"
        return body

    def add(self, emails: Any, status: Any = None, missing: Any = None) -> tuple[dict[str, Any], list[str]]:
        """``POST /_emulator/users``: make these addresses users of the account (all or nothing).

        ``status`` (``active``, ``pending`` or ``inactive``) is given to every one of them, new or existing
        (so a pending user can be made active, as when the hire accepts the invitation); without it new users
        are active (or pending when ``pending_users`` names them) and existing ones keep theirs. ``missing``
        addresses stop being users (as ``missing_users`` at start-up): they leave the directory, and a user
        domain no longer vouches for them, until ``emails`` names them again. Give ``emails``, ``missing`` or
        both. Returns the reply and the ids of users who left (the caller takes them out of every group).
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
        gone: list[str] = []
        for email in missing or ():
            self.missing.add(email.strip().casefold())
            user = self.by_id.pop(user_id_for(email), None)
            if user is not None:
                gone.append(user.id)
        emails = emails or []
        for email in emails:
            self.missing.discard(email.strip().casefold())
        users = []
        for email in emails:
            user = self.by_id.get(user_id_for(email))
            if user is None:
                user = self.by_id[user_id_for(email)] = new_user(SeedUser(email.strip()), pending=self.pending)
            user.source = "directory"  # a domain user named here stays across resets too
            if status is not None:
                user.status = status
            self._track(user)
            users.append({**user.as_member(), "status": user.status})
        for user_id in gone:
            self.pending_since.pop(user_id, None)
        return {"users": users}, gone


def seed_directory(
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
        user = new_user(replace(seed, email=email), pending=pending)
        users.setdefault(user.id, user)  # the first of duplicate rows wins
    return users


def new_user(seed: SeedUser, source: str = "directory", pending: set[str] | frozenset[str] = frozenset()) -> User:
    """Names from the seed, else guessed from the mailbox (jane.doe@ -> Jane Doe), so listings look plausible."""
    parts = [part.capitalize() for part in _NAME_SPLIT.split(seed.email.split("@", 1)[0]) if part]
    first = seed.first_name if seed.first_name is not None else (parts[0] if parts else "")
    last = seed.last_name if seed.last_name is not None else " ".join(parts[1:])
    status = "pending" if seed.email.casefold() in pending else (seed.status or "active")
    return User(
        id=user_id_for(seed.email), email=seed.email, first_name=first, last_name=last, source=source, status=status
    )
