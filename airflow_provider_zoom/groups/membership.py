"""Exact membership and dry runs: what a cohort group should hold, checked before anything is written.

``add_only`` (the default) only ever adds. ``exact`` also removes the group's members who are no longer in
the cohort (moved to another department, withdrawn), reporting them by email, never emptying a group, and
refusing (``ZoomRemovalLimitError``, before any write) to remove more than ``max_removal_share`` of a group:
a truncated extract must not empty the account. Across runs, it also refuses to leave a group with less than
``1 - max_removal_share`` of its baseline, the most members it has had (``groups.removal_baseline``), so a
series of truncated extracts cannot erode a group either. ``keep_members`` (emails or ``fnmatch`` patterns such
as ``*@hr.example.com``, case-insensitive) are never removed. Each removal Zoom confirms is logged and handed to
``on_removed`` at once: when a later call fails, the error (``ZoomRemovalInterrupted``) still names who is gone.
Only cohorts present in the run's extract are visited, so a cohort absent from it is never touched.

A dry run computes the same plan from list and get calls only and reports it instead of applying it.
A ``GroupAPI`` (``hook.groups``) does the Zoom calls (``plan_members``, ``add_members``, ``remove_members``),
on whichever group API; this module decides. Imports nothing of the HTTP stack: DAG files may use
``format_dry_run`` at parse time.
"""

from __future__ import annotations

import contextlib
import fnmatch
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_zoom._defaults import DEFAULT_MAX_REMOVAL_SHARE, MEMBERSHIP_CHOICES
from airflow_provider_zoom.emails import _list_literal
from airflow_provider_zoom.exceptions import (
    ZoomInvalidInput,
    ZoomRemovalInterrupted,
    ZoomRemovalLimitError,
    describe_error,
)
from airflow_provider_zoom.groups.base import MemberPlan

if TYPE_CHECKING:
    from airflow_provider_zoom.groups.base import GroupAPI, RemovalCallback
    from airflow_provider_zoom.groups.removal_baseline import Baselines

__all__ = [
    "MEMBERSHIP_CHOICES",
    "WavePlan",
    "apply_wave",
    "blocked_removals",
    "wave_baselines",
    "dry_run_rows",
    "plan_wave",
    "check_membership",
    "check_removal_share",
    "check_removals",
    "apply_plan",
    "keep_patterns",
    "dry_run_row",
    "format_dry_run",
    "plan_group",
    "sync_members",
]


def check_membership(value: Any) -> str:
    if value not in MEMBERSHIP_CHOICES:
        raise ZoomInvalidInput(f"membership must be one of {', '.join(MEMBERSHIP_CHOICES)}, not {value!r}")
    return value


def check_removal_share(value: Any) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or not 0 <= value <= 1:
        raise ZoomInvalidInput(
            f"max_removal_share must be a number from 0 to 1 (0.5: stop before removing more than half of a "
            f"group), not {value!r}"
        )
    return float(value)


def keep_patterns(value: Any, field: str = "keep_members") -> tuple[str, ...]:
    """``keep_members`` as lower-case ``fnmatch`` patterns: a list of strings, or one string of them separated by
    commas, semicolons or whitespace. An exact address is a pattern that matches only itself."""
    if value is None or value == "":
        return ()
    if isinstance(value, str) and value.strip()[:1] in ("[", "("):  # a rendered template of a list Param
        value = _list_literal(value.strip(), field)
    items = value.replace(";", ",").replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ZoomInvalidInput(f"{field} must be a list of emails or patterns such as '*@hr.example.com', "
                               f"not {type(value).__name__}")
    patterns = []
    for position, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise ZoomInvalidInput(f"{field}[{position}] must be an email or a pattern such as '*@hr.example.com', "
                                   f"not {item!r}")
        patterns.append(item.strip().lower())
    return tuple(patterns)


def _kept(email: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(email.lower(), pattern) for pattern in patterns)


