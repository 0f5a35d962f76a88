"""Who exact membership removed in the earlier tries of a task, so that a retry's result still names them.

A retried task starts without its XComs (``wave_progress`` only outlives a deferral). Airflow 3.3's task state
store (``context["task_state_store"]``) keeps what a try wrote for the next tries of the same task instance: a try
that fails after removals writes them there, by group id; the next try adds them to its own ``removed`` (the people
are gone from the group, so it does not remove them again) and, once it succeeds, deletes them, so that a later
re-run of the task does not count them twice. Before Airflow 3.3 there is no such store: a retry then reports only
its own removals, and the failed try's log and error name the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from airflow_provider_zoom.emails import union_emails

__all__ = ["STATE_KEY", "earlier_removals", "forget_removals", "keep_removals", "removals_across_tries"]

STATE_KEY = "zoom_removed_in_earlier_tries"


def _store(context: Mapping[str, Any]) -> Any:
    return context.get("task_state_store")


def earlier_removals(context: Mapping[str, Any]) -> dict[str, list[str]]:
    """``{group_id: [emails]}`` removed by the failed tries before this one (empty without a store)."""
    store = _store(context)
    value = store.get(STATE_KEY, None) if store is not None else None
    if not isinstance(value, dict):
        return {}
    return {str(group_id): [str(e) for e in emails] for group_id, emails in value.items() if isinstance(emails, list)}


def keep_removals(context: Mapping[str, Any], removed: Mapping[str, Iterable[str]]) -> None:
    """Before a try fails: everyone removed so far (earlier tries included), by group id, for the next try."""
    store = _store(context)
    kept = {str(group_id): list(emails) for group_id, emails in removed.items() if emails}
    if store is not None and kept:
        store.set(STATE_KEY, kept)


def forget_removals(context: Mapping[str, Any]) -> None:
    """After a try succeeded: its result names them now."""
    store = _store(context)
    if store is not None:
        store.delete(STATE_KEY)


def removals_across_tries(context: Mapping[str, Any], group_id: str, run: Callable[[], dict[str, Any]]) -> dict:
    """One group's ``sync_members`` (``run``) in a task that may be retried: its ``removed`` also names the people
    the earlier tries removed. A failure pushes everyone removed so far as the XCom ``removed_before_failure``
    (the summary counts them) and keeps them for the next try."""
    from airflow_provider_zoom.exceptions import ZoomRemovalInterrupted

    earlier = earlier_removals(context).get(str(group_id), [])
    try:
        result = run()
    except Exception as exc:
        removed = union_emails(earlier, exc.removed if isinstance(exc, ZoomRemovalInterrupted) else [])
        if removed:
            context["ti"].xcom_push(key="removed_before_failure", value=removed)
            keep_removals(context, {str(group_id): removed})
        raise
    if earlier:
        result["removed"] = union_emails(earlier, result.get("removed") or [])
        forget_removals(context)
    return result
