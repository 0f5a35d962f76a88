"""Which group backend a connection talks to: the one place that knows the group APIs by name.

``group_api`` is ``im_groups``, ``contact_groups`` or ``auto``. With ``auto`` the IM Groups API is tried and,
when Zoom answers that it is retired for the account (410, code 4137), the connection switches to its
successor for good: the choice is remembered beside the token cache (``_transport.group_api_memory``), so
later tasks skip the probe. A connection set to ``im_groups`` gets ``ZoomIMGroupsGoneError`` instead.

A third group API is one backend module plus one ``register`` line here (see docs/architecture.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_zoom._transport import group_api_memory
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomIMGroupsGoneError
from airflow_provider_zoom.groups.base import GroupAPI, GroupOutcome, GroupRef, MemberPlan, MembersAdded
from airflow_provider_zoom.groups.contact.backend import ContactGroups
from airflow_provider_zoom.groups.contact.wire import is_im_groups_gone
from airflow_provider_zoom.groups.im import IMGroups

if TYPE_CHECKING:
    from collections.abc import Iterable

    from airflow_provider_zoom._transport.oauth import S2SCredentials
    from airflow_provider_zoom._transport.requester import Requester
    from airflow_provider_zoom.group_spec import GroupSpec
    from airflow_provider_zoom.groups.base import PlannedRemoval, RemovalCallback

__all__ = ["BACKENDS", "Backend", "SelectedGroups", "register"]

T = TypeVar("T")


@dataclass(frozen=True)
class Backend:
    """A group API the connection's ``group_api`` can name.

    ``retired(exc)`` tells Zoom's answer that the API is gone for the account; ``successor`` is what ``auto``
    switches to then.
    """

    name: str
    build: Callable[[Requester], GroupAPI]
    retired: Callable[[BaseException], bool] | None = None
    successor: str | None = None


BACKENDS: dict[str, Backend] = {}
#: what ``auto`` starts with
AUTO_FIRST = "im_groups"


def register(backend: Backend) -> None:
    BACKENDS[backend.name] = backend


register(Backend("im_groups", IMGroups, retired=is_im_groups_gone, successor="contact_groups"))
register(Backend("contact_groups", ContactGroups))

_SWITCH_LOCK = threading.RLock()


class SelectedGroups:
    """The ``GroupAPI`` of a connection: every call goes to the selected backend (one object per backend,
    built on first use and kept, so a wave's threads share its caches)."""

    def __init__(
        self,
        requester: Requester,
        *,
        setting: str,
        credentials: S2SCredentials,
        memory_dir: str | os.PathLike | None,
        conn_id: str,
    ):
        self.requester = requester
        self.log = requester.log
        self.setting = setting
        self.credentials = credentials
        self.memory_dir = memory_dir
        self.conn_id = conn_id
        self._backends: dict[str, GroupAPI] = {}
        self._lock = threading.Lock()

    @property
    def api_name(self) -> str:
        """The backend calls go to now: the setting, or with ``auto`` what this account answered before."""
        if self.setting != "auto":
            return self.setting
        return group_api_memory.recall(self.credentials, self.memory_dir) or AUTO_FIRST

    def backend(self, name: str | None = None) -> GroupAPI:
        """The backend ``name`` (default: the selected one), built once."""
        name = name or self.api_name
        with self._lock:
            if name not in self._backends:
                self._backends[name] = BACKENDS[name].build(self.requester)
            return self._backends[name]

    def _call(self, call: Callable[[GroupAPI], T]) -> T:
        name = self.api_name
        backend = BACKENDS[name]
        try:
            return call(self.backend(name))
        except ZoomAPIError as exc:
            if backend.retired is None or not backend.retired(exc):
                raise
            if self.setting == name or backend.successor is None:
                raise ZoomIMGroupsGoneError(exc.method, exc.path, exc.zoom_message, self.conn_id) from None
            self._switch(backend.successor)
        return call(self.backend(backend.successor))

    def _switch(self, successor: str) -> None:
        with _SWITCH_LOCK:
            if group_api_memory.recall(self.credentials, self.memory_dir) == successor:
                return
            group_api_memory.remember(self.credentials, self.memory_dir, successor)
        self.log.warning(
            "Zoom answered 410 (code 4137): the IM Groups API is retired for account %r. Switching connection %r "
            "to Contact Groups, remembered for later tasks. To skip this probe, set the connection's extra "
            'group_api to "contact_groups".',
            self.credentials.account_id, self.conn_id,
        )

    # -- GroupAPI ------------------------------------------------------------------------------------------

    def list_groups(self) -> list[dict[str, Any]]:
        return self._call(lambda api: api.list_groups())

    def group_refs(self) -> list[GroupRef]:
        return self._call(lambda api: api.group_refs())

    def find_group(self, name: str) -> GroupRef | None:
        return self._call(lambda api: api.find_group(name))

    def create_group(
        self, spec: GroupSpec, *, on_conflict: str = "reuse", description: str | None = None, members: Any = ()
    ) -> GroupOutcome:
        return self._call(lambda api: api.create_group(spec, on_conflict=on_conflict, description=description,
                                                       members=members))

    def add_members(
        self, group_id: str, emails: Any, *, only_missing: bool = False, name: str | None = None
    ) -> MembersAdded:
        return self._call(lambda api: api.add_members(group_id, emails, only_missing=only_missing, name=name))

    def plan_members(
        self, group_id: str | None, emails: Any, *, keep: Any = None, list_current: bool = True
    ) -> MemberPlan:
        return self._call(lambda api: api.plan_members(group_id, emails, keep=keep, list_current=list_current))

    def remove_members(
        self, group_id: str, members: Iterable[PlannedRemoval], *, on_removed: RemovalCallback | None = None
    ) -> list[str]:
        planned = list(members)
        return self._call(lambda api: api.remove_members(group_id, planned, on_removed=on_removed))
