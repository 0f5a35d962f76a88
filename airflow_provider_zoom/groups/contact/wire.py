"""The Contact Groups wire client (``/v2/contacts/groups``): Zoom's eight operations, as documented.

Sizes are Zoom's documented ones: pages of 50, at most 50 users (and 3 user groups) per create or add, at
most 20 IDs per remove, and a group never loses its last member. Every call goes through a ``Requester``
(the hook's request path: pacing, token renewal, retries, redaction, Zoom's error parsing). Nothing here
knows about names being unique (``one_per_name``) or about people's e-mail addresses (``users``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow_provider_zoom._transport.pagination import paginate
from airflow_provider_zoom._transport.retries import created_object, outcome_unknown
from airflow_provider_zoom._values import as_int
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomInvalidInput, ZoomReplyError
from airflow_provider_zoom.groups._member_errors import rejected_members

if TYPE_CHECKING:
    from airflow_provider_zoom._transport.requester import Requester

GROUPS_PATH = "contacts/groups"
PAGE_SIZE = 50  # documented maximum page_size of both listings
MAX_USERS_PER_REQUEST = 50  # create and add members
MAX_USER_GROUPS_PER_REQUEST = 3  # create and add members, type 2
MAX_IDS_PER_REMOVE = 20
MEMBER_USER, MEMBER_USER_GROUP = 1, 2
PRIVACIES = (1, 2, 3)  # 1 visible to everyone, 2 to members, 3 to nobody but members (Zoom's group_privacy)
DEFAULT_PRIVACY = 2
IM_GROUPS_GONE = 4137
VALIDATION = 300
_CREATED = functools.partial(created_object, id_key="group_id")


def is_im_groups_gone(exc: BaseException) -> bool:
    """Zoom's answer to every ``/v2/im/groups`` call on accounts without IM Groups: 410, code 4137."""
    return isinstance(exc, ZoomAPIError) and exc.status_code == 410 and as_int(exc.code) == IM_GROUPS_GONE


def contact_group_gone(exc: BaseException) -> bool:
    """An unknown contact group: documented as 400 / code 300 "A group with this groupId: ... does not exist."

    A 404 is taken to mean the same (the live status is not verifiable; the reference says handle both).
    """
    if not isinstance(exc, ZoomAPIError) or isinstance(exc, ZoomReplyError):
        return False
    if exc.status_code == 404:
        return True
    message = (exc.zoom_message or "").lower()
    return exc.status_code == 400 and as_int(exc.code) == VALIDATION and "groupid" in message and "not exist" in message