def plan_group(
    groups: GroupAPI, group_id: str | None, emails: Any, *, keep: Any = None, only_missing: bool = True,
    membership: str = "add_only", keep_members: Any = (),
) -> MemberPlan:
    """``groups.plan_members`` for one group; ``keep`` (who may stay with ``exact``) defaults to ``emails``, and
    members matching ``keep_members`` stay whatever the cohort says (listed in the plan's ``kept``)."""
    exact = check_membership(membership) == "exact"
    patterns = keep_patterns(keep_members)
    plan = groups.plan_members(
        group_id, emails, keep=(emails if keep is None else keep) if exact else None,
        list_current=only_missing or exact,
    )
    if not exact:
        return MemberPlan(**{**plan, "remove": None})  # add_only: removals are not part of the plan
    remove = plan["remove"] or []
    kept = [m for m in remove if _kept(str(m.get("email") or ""), patterns)]
    if not kept:
        return plan
    return MemberPlan(**{**plan, "remove": [m for m in remove if m not in kept], "kept": [m["email"] for m in kept]})


def check_removals(name: str, plan: Mapping[str, Any], max_removal_share: float, baseline: int | None = None) -> None:
    """Raise ``ZoomRemovalLimitError`` when the plan removes more than the share allows, or leaves nobody; with a
    ``baseline`` (the most members the group has had), also when it would keep less than ``1 - share`` of it."""
    removing = [m.get("email") or m["id"] for m in plan.get("remove") or ()]
    if not removing:
        return
    members = plan["members"]
    left = members - len(removing) + len(plan.get("add", ()))
    if len(removing) / members > max_removal_share or left <= 0:
        raise ZoomRemovalLimitError(name, removing, members, max_removal_share)
    if baseline is not None and baseline > members:
        kept = members - len(removing)
        if (baseline - kept) / baseline > max_removal_share:
            raise ZoomRemovalLimitError(name, removing, members, max_removal_share, baseline=baseline)


def group_baseline(baselines: Baselines | None, groups: GroupAPI, group_id: str | None) -> int | None:
    """The group's stored baseline (None without a store, or for a group not created yet)."""
    if baselines is None or not group_id:
        return None
    return baselines.get(groups.api_name, group_id)


def apply_plan(
    groups: GroupAPI, plan: Any, *, name: str | None = None, on_removed: RemovalCallback | None = None
) -> dict[str, Any]:
    """Add, then remove (a contact group must never be empty in between); the add step's result plus ``removed``
    (and ``kept``: members ``keep_members`` kept). Each removal is logged, and given to ``on_removed``, as soon as
    Zoom confirms it: a failure after it raises, but the log and the caller already name that person."""
    group_id = plan["group_id"]
    result: dict[str, Any] = {
        "group_id": group_id, "added": [], "already_members": list(plan["already_members"]),
        "rejected": list(plan["rejected"]), "pending": list(plan["pending"]),
    }
    if plan.get("kept"):
        result["kept"] = list(plan["kept"])
        groups.log.info("Group %s: kept by keep_members, though not in the cohort: %s", name or group_id,
                        ", ".join(plan["kept"]))
    if plan["add"]:
        added = groups.add_members(group_id, plan["add"], only_missing=False, name=name)
        group_id = added.get("group_id") or group_id
        result["group_id"] = group_id
        result["added"] = added["added"]
        result["already_members"] += added["already_members"]
        result["rejected"] += added.get("rejected", [])
        result["pending"] += [p for p in added.get("pending", []) if p not in result["pending"]]
    if plan["remove"] and len(plan["remove"]) >= plan["members"] and not result["added"]:
        # The check counted on the adds, and Zoom took none of them: removing now would empty the group.
        check_removals(name or str(group_id), {**plan, "add": []}, 1.0)

    def removed(email: str) -> None:
        groups.log.info("Group %s: removed %s (no longer in the cohort)", name or group_id, email)
        if on_removed is not None:
            on_removed(email)

    result["removed"] = groups.remove_members(group_id, plan["remove"], on_removed=removed) if plan["remove"] else []
    if result["removed"]:
        groups.log.info("Group %s: removed %d people no longer in the cohort: %s", name or group_id,
                      len(result["removed"]), ", ".join(result["removed"]))
    return result


