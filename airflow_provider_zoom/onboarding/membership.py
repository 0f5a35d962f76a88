"""Exact membership and dry runs moved to ``airflow_provider_zoom.groups.membership`` (any group, any API);
these names stay importable from here for DAG files written against 0.1."""

from airflow_provider_zoom.groups.membership import (
    MEMBERSHIP_CHOICES,
    apply_plan,
    check_membership,
    check_removal_share,
    check_removals,
    dry_run_row,
    format_dry_run,
    plan_group,
    sync_members,
)

__all__ = [
    "MEMBERSHIP_CHOICES",
    "apply_plan",
    "check_membership",
    "check_removal_share",
    "check_removals",
    "dry_run_row",
    "format_dry_run",
    "plan_group",
    "sync_members",
]
