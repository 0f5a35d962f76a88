"""Asset events for the groups a run onboarded: downstream DAGs (welcome messages, access requests) wait on them.

One asset per Zoom account and group API: ``zoom://<account_id>/im_groups`` or ``zoom://<account_id>/contact_groups``.
Which one is known only when a task runs (the account comes from the connection, and with ``group_api=auto`` a
410/4137 switches to Contact Groups mid-run), so the emitting task declares the alias ``zoom_onboarding_groups`` as
its outlet and attaches the concrete asset at runtime. A downstream DAG schedules on the alias (any account) or,
knowing its account, on ``zoom_groups_asset(account_id, group_api)``.

The event's extra holds the run's counts (``created``, ``exists``, ``failed``, ``members_added``, ...) and
``group_api``: numbers and a name, never an email, a token or a credential.

Light at import time (DAG files import it): ``airflow.sdk`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import Asset, AssetAlias

if TYPE_CHECKING:
    from airflow_provider_zoom.hooks.zoom import ZoomHook

ZOOM_GROUPS_ALIAS_NAME = "zoom_onboarding_groups"
ZOOM_GROUPS_ALIAS = AssetAlias(name=ZOOM_GROUPS_ALIAS_NAME)
GROUP_APIS = ("im_groups", "contact_groups")

log = logging.getLogger(__name__)


def zoom_groups_asset(account_id: str, group_api: str) -> Asset:
    """The asset of one Zoom account's groups on one group API."""
    if group_api not in GROUP_APIS:
        raise ValueError(f"group_api must be one of {GROUP_APIS}, not {group_api!r}")
    if not account_id:
        raise ValueError("account_id is empty: the Zoom connection names no account")
    return Asset(
        name=f"zoom_groups/{account_id}/{group_api}",
        uri=f"zoom://{quote(str(account_id), safe='')}/{group_api}",
    )


def zoom_target(hook: ZoomHook) -> dict[str, str]:
    """``{"account_id", "group_api"}`` the hook worked on, for a task's XCom: read it after the Zoom calls, since
    ``auto`` may have switched to Contact Groups during them."""
    return {"account_id": hook.credentials.account_id, "group_api": hook.group_api}


def event_extra(summary: Mapping[str, Any], group_api: str) -> dict[str, Any]:
    """The run's counts (every integer of the summary) and the group API: what the event's extra carries."""
    counts = {k: v for k, v in summary.items() if isinstance(v, int) and not isinstance(v, bool)}
    return {**counts, "group_api": group_api}


def emit_groups_event(
    outlet_events: Any,
    summary: Mapping[str, Any],
    targets: Iterable[Mapping[str, Any] | None],
    *,
    alias: AssetAlias = ZOOM_GROUPS_ALIAS,
) -> list[Asset]:
    """Attach the run's asset event(s) to ``alias`` (which must be among the task's ``outlets``).

    ``targets`` are the results of the run's Zoom tasks (any dicts holding ``account_id`` and ``group_api``, as
    ``zoom_target`` gives); those of tasks that did not run are None. One event per account, on the API the run
    ended on: a switch only goes from IM Groups to Contact Groups, so any task on Contact Groups means the run's
    groups are contact groups. No target (no Zoom work in the run, e.g. a day without hires): no event, so that
    downstream DAGs are not woken for nothing. A summary with a true ``dry_run`` emits nothing either: the run
    changed nothing that a downstream DAG could act on.
    """
    if summary.get("dry_run"):
        log.info("Dry run: no asset event")
        return []
    apis: dict[str, set[str]] = {}
    for target in targets:
        if target and target.get("account_id") and target.get("group_api") in GROUP_APIS:
            apis.setdefault(str(target["account_id"]), set()).add(target["group_api"])
    emitted = []
    for account_id, used in sorted(apis.items()):
        group_api = "contact_groups" if "contact_groups" in used else "im_groups"
        asset = zoom_groups_asset(account_id, group_api)
        outlet_events[alias].add(asset, extra=event_extra(summary, group_api))
        log.info("Asset event on %s (alias %s): %s", asset.uri, alias.name, event_extra(summary, group_api))
        emitted.append(asset)
    if not emitted:
        log.info("No Zoom task reported an account in this run: no asset event")
    return emitted


__all__ = [
    "GROUP_APIS",
    "ZOOM_GROUPS_ALIAS",
    "ZOOM_GROUPS_ALIAS_NAME",
    "emit_groups_event",
    "event_extra",
    "zoom_groups_asset",
    "zoom_target",
]