def dry_run_row(
    name: str, action: str, plan: Mapping[str, Any], max_removal_share: float, baseline: int | None = None
) -> dict[str, Any]:
    """What a real run would do to one group, as the dry run reports it (``added``/``removed``: would be)."""
    row: dict[str, Any] = {
        "name": name, "action": action, "group_id": plan["group_id"], "added": list(plan["add"]),
        "already_members": list(plan["already_members"]), "pending": list(plan["pending"]),
        "rejected": list(plan["rejected"]), "dry_run": True,
    }
    if plan.get("remove") is not None:
        row["removed"] = [m.get("email") or m["id"] for m in plan["remove"]]
    if plan.get("kept"):
        row["kept"] = list(plan["kept"])
    try:
        check_removals(name, plan, max_removal_share, baseline)
    except ZoomRemovalLimitError as exc:
        row["blocked"] = str(exc)
    return row


def sync_members(
    groups: GroupAPI, group_id: str | None, emails: Any, *, name: str | None = None, keep: Any = None,
    only_missing: bool = True, membership: str = "add_only", max_removal_share: float | str = DEFAULT_MAX_REMOVAL_SHARE,
    dry_run: bool = False, action: str = "exists", keep_members: Any = (), baselines: Baselines | None = None,
) -> dict[str, Any]:
    """One group: plan, check, then apply (or, in a dry run, report). ``add_only`` without a dry run is exactly
    ``groups.add_members``; the other modes return its keys plus ``removed`` (and ``dry_run``).

    ``baselines`` keeps the removal guard across runs (see the module); a real exact run raises the group's
    baseline to its current size before removing anyone. A failure after some removals raises
    ``ZoomRemovalInterrupted`` naming them."""
    exact = check_membership(membership) == "exact"
    share = check_removal_share(max_removal_share)
    if not exact and not dry_run:
        if group_id is None:
            raise ZoomInvalidInput("group_id is needed to add members (only a dry run plans a group not created yet)")
        return dict(groups.add_members(group_id, emails, only_missing=only_missing, name=name))
    plan = plan_group(groups, group_id, emails, keep=keep, only_missing=only_missing, membership=membership,
                      keep_members=keep_members)
    stored = group_baseline(baselines, groups, group_id) if exact else None
    baseline = max(stored or 0, plan["members"]) if exact else None
    if dry_run:
        return dry_run_row(name or str(group_id), action, plan, share, baseline)
    check_removals(name or str(group_id), plan, share, baseline)
    if baselines is not None and exact and group_id and baseline != stored:
        baselines.raise_to(groups.api_name, group_id, plan["members"])
    removed: list[str] = []
    try:
        return apply_plan(groups, plan, name=name, on_removed=removed.append)
    except Exception as exc:
        if not removed:
            raise
        raise ZoomRemovalInterrupted(name or str(group_id), removed, exc) from exc


# -- many groups at once: every plan before any write ------------------------------------------------------

#: ``run(items, call, label)`` -> ``[(item, result or None, error or None)]``: how a wave runs calls
#: (the operators' thread pool; a plain loop does too).
Runner = Callable[[list[Any], Callable[[Any], Any], str], Iterable[tuple[Any, Any, Any]]]


@dataclass
class WavePlan:
    """The plans of many groups (``(assignment, plan)``, by name) and the groups that could not be planned."""

    plans: list[tuple[dict[str, Any], MemberPlan]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)  # {"name", "reason"}
    errors: list[BaseException] = field(default_factory=list)


def _name(assignment: dict[str, Any]) -> str:
    return str(assignment.get("name", assignment["group_id"]))


