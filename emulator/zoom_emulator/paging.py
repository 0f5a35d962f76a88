"""Paged listings: Zoom's ``next_page_token`` cursors (15 minutes, tied to one listing) and page parameters."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import EmulatedZoomError, validation_error

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
PAGE_TOKEN_TTL = 15 * 60  # Swagger: "The expiration period for this token is 15 minutes."


@dataclass(frozen=True)
class PageCursor:
    listing: str
    offset: int
    expires_at: float


class PageCursors:
    """The live page tokens of the account; not thread-safe (the backend locks around it)."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._cursors: dict[str, PageCursor] = {}

    def clear(self) -> None:
        self._cursors.clear()

    def page(
        self, items: list[Any], size: int, listing: str, token: str | None, offset: int = 0
    ) -> tuple[list[Any], str, int]:
        """One page of ``items`` from ``offset`` (or the token's), the token for the next ("" at the end) and the
        offset used; a token is tied to its listing."""
        now = self._clock()
        if token:
            cursor = self._cursors.get(token)
            if cursor is None or cursor.listing != listing or cursor.expires_at <= now:
                # Contact Groups 3.3: not documented; the safe assumption is 400/300 naming the token.
                raise validation_error([("next_page_token", "is invalid or has expired")])
            offset = cursor.offset
        following = ""
        if offset + size < len(items):
            following = self._new(PageCursor(listing, offset + size, now + PAGE_TOKEN_TTL), now)
        return items[offset : offset + size], following, offset

    def _new(self, cursor: PageCursor, now: float) -> str:
        if len(self._cursors) > 1024:
            self._cursors = {t: c for t, c in self._cursors.items() if c.expires_at > now}
        token = secrets.token_urlsafe(24)
        self._cursors[token] = cursor
        return token


def int_params(*specs: tuple[str, str | None, int, int | None]) -> list[int]:
    """Several :func:`int_param` at once, ``(name, raw, default, maximum)`` each; one 400/300 names every bad one."""
    values: list[int] = []
    problems: list[dict[str, str]] = []
    for spec in specs:
        try:
            values.append(int_param(*spec))
        except EmulatedZoomError as exc:
            problems += exc.errors or []
    if problems:
        raise EmulatedZoomError(400, 300, "Validation Failed.", errors=problems)
    return values


def int_param(name: str, raw: str | None, default: int, maximum: int | None) -> int:
    """A query parameter that must be a whole number from 1 (to ``maximum``); absent: ``default``.

    Present but empty (``?page_number=``) is not an integer, so it is refused like any other non-integer: Swagger
    types these parameters ``integer`` and Zoom is silent on empty values, so the stricter reading.
    """
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):  # int() would also take " 5", "5_000" and non-ASCII digits
        raise validation_error([(name, f"must be an integer (got {raw!r})")])
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        bound = f"between 1 and {maximum}" if maximum is not None else "at least 1"
        raise validation_error([(name, f"must be {bound} (got {value})")])
    return value
