"""The account's user directory as the emulator is seeded with it: email rules and the ``--users`` file reader.

Real Zoom only lets existing users of the account join an IM group, so the emulator must be told who they are:
by ``--users FILE`` (one address per line, or a CSV with an ``email`` column such as the HR extract itself),
by the admin endpoint ``POST /_emulator/users``, or by ``--user-domain`` (see :func:`normalize_domain`).

Every user has a ``status`` as Zoom's user object does (zoom-contact-groups.md 5.1): ``active``, ``pending``
(invited, has not accepted yet) or ``inactive`` (deactivated). A CSV may carry it in a ``status`` column;
``--pending-users`` and ``--missing-users`` (see :func:`split_emails`) adjust a seed such as an HR extract.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_DOMAIN = re.compile(r"^[^@\s]+\.[^@\s.]+$")
USER_STATUSES = ("active", "pending", "inactive")


class UsersFileError(ValueError):
    """A ``--users`` file that cannot be used; the message names the file and says why, on one line."""


@dataclass(frozen=True)
class SeedUser:
    email: str
    first_name: str | None = None  # None: guessed from the mailbox (jane.doe@ -> Jane Doe)
    last_name: str | None = None
    status: str | None = None  # None: active


def split_emails(values: str | Iterable[str] | None) -> list[str]:
    """``"a@x.org, b@x.org"`` or a list of such strings -> the addresses; raises ``ValueError`` for a bad one."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    emails: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"user {item!r} is not a valid email address")
        for part in item.split(","):
            email = part.strip()
            if not email:
                continue
            if not is_email(email):
                raise ValueError(f"user {email!r} is not a valid email address")
            emails.append(email)
    return emails


def is_email(text: str) -> bool:
    return bool(EMAIL.match(text))


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].casefold()


def normalize_domain(domain: str) -> str:
    """``Example.COM`` or ``@example.com`` -> ``example.com``; raises ``ValueError`` for anything else."""
    cleaned = domain.strip().removeprefix("@").casefold() if isinstance(domain, str) else ""
    if not _DOMAIN.match(cleaned):
        raise ValueError(f"user domain {domain!r} is not a domain name such as example.com")
    return cleaned


def read_users_file(path: str | os.PathLike[str]) -> tuple[list[SeedUser], list[int]]:
    """The users a ``--users`` file lists, and the line numbers of the rows skipped for a malformed address.

    A first row with a cell ``email`` (any case) makes it a CSV with a header: the ``email`` column seeds, and
    ``first_name``/``last_name`` columns, when present, name the users, and a ``status`` column (``active``,
    ``pending`` or ``inactive``, any case; empty means active) gives their status. Otherwise every non-empty line that
    does not start with ``#`` is one address. Raises :class:`UsersFileError` when the file cannot be read,
    is a CSV without an ``email`` column, or lists no valid address at all (most likely the wrong file).
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise UsersFileError(f"users file {path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsersFileError(f"users file {path}: not UTF-8 text (byte {exc.start})") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise UsersFileError(f"users file {path}: not a readable CSV: {exc}") from None
    header = [cell.strip().casefold() for cell in rows[0]] if rows else []
    users: list[SeedUser] = []
    skipped: list[int] = []
    if "email" in header:
        email_at = header.index("email")
        first_at = header.index("first_name") if "first_name" in header else None
        last_at = header.index("last_name") if "last_name" in header else None
        status_at = header.index("status") if "status" in header else None
        for line, row in _data_rows(text):
            email = row[email_at].strip() if email_at < len(row) else ""
            if not any(cell.strip() for cell in row):
                continue
            status = (_cell(row, status_at) or "active").casefold()
            if not is_email(email) or status not in USER_STATUSES:
                skipped.append(line)
                continue
            users.append(SeedUser(email, _cell(row, first_at), _cell(row, last_at), status))
    elif any(len(row) > 1 for row in rows):
        columns = ", ".join(cell.strip() for cell in rows[0])
        raise UsersFileError(f"users file {path}: a CSV needs an 'email' column (its header is: {columns})")
    else:
        for line, raw in enumerate(text.splitlines(), start=1):
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            if is_email(entry):
                users.append(SeedUser(entry))
            else:
                skipped.append(line)
    if not users:
        raise UsersFileError(f"users file {path}: no valid email address in it")
    return users, skipped


def _data_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """The rows after the header, each with the line it starts on (header = line 1; quoted newlines count)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for index, row in enumerate(reader):
        if index:
            yield start, row
        start = reader.line_num + 1


def _cell(row: list[str], index: int | None) -> str | None:
    if index is None or index >= len(row):
        return None
    return row[index].strip() or None