def plan_wave(
    groups: GroupAPI, assignments: list[dict[str, Any]], *, only_missing: bool, membership: str, run: Runner,
    keep_members: Any = (),
) -> WavePlan:
    """Plan every assignment (``{"group_id", "emails", "name"?, "keep"?}``) from reads only."""
    wave = WavePlan()
    planned = run(
        assignments,
        lambda a: plan_group(groups, a["group_id"], a["emails"], keep=a.get("keep"), only_missing=only_missing,
                             membership=membership, keep_members=keep_members),
        "group plans",
    )
    for assignment, plan, error in sorted(planned, key=lambda r: _name(r[0])):
        if error is not None or plan is None:
            wave.errors.append(error or RuntimeError("no plan"))
            wave.failed.append({"name": _name(assignment), "reason": describe_error(wave.errors[-1])})
        else:
            wave.plans.append((assignment, plan))
    return wave


def wave_baselines(baselines: Baselines | None, groups: GroupAPI, wave: WavePlan) -> dict[str, int]:
    """``{group_id: baseline}`` of the wave's planned groups: the stored one, or the group's size when larger."""
    return {str(plan["group_id"]): max(group_baseline(baselines, groups, plan["group_id"]) or 0, plan["members"])
            for _, plan in wave.plans if plan["group_id"]}


def blocked_removals(
    wave: WavePlan, max_removal_share: float, baselines: Mapping[str, int] | None = None
) -> list[ZoomRemovalLimitError]:
    """The removal limits the wave's plans break (empty: the wave may be applied); ``baselines`` by group id."""
    blocked: list[ZoomRemovalLimitError] = []
    for assignment, plan in wave.plans:
        try:
            check_removals(_name(assignment), plan, max_removal_share,
                           (baselines or {}).get(str(plan["group_id"])))
        except ZoomRemovalLimitError as exc:
            blocked.append(exc)
    return blocked


def dry_run_rows(
    wave: WavePlan, max_removal_share: float, *, action: str, baselines: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """The dry run's rows of a planned wave; a group without an id is one a real run would create."""
    return [dry_run_row(a.get("name", a["group_id"] or ""), "create" if not a["group_id"] else action, plan,
                        max_removal_share, (baselines or {}).get(str(plan["group_id"]))) for a, plan in wave.plans]


def apply_wave(groups: GroupAPI, wave: WavePlan, *, run: Runner) -> list[dict[str, Any]]:
    """Apply every plan (``apply_plan``); the groups done, by name. Failures are added to ``wave``."""
    applied = run(wave.plans, lambda p: apply_plan(groups, p[1], name=p[0].get("name")), "group members")
    done: list[dict[str, Any]] = []
    for (assignment, _), outcome, error in sorted(applied, key=lambda r: _name(r[0][0])):
        if error is not None or outcome is None:
            wave.errors.append(error or RuntimeError("no outcome"))
            wave.failed.append({"name": _name(assignment), "reason": describe_error(wave.errors[-1])})
        else:
            done.append({"name": _name(assignment), **outcome})
    return done


_COLUMNS = ("Cohort", "Action", "Add", "Pending", "Remove", "Note")


def format_dry_run(rows: Sequence[dict[str, Any]]) -> str:
    """A plain-text table, one line per group, then who exactly would be added, pending or removed."""
    lines = [
        (row["name"], "create" if row.get("action") in ("create", "created") else "exists",
         str(len(row.get("added", ()))), str(len(row.get("pending", ()))),
         "-" if row.get("removed") is None else str(len(row["removed"])),
         "STOPS: too many removals" if row.get("blocked") else "")
        for row in rows
    ]
    widths = [max(len(c), *(len(line[i]) for line in lines)) if lines else len(c) for i, c in enumerate(_COLUMNS)]
    out = ["  ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True)).rstrip(),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    if not rows:
        out.append("(no cohorts in this run)")
    for row in rows:
        for label, key in (("add", "added"), ("pending", "pending"), ("remove", "removed")):
            if row.get(key):
                out.append(f"{row['name']}: {label} {', '.join(row[key])}")
        if row.get("blocked"):
            out.append(f"{row['name']}: {row['blocked']}")
    return "\n".join(out)