class OutcomeUnknown(Exception):
    """A create attempt may have been carried out by Zoom (timeout, 5xx, dropped connection, unreadable 201)."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


class ContactGroupsClient:
    """The eight Contact Group operations; ``on_created`` / ``on_deleted`` hear of every group this client
    created or deleted (the name index keeps itself current with them)."""

    def __init__(
        self,
        requester: Requester,
        *,
        on_created: Callable[[dict[str, Any]], None] = lambda group: None,
        on_deleted: Callable[[str], None] = lambda group_id: None,
    ):
        self.requester = requester
        self._on_created = on_created
        self._on_deleted = on_deleted

    def list_groups(self) -> list[dict[str, Any]]:
        """Every contact group (``group_id``, ``group_name``, ``group_privacy``, ``description``)."""
        return list(paginate(self.requester, GROUPS_PATH, ("groups",), page_size=PAGE_SIZE,
                             not_a_token_error=contact_group_gone))


    def get_group(self, group_id: str) -> dict[str, Any]:
        return self.requester.request_json("GET", group_path(group_id))


    def create_group(
        self,
        name: str,
        privacy: int = DEFAULT_PRIVACY,
        description: str | None = None,
        members: Iterable[str | dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """``POST /contacts/groups``; returns Zoom's 201 body (``group_id``, ``group_name``, ``total_members`` ...).

        The first 50 users (and 3 user groups) go in the create, the rest through ``add_members``. An attempt
        whose outcome is unknown is not re-sent: its error is raised (``ensure_group`` /
        ``create_group_from_spec`` look the name up instead). This does not check for a same-named group.
        """
        entries = member_entries(members)
        first, rest = first_batch(entries)
        try:
            reply = self.send_create(name, privacy, description, first)
        except OutcomeUnknown as unknown:
            raise unknown.error from None
        self._on_created({"group_name": name, **reply})
        if rest:
            self.add_members(reply["group_id"], rest)
        return reply


    def update_group(
        self, group_id: str, *, name: str | None = None, privacy: int | None = None, description: str | None = None
    ) -> None:
        """``PATCH`` with the update keys ``name`` / ``privacy`` / ``description`` (not Create's); None: unchanged."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if privacy is not None:
            body["privacy"] = check_privacy(privacy)
        if description is not None:
            body["description"] = description
        if not body:
            return
        self.requester.request("PATCH", group_path(group_id), json=body)


    def delete_group(self, group_id: str) -> None:
        self.requester.request("DELETE", group_path(group_id))
        self._on_deleted(group_id)


    def list_members(self, group_id: str) -> list[dict[str, Any]]:
        """Members ``{type, id, name}``; Zoom's reply key is ``group_members`` or ``members``, both read."""
        return list(paginate(self.requester, f"{group_path(group_id)}/members", ("group_members", "members"),
                             page_size=PAGE_SIZE, not_a_token_error=contact_group_gone))


    def add_members(self, group_id: str, members: Iterable[str | dict[str, Any]]) -> list[str]:
        """Add user IDs (or ``{type, id}`` entries), 50 users / 3 user groups per call; return the IDs Zoom added.

        Zoom's 201 lists only the members it added: people already in the group are not in it.
        """
        added: list[str] = []
        for batch in batches(member_entries(members)):
            reply = self.requester.request_json(
                "POST", f"{group_path(group_id)}/members", json={"group_members": batch}
            )
            added += id_list(reply.get("member_ids"))
        return added


    def remove_members(
        self, group_id: str, user_ids: Iterable[str], *, on_removed: Callable[[list[str]], None] | None = None
    ) -> dict[str, Any]:
        """Remove members by ID, 20 per call. Refuses (``ZoomInvalidInput``) to remove a group's last member.

        Returns ``{"group_id", "removed": [ids], "not_members": [ids]}``; IDs not in the group are not sent
        (Zoom would refuse the whole call for one of them). ``on_removed`` gets each call's IDs once Zoom took
        it, so a failure of a later call still leaves the earlier ones known.
        """
        wanted = list(dict.fromkeys(i.strip() for i in user_ids if isinstance(i, str) and i.strip()))
        current = [str(m.get("id")) for m in self.list_members(group_id) if m.get("id")]
        to_remove = [i for i in wanted if i in current]
        not_members = [i for i in wanted if i not in current]
        if to_remove and set(current) <= set(to_remove):
            raise ZoomInvalidInput(
                f"removing {len(to_remove)} member(s) would leave contact group {group_id} without members; "
                "Zoom refuses that ('A group must have at least one member'): delete the group instead"
            )
        for start in range(0, len(to_remove), MAX_IDS_PER_REMOVE):
            batch = to_remove[start : start + MAX_IDS_PER_REMOVE]
            ids = ",".join(quote(i, safe="") for i in batch)
            self.requester.request("DELETE", f"{group_path(group_id)}/members?member_ids={ids}")
            if on_removed is not None:
                on_removed(batch)
        return {"group_id": group_id, "removed": to_remove, "not_members": not_members}


    def add_ids(self, group_id: str, ids: list[str]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
        """Add user IDs in batches of 50: (added per Zoom's reply, not in the reply, refused with Zoom's reason).

        A batch Zoom refuses with a 400 (a member it will not take fails the whole call): the members its
        ``errors`` name (``group_members[3].id``) are refused and the rest sent again; a 400 naming nobody is
        split in halves until the refused IDs are alone. A group that is gone raises.
        """
        added: list[str] = []
        unconfirmed: list[str] = []
        refused: list[tuple[str, str]] = []
        queue = [ids[s : s + MAX_USERS_PER_REQUEST] for s in range(0, len(ids), MAX_USERS_PER_REQUEST)]
        while queue:
            batch = queue.pop(0)
            entries = [{"type": MEMBER_USER, "id": i} for i in batch]
            try:
                reply = self.requester.request_json(
                    "POST", f"{group_path(group_id)}/members", json={"group_members": entries}
                )
            except ZoomAPIError as exc:
                if isinstance(exc, ZoomReplyError) or exc.status_code != 400 or contact_group_gone(exc):
                    raise
                named = rejected_members(exc.errors, len(batch))
                if named:
                    refused += [(batch[i], reason) for i, reason in sorted(named.items())]
                    rest = [m for i, m in enumerate(batch) if i not in named]
                    if rest:
                        queue.insert(0, rest)
                elif len(batch) == 1:
                    refused.append((batch[0], exc.zoom_message or "refused by Zoom"))
                else:
                    half = len(batch) // 2
                    queue[:0] = [batch[:half], batch[half:]]
                continue
            reply_ids = set(id_list(reply.get("member_ids")))
            added += [i for i in batch if i in reply_ids]
            unconfirmed += [i for i in batch if i not in reply_ids]
        return added, unconfirmed, refused


    def email_of(self, user_id: str) -> str | None:
        """A member's email (``GET /users/{userId}``, Light); None for a user Zoom no longer knows."""
        try:
            body = self.requester.request_json("GET", f"users/{quote(user_id, safe='')}")
        except ZoomAPIError as exc:
            if isinstance(exc, ZoomReplyError) or exc.status_code != 404:
                raise
            return None
        email = body.get("email")
        return email.lower() if isinstance(email, str) and email else None


    def send_create(
        self, name: str, privacy: int, description: str | None, members: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """One create, never re-sent after an attempt whose outcome is unknown: that raises ``OutcomeUnknown``
        (the caller looks the name up first). Failures that surely did nothing (a per-second 429, a refused
        token, a connect timeout) are still retried by the request loop."""
        body: dict[str, Any] = {"group_name": name, "group_privacy": check_privacy(privacy)}
        if description is not None:
            body["description"] = description
        if members:
            body["group_members"] = members
        try:
            return self.requester.request("POST", GROUPS_PATH, json=body, retry_unknown_outcome=False, parse=_CREATED)
        except Exception as exc:
            if outcome_unknown(exc):
                raise OutcomeUnknown(exc) from exc
            raise


def group_path(group_id: str) -> str:
    if not isinstance(group_id, str) or not group_id.strip():
        raise ZoomInvalidInput(f"group_id must be a non-empty string, not {group_id!r}")
    return f"{GROUPS_PATH}/{quote(group_id.strip(), safe='')}"


def check_privacy(value: Any) -> int:
    if isinstance(value, bool) or as_int(value) not in PRIVACIES:
        raise ZoomInvalidInput(f"group_privacy must be 1, 2 or 3, not {value!r}")
    return int(value)


def member_entries(members: Iterable[str | dict[str, Any]]) -> list[dict[str, Any]]:
    """``{type, id}`` entries: a string is a user ID (type 1); duplicates dropped, order kept."""
    if isinstance(members, (str, bytes)):
        raise ZoomInvalidInput("members must be a list of user IDs, not one string")
    entries: dict[tuple[int, str], dict[str, Any]] = {}
    for index, member in enumerate(members):
        if isinstance(member, str):
            kind, member_id = MEMBER_USER, member.strip()
        elif isinstance(member, dict):
            kind, member_id = as_int(member.get("type", MEMBER_USER)) or 0, str(member.get("id") or "").strip()
        else:
            raise ZoomInvalidInput(f"members[{index}] must be a user ID or a {{type, id}} object, not {member!r}")
        if kind not in (MEMBER_USER, MEMBER_USER_GROUP) or not member_id:
            raise ZoomInvalidInput(f"members[{index}] needs type 1 (user) or 2 (user group) and an id: {member!r}")
        entries.setdefault((kind, member_id), {"type": kind, "id": member_id})
    return list(entries.values())


def batches(entries: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Batches of at most 50 users and 3 user groups (Zoom's per-request limits)."""
    users = [e for e in entries if e["type"] == MEMBER_USER]
    groups = [e for e in entries if e["type"] == MEMBER_USER_GROUP]
    while users or groups:
        batch = users[:MAX_USERS_PER_REQUEST] + groups[:MAX_USER_GROUPS_PER_REQUEST]
        users, groups = users[MAX_USERS_PER_REQUEST:], groups[MAX_USER_GROUPS_PER_REQUEST:]
        yield batch


def first_batch(entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    split = list(batches(entries))
    if not split:
        return [], []
    first = split[0]
    return first, [e for e in entries if e not in first]


def id_list(value: Any) -> list[str]:
    """Zoom's ``member_ids`` (a list; a comma-separated string is read too)."""
    if isinstance(value, str):
        return [i.strip() for i in value.split(",") if i.strip()]
    if isinstance(value, list):
        return [str(i).strip() for i in value if str(i).strip()]
    return []
