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
from .errors import user_not_found, validation_error
from .ids import iso_z, user_id_for
from .paging import PageCursors, int_params

# Users (5.2): page_size default 30; the 2025 spec's maximum is 2000 (the 2023 one said 300).
USERS_PAGE_SIZE, USERS_MAX_PAGE_SIZE = 30, 2000
_NAME_SPLIT = re.compile(r"[._\-+]+")


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

    def reset(self, *, keep_config: bool) -> None:
        """Keep the directory (domain users are forgotten until named again), or return to the seeded one."""
        if keep_config:
            self.by_id = {uid: user for uid, user in self.by_id.items() if user.source == "directory"}
        else:
            self.by_id = {uid: replace(user) for uid, user in self._initial.items()}
            self.missing = set(self._initial_missing)

    def restore(self, users: Iterable[User]) -> None:
        """Users read from a state file, on top of the seeded directory."""
        for user in users:
            if user.source == "domain" and email_domain(user.email) not in self.domains:
                user.source = "directory"  # its domain is no longer given: the file is all that vouches for it
            self.by_id[user.id] = user

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
        self.by_id.setdefault(user.id, user)

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
            users.append({**user.as_member(), "status": user.status})
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
