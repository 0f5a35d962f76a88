"""Wave operators: thousands of groups (and their members) in one task, at Zoom's rate limit.

They apply the single-group rules through the same code (``validate_group_spec``, ``hook.groups``'s
``create_group`` / ``add_members``, ``groups.membership`` for exact membership) over one hook shared by a
thread pool, paced by the hook's client-side limiter, on whichever group API the connection selects.
Only ``airflow.sdk`` is imported when a DAG file is parsed; everything else is imported by ``execute``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from airflow.sdk import BaseOperator

from airflow_provider_zoom._defaults import (
    DEFAULT_CONN_ID,
    DEFAULT_MAX_REMOVAL_SHARE,
    MEMBERSHIP_CHOICES,
    ON_CONFLICT_CHOICES,
)
from airflow_provider_zoom._deprecation import retired_names
from airflow_provider_zoom.operators.groups import _flag, default_description

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_zoom.exceptions import ZoomRateLimitError
    from airflow_provider_zoom.group_spec import GroupSpec
    from airflow_provider_zoom.groups.base import GroupOutcome, MemberPlan, MembersAdded
    from airflow_provider_zoom.hooks.zoom import ZoomHook

#: Calls a paced wave (``plan`` or ``*_rps``, here or in the connection) keeps in flight at most. The pacer starts one
#: call every 1/rate seconds, so the calls in flight settle at rate x round trip (Little's law): 80/s x 0.25 s = 20
#: for a worker 150 ms (+ jitter) from Zoom, 80/s x 0.6 s = 48 at 400 ms + 200, about twice that for a Contact Groups
#: member call behind its user lookup. The threads beyond that wait for their start in the pacer, 17 KiB each
#: (docs/benchmarks.md): so the latency decides, not a setting to tune.
PACED_MAX_WORKERS = 128
#: Unpaced, nothing spaces the calls out: a small pool, so that a wave does not burst into Zoom's 429s.
UNPACED_MAX_WORKERS = 8
DEFAULT_MAX_WORKERS = PACED_MAX_WORKERS  # the ceiling's default, kept under its old name
DEFAULT_XCOM_DETAIL_LIMIT = 200
ON_DAILY_LIMIT_CHOICES = ("defer", "fail")
#: A daily window is 24 h: a reset announced further away than this is waited for in steps of this length.
DEFAULT_DAILY_LIMIT_MAX_WAIT = timedelta(hours=25)
#: Deferrals in a row that completed nothing before the task gives up (a reset Zoom keeps moving).
MAX_IDLE_DEFERRALS = 3
#: The XCom (of the current try) holding what a deferred wave has done: it outlives a deferral, also under
#: ``dag.test()``, which resumes a task with the trigger's event only, without the deferral's kwargs.
PROGRESS_XCOM_KEY = "wave_progress"


def _report_dir(configured: str | None) -> Path:
    if configured:
        return Path(configured)
    return Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow")) / "zoom_reports"


def _report_name(context: Context, task_id: str) -> str:
    run_id = str(context.get("run_id", "run"))
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{context['dag'].dag_id if 'dag' in context else 'dag'}__{run_id}")
    return f"{safe}__{task_id}.json"


class _WaveOperator(BaseOperator):
    """What both wave operators share: the hook, the pool and how results become an XCom."""

    ui_color = "#2D8CFF"

    def __init__(
        self,
        *,
        max_workers: int | None = None,
        plan: str | None = None,
        light_rps: float | None = None,
        medium_rps: float | None = None,
        report_dir: str | None = None,
        xcom_detail_limit: int = DEFAULT_XCOM_DETAIL_LIMIT,
        zoom_conn_id: str = DEFAULT_CONN_ID,
        on_daily_limit: str = "defer",
        daily_limit_max_wait: timedelta | float = DEFAULT_DAILY_LIMIT_MAX_WAIT,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers!r}")
        if "{{" not in str(on_daily_limit) and on_daily_limit not in ON_DAILY_LIMIT_CHOICES:
            raise ValueError(f"on_daily_limit must be one of {ON_DAILY_LIMIT_CHOICES}, not {on_daily_limit!r}")
        if not isinstance(daily_limit_max_wait, timedelta):
            daily_limit_max_wait = timedelta(seconds=daily_limit_max_wait)
        if daily_limit_max_wait <= timedelta(0):
            raise ValueError(f"daily_limit_max_wait must be positive, not {daily_limit_max_wait!r}")
        self.on_daily_limit = on_daily_limit
        self.daily_limit_max_wait = daily_limit_max_wait
        self.max_workers = max_workers
        self.plan = plan
        self.light_rps = light_rps
        self.medium_rps = medium_rps
        self.report_dir = report_dir
        self.xcom_detail_limit = xcom_detail_limit
        self.zoom_conn_id = zoom_conn_id

    def _hook(self) -> ZoomHook:
        from airflow_provider_zoom.exceptions import fail_fast_on_permanent_errors
        from airflow_provider_zoom.hooks.zoom import ZoomHook

        hook = ZoomHook(
            zoom_conn_id=self.zoom_conn_id,
            plan=self.plan,
            light_rps=self.light_rps,
            medium_rps=self.medium_rps,
            pool_size=self.max_workers or PACED_MAX_WORKERS,
        )
        hook.wait_daily_limits = not self._defers()  # deferring frees the slots a sleep would hold
        with fail_fast_on_permanent_errors():  # a wrong connection setting fails the task at once
            hook.check_config()  # also builds the one session before the threads share it
        self._in_flight = self.max_workers or (PACED_MAX_WORKERS if hook.rate_limits else UNPACED_MAX_WORKERS)
        return hook

    _in_flight: int = UNPACED_MAX_WORKERS  # set by _hook: max_workers, or what the pacing allows

    # -- resumable waves: a daily-limit 429 defers the task until Zoom's reset -----------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        return self._wave(context, resumed=False)

    def resume_wave(self, context: Context, event: Any = None, **_: Any) -> dict[str, Any]:
        """Back from the deferral: Zoom's daily reset has passed; only the items not done yet are sent."""
        return self._wave(context, resumed=True)

    def _wave(self, context: Context, *, resumed: bool) -> dict[str, Any]:
        raise NotImplementedError

    def _defers(self) -> bool:
        from airflow_provider_zoom._compat import AirflowFailException

        if self.on_daily_limit not in ON_DAILY_LIMIT_CHOICES:  # a template rendered to something else
            raise AirflowFailException(
                f"on_daily_limit must be one of {ON_DAILY_LIMIT_CHOICES}, not {self.on_daily_limit!r}"
            )
        return self.on_daily_limit == "defer"

    def _progress(self, context: Context, resumed: bool) -> dict[str, Any]:
        """What earlier parts of this try did (the ``wave_progress`` XCom), or nothing on a fresh start."""
        return dict((context["ti"].xcom_pull(task_ids=self.task_id, key=PROGRESS_XCOM_KEY) if resumed else None) or {})

    def _run_resumable(
        self,
        context: Context,
        items: list[Any],
        *,
        key: Callable[[Any], str],
        call: Callable[[Any], Any],
        row: Callable[[Any, Any], dict[str, Any]],
        label: str,
        resumed: bool,
        progress: dict[str, Any] | None = None,
        stage: str | None = None,
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """Run the wave's items not done by an earlier part of this try; defer on a daily limit.

        Returns ``(done, failed)`` keyed by ``key(item)``: ``done`` holds ``row(item, outcome)``, ``failed``
        ``{"reason", "permanent"}``. Both are kept in the ``wave_progress`` XCom across deferrals, so a
        resumed task sends each item at most once more than an uninterrupted run would: never. A task of
        several steps passes its ``progress`` (saved whole with a deferral, so it may hold more, such as
        who was removed) and names each step's part of it by ``stage``.
        """
        from airflow_provider_zoom.exceptions import ZoomRateLimitError, describe_error
        from airflow_provider_zoom.operators._wave_runner import run_wave

        if progress is None:
            progress = self._progress(context, resumed)
        part = progress.get(stage, {}) if stage else progress
        done: dict[str, dict[str, Any]] = dict(part.get("done", {}))
        failed: dict[str, dict[str, Any]] = dict(part.get("failed", {}))
        todo = [item for item in items if key(item) not in done and key(item) not in failed]
        if resumed:
            self.log.info(
                "Resuming after Zoom's daily limit reset: %d of %d %s already done, sending the other %d",
                len(items) - len(todo), len(items), label, len(todo),
            )
        results = run_wave(todo, call, max_workers=self._in_flight, label=label, log=self.log)
        limited: ZoomRateLimitError | None = None
        finished = 0
        for item, outcome, error in results:
            if isinstance(error, ZoomRateLimitError) and self._defers():
                limited = limited or error  # not sent, or refused: sent again after the reset
                continue
            if error is not None or outcome is None:
                error = error or RuntimeError("no outcome")
                failed[key(item)] = {"reason": describe_error(error), "permanent": bool(getattr(error, "permanent", 0))}
            else:
                done[key(item)] = row(item, outcome)
            finished += 1
        if limited is not None:
            idle = 0 if finished else int(progress.get("idle_deferrals", 0)) + 1
            if stage:
                progress[stage] = {"done": done, "failed": failed}
            else:
                progress.update(done=done, failed=failed)
            progress["idle_deferrals"] = idle
            self._defer_until_reset(context, limited, progress, finished=len(done) + len(failed),
                                    waiting=len(items) - len(done) - len(failed))
        return done, failed

    def _defer_until_reset(
        self, context: Context, exc: ZoomRateLimitError, progress: dict[str, Any], finished: int, waiting: int
    ) -> None:
        from airflow.providers.standard.triggers.temporal import DateTimeTrigger

        from airflow_provider_zoom._compat import AirflowException
        from airflow_provider_zoom.exceptions import describe_error
        from airflow_provider_zoom.operators._wave_runner import daily_limit_resume_at

        if progress["idle_deferrals"] > MAX_IDLE_DEFERRALS:
            raise AirflowException(
                f"Zoom's daily limit still refused every call after {MAX_IDLE_DEFERRALS} waits for its reset; "
                f"{finished} done, {waiting} not sent. Last: {describe_error(exc)}"
            )
        moment, capped = daily_limit_resume_at(exc, now=datetime.now(UTC), max_wait=self.daily_limit_max_wait)
        context["ti"].xcom_push(key=PROGRESS_XCOM_KEY, value=progress)
        self.log.warning(
            "Zoom's daily limit of the %s category is used up (Zoom: resets at %s): %d done, %d waiting. "
            "Deferring until %s%s; the worker and pool slots are free meanwhile",
            exc.category or "unknown", exc.reset_at or "not said", finished, waiting,
            moment.strftime("%Y-%m-%dT%H:%M:%SZ"), " (daily_limit_max_wait)" if capped else "",
        )
        self.defer(trigger=DateTimeTrigger(moment=moment), method_name="resume_wave")

    def _finish(
        self, context: Context, result: dict[str, Any], detail_keys: tuple[str, ...],
        failures: Sequence[dict[str, Any] | BaseException],
    ) -> dict:
        """Keep the XCom small: past ``xcom_detail_limit`` entries the per-group lists go to a report file."""
        from airflow_provider_zoom._compat import AirflowException, AirflowFailException
        from airflow_provider_zoom.exceptions import describe_error
        from airflow_provider_zoom.operators._wave_runner import write_report

        errors = [
            e if isinstance(e, dict) else {"reason": describe_error(e), "permanent": bool(getattr(e, "permanent", 0))}
            for e in failures
        ]
        if sum(len(result[k]) for k in detail_keys) > self.xcom_detail_limit:
            detail = {k: result.pop(k) for k in detail_keys}
            result["report"] = write_report(_report_dir(self.report_dir), _report_name(context, self.task_id), detail)
            self.log.info("Per-group detail written to %s", result["report"])
        if errors:
            context["ti"].xcom_push(key="partial_result", value=result)
            if all(e["permanent"] for e in errors):
                raise AirflowFailException(f"{len(errors)} Zoom calls were refused. First: {errors[0]['reason']}")
            raise AirflowException(
                f"{len(errors)} Zoom calls still failed after retries; re-running the task completes the wave "
                f"without duplicates. First: {errors[0]['reason']}"
            )
        return result


class WaveCreateGroupsOperator(_WaveOperator):
    """
    Create many IM directory groups in one task, at the rate the Zoom plan allows.

    Returns ``{"total", "created_count", "exists_count", "failed_count", "created": [{name, group_id}],
    "exists": [...], "failed": [{name, reason}], "account_id", "group_api"}`` (the last two name the
    account's asset, see ``airflow_provider_zoom.assets``); past ``xcom_detail_limit`` groups, ``created`` and
    ``exists`` move to a JSON report whose path is in ``report`` (read it with
    ``airflow_provider_zoom.operators.waves.load_report``). Invalid specs are reported in ``failed`` and the
    valid ones still go ahead; a Zoom or network failure left after retries fails the task, and a
    retry finishes the wave (its 409s find the groups already made). Where groups already share a name (another
    spelling, or Contact Groups' duplicates), the ``exists`` row names the one adopted and, in ``also_named``, the
    others, which are left alone (``also_named_count`` in the result); a dry run reports the same.

    With ``members_by_name``, each new group's people go in as soon as it exists, in the same thread (IM
    Groups: right after the 201; Contact Groups: in the create), so member calls run beside the creates.
    ``created`` entries then carry ``members_added`` / ``members_rejected``, and the result
    ``members_added``, ``members_rejected`` and ``members_left``: people still owed (pending, or an add that
    failed after its create), which ``WaveAddMembersOperator`` given this result adds.

    :param groups: group names, or dicts with ``name`` and optionally ``type`` and the search flags;
        other keys are ignored (templated).
    :param members_by_name: ``{group name: [emails]}`` to add to the groups this task creates (templated).
    :param group_type: default ``type`` for specs without one (templated).
    :param search_by_domain: default flag (templated); likewise ``search_by_account``, ``search_by_ma_account``.
    :param on_conflict: ``reuse`` or ``fail``, as in ``CreateIMGroupOperator``.
    :param dry_run: look every name up (list calls only), write nothing: ``created`` lists the groups a real
        run would create (``group_id`` None), ``exists`` those already there; the result has ``"dry_run": true``.
    :param kwargs: ``max_workers`` (a ceiling on calls in flight; default: 128 when the wave is paced, where the pace
        and the round trip decide how many are really in flight, 8 when it is not); ``plan`` (pace to a Zoom
        plan's limits: ``free``, ``pro``, ``business``) or ``light_rps`` / ``medium_rps`` (unset: the
        connection's extras decide; none there, no pacing); ``report_dir`` (where large results go, default
        ``$AIRFLOW_HOME/zoom_reports``; shared storage when downstream tasks run on other machines);
        ``xcom_detail_limit``; ``zoom_conn_id``; ``on_daily_limit`` and ``daily_limit_max_wait`` (below); and
        ``BaseOperator``'s arguments.

    A daily-limit 429 (``on_daily_limit="defer"``, the default) defers the task until the reset Zoom announces
    (at most ``daily_limit_max_wait``, default 25 h, later: wait again): worker and pool slots are free meanwhile,
    and the task then sends only what it had not done; its XCom is the one an uninterrupted run returns.
    ``on_daily_limit="fail"`` fails the task at once instead (templated: a DAG Param may choose).
    """

    template_fields: Sequence[str] = (
        "groups", "group_type", "search_by_domain", "search_by_account", "search_by_ma_account", "report_dir", "plan",
        "members_by_name", "zoom_dry_run", "on_daily_limit",
    )

    def __init__(
        self,
        *,
        groups: list[str | dict[str, Any]],
        members_by_name: dict[str, Any] | None = None,
        group_type: str = "normal",
        search_by_domain: bool | str | None = None,
        search_by_account: bool | str | None = None,
        search_by_ma_account: bool | str | None = None,
        on_conflict: str = "reuse",
        dry_run: bool | str = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_conflict not in ON_CONFLICT_CHOICES:
            raise ValueError(f"on_conflict must be one of {ON_CONFLICT_CHOICES}, not {on_conflict!r}")
        self.zoom_dry_run = dry_run  # not ``self.dry_run``: BaseOperator.dry_run() is a method
        self.groups = groups
        self.members_by_name = members_by_name
        self.group_type = group_type
        self.search_by_domain = search_by_domain
        self.search_by_account = search_by_account
        self.search_by_ma_account = search_by_ma_account
        self.on_conflict = on_conflict

    def _specs(self) -> tuple[list[GroupSpec], list[dict[str, str]]]:
        """Validate every entry; duplicates (same ``group_key``: case, spacing, invisibles) are sent once."""
        from airflow_provider_zoom.group_spec import InvalidGroupSpec, group_key, validate_group_spec

        specs: dict[str, GroupSpec] = {}
        invalid: list[dict[str, str]] = []
        for position, entry in enumerate(self.groups or []):
            raw = entry if isinstance(entry, dict) else {"name": entry}
            try:
                spec = validate_group_spec(
                    raw.get("name"),
                    raw.get("type", self.group_type),
                    raw.get("search_by_domain", self.search_by_domain),
                    raw.get("search_by_account", self.search_by_account),
                    raw.get("search_by_ma_account", self.search_by_ma_account),
                )
            except InvalidGroupSpec as exc:
                invalid.append({"name": str(raw.get("name")), "reason": f"groups[{position}]: {exc}"})
                continue
            specs.setdefault(group_key(spec.name), spec)
        return list(specs.values()), invalid

    def _wave(self, context: Context, *, resumed: bool) -> dict[str, Any]:
        from airflow_provider_zoom.assets import zoom_target
        from airflow_provider_zoom.exceptions import fail_fast_on_permanent_errors
        from airflow_provider_zoom.group_spec import group_key

        specs, invalid = self._specs()
        if not resumed:
            for entry in invalid:
                self.log.warning("Not sent: %s", entry["reason"])
        with fail_fast_on_permanent_errors():  # unreadable emails: the same input fails again
            members = members_by_key(self.members_by_name)
        if _flag(self.task_id, "dry_run", self.zoom_dry_run):
            return self._dry_run(context, specs, invalid)
        hook = self._hook()
        done, failures = self._run_resumable(
            context,
            specs,
            key=lambda spec: group_key(spec.name),
            call=lambda spec: hook.groups.create_group(
                spec, on_conflict=self.on_conflict, description=default_description(spec.name),
                members=members.get(group_key(spec.name), ()),
            ),
            row=_group_row,
            label="groups",
            resumed=resumed,
        )
        created: list[dict[str, Any]] = []
        exists: list[dict[str, Any]] = []
        failed: list[dict[str, str]] = list(invalid)
        errors: list[dict[str, Any]] = []
        for spec in sorted(specs, key=lambda spec: spec.name):
            key = group_key(spec.name)
            if key in failures:
                errors.append(failures[key])
                failed.append({"name": spec.name, "reason": failures[key]["reason"]})
            else:
                group = dict(done[key])
                (created if group.pop("outcome") == "created" else exists).append(group)
        result = {
            "total": len(specs) + len(invalid),
            "members_added": sum(len(group.get("members_added", ())) for group in created),
            "members_rejected": sum(len(group.get("members_rejected", ())) for group in created),
            # Members of created groups still owed (pending people, an add that failed): the members step's work.
            "members_left": sum(len(members_owed(group, members)) for group in created),
            "created_count": len(created),
            "exists_count": len(exists),
            "failed_count": len(failed),
            "created": created,
            "exists": exists,
            "failed": failed,
            **zoom_target(hook),  # after the calls: ``auto`` may have switched to Contact Groups
        }
        also_named = sum(len(group.get("also_named", ())) for group in exists)
        if also_named:  # other groups sharing an adopted name, left alone (each named in its ``exists`` row)
            result["also_named_count"] = also_named
        self.log.info(
            "Groups: %d created, %d existed, %d failed; with the creates %d members added, %d refused by Zoom, "
            "%d left for the members step",
            len(created), len(exists), len(failed), result["members_added"], result["members_rejected"],
            result["members_left"],
        )
        return self._finish(context, result, ("created", "exists"), errors)

    def _dry_run(self, context: Context, specs: list[GroupSpec], invalid: list[dict[str, str]]) -> dict[str, Any]:
        """Which groups a real run would create and which exist: one listing of the account, nothing written."""
        from airflow_provider_zoom.exceptions import fail_fast_on_permanent_errors
        from airflow_provider_zoom.group_spec import group_key
        from airflow_provider_zoom.groups.names import pick

        hook = self._hook()
        with fail_fast_on_permanent_errors():
            listed = hook.groups.group_refs()
        by_key: dict[str, list[dict[str, Any]]] = {}
        for group in listed:  # several groups may share a name's identity (contact groups, other spellings)
            by_key.setdefault(group_key(group["name"]), []).append(dict(group))
        created: list[dict[str, Any]] = []
        exists: list[dict[str, Any]] = []
        for spec in specs:
            # The real run's rule (``names.pick``): the group it will adopt, and the others it will leave alone.
            chosen, others = pick(spec.name, by_key.get(group_key(spec.name), []), id_field="group_id",
                                  name_field="name")
            if chosen is None:
                created.append({"name": spec.name, "group_id": None})
                continue
            row: dict[str, Any] = {"name": spec.name, "group_id": chosen["group_id"]}
            if others:
                row["also_named"] = [{"group_id": g["group_id"], "name": g["name"]} for g in others]
                self.log.warning(
                    "Dry run: %r would adopt %s (%r) and leave alone %s", spec.name, chosen["group_id"],
                    chosen["name"], ", ".join(f"{g['group_id']} {g['name']!r}" for g in others),
                )
            exists.append(row)
        result = {
            "total": len(specs) + len(invalid),
            "members_added": 0,
            "created_count": len(created),
            "exists_count": len(exists),
            "failed_count": len(invalid),
            "created": sorted(created, key=lambda g: g["name"]),
            "exists": sorted(exists, key=lambda g: g["name"]),
            "failed": list(invalid),
            "dry_run": True,
        }
        also_named = sum(len(group.get("also_named", ())) for group in exists)
        if also_named:
            result["also_named_count"] = also_named
        self.log.info(
            "Dry run, nothing written: %d groups would be created, %d exist, %d invalid",
            len(created), len(exists), len(invalid),
        )
        return self._finish(context, result, ("created", "exists"), [])


class WaveAddMembersOperator(_WaveOperator):
    """
    Add members to many IM groups in one task: 10 per call, paced by Zoom's Medium limit.

    Returns ``{"groups_count", "members_added", "members_rejected", "members_pending", "failed_count",
    "groups": [{"name", "group_id", "added", "rejected": [{"email", "reason"}], "pending"}], "failed",
    "account_id", "group_api"}``.
    People Zoom refuses (not a user of the account, a malformed address) are dropped from their batch, the
    others still added, and reported per group in ``rejected`` and in total in ``members_rejected``; on
    Contact Groups, people not in Zoom yet or not active yet are ``pending`` (``members_pending``). Neither
    fails the task.

    :param groups: ``[{"group_id", "emails", "name"?}]`` (templated), or a result of
        ``WaveCreateGroupsOperator`` together with ``members_by_name``.
    :param members_by_name: ``{group name: [emails]}`` used with a ``WaveCreateGroupsOperator`` result; names
        that are one group (``group_key``: case, spacing) have their emails merged. Emails may also be
        one string, as for ``AddIMGroupMembersOperator``.
    :param source: with a ``WaveCreateGroupsOperator`` result, which groups: ``created`` or ``exists``.
    :param only_missing: list each group first and add only people not yet in it (reconcile).
    :param membership: ``add_only`` (default) or ``exact``: each group's members become exactly its cohort
        (its ``emails``, or ``members_by_name``); the others are removed and reported by email per group in
        ``removed`` and in total in ``members_removed``. Every group is planned (list calls) before anything is
        written, and the task stops (``ZoomRemovalLimitError`` naming each group, how many would go and the
        share) without any change when a group would lose more than ``max_removal_share`` or be emptied.
    :param max_removal_share: see ``membership`` (default 0.5). The share is also held across runs: a group may
        not be left with less than ``1 - max_removal_share`` of the most members it has had, its baseline, kept
        in an Airflow Variable per group (``groups.removal_baseline``).
    :param keep_members: with ``exact``, members never removed: emails or ``fnmatch`` patterns such as
        ``*@hr.example.com`` (case-insensitive; a list, or one string separated by commas or spaces; templated).
        They are reported per group in ``kept``.
    :param dry_run: plan every group (list and get calls only), write nothing, and return per group what a
        real run would do: ``added`` (would add), ``pending``, ``removed`` (would remove, with ``exact``),
        ``blocked``; the result has ``"dry_run": true`` and the task log a table.

    Exact membership and dry runs defer on Zoom's daily limit like an ``add_only`` wave: the groups planned,
    the groups done and each person removed wait in the ``wave_progress`` XCom, and the resumed task plans
    again (reads) and applies only the groups not done. Every removal Zoom confirmed is logged as it happens
    and reported in ``removed`` / ``members_removed``, also for a group that failed after it (its ``failed``
    entry's ``removed``).
    """

    template_fields: Sequence[str] = (
        "groups", "members_by_name", "report_dir", "plan", "membership", "max_removal_share", "zoom_dry_run",
        "on_daily_limit", "keep_members",
    )

    def __init__(
        self,
        *,
        groups: list[dict[str, Any]] | dict[str, Any],
        members_by_name: dict[str, list[str]] | None = None,
        source: str | None = None,
        only_missing: bool = False,
        membership: str = "add_only",
        max_removal_share: float | str = DEFAULT_MAX_REMOVAL_SHARE,
        dry_run: bool | str = False,
        keep_members: list[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if "{{" not in str(membership) and membership not in MEMBERSHIP_CHOICES:
            raise ValueError(f"membership must be one of {MEMBERSHIP_CHOICES}, not {membership!r}")
        self.keep_members = keep_members
        self.groups = groups
        self.members_by_name = members_by_name
        self.source = source
        self.only_missing = only_missing
        self.membership = membership
        self.max_removal_share = max_removal_share
        self.zoom_dry_run = dry_run  # not ``self.dry_run``: BaseOperator.dry_run() is a method

    def _assignments(self) -> list[dict[str, Any]]:
        from airflow_provider_zoom._compat import AirflowFailException
        from airflow_provider_zoom.emails import email_list
        from airflow_provider_zoom.group_spec import group_key
        from airflow_provider_zoom.operators._wave_runner import load_report

        if isinstance(self.groups, dict):  # a WaveCreateGroupsOperator result
            wave = load_report(self.groups)
            members = members_by_key(self.members_by_name)
            assignments = []
            for g in wave.get(self.source or "created", []):
                # Created groups took their members in the create where they could: only the others here.
                # ``keep``: the whole cohort, who exact membership leaves in the group.
                cohort = members.get(group_key(g["name"]), [])
                assignments.append({"group_id": g["group_id"], "name": g["name"], "emails": members_owed(g, members),
                                    "keep": cohort})
            return assignments
        assignments = []
        for position, entry in enumerate(self.groups or []):
            if not isinstance(entry, dict) or not entry.get("group_id"):
                raise AirflowFailException(f"{self.task_id}: groups[{position}] must be a dict with a group_id")
            assignments.append({**entry, "emails": email_list(entry.get("emails"), f"groups[{position}].emails")})
        return assignments

    def _wave(self, context: Context, *, resumed: bool) -> dict[str, Any]:
        from airflow_provider_zoom.assets import zoom_target
        from airflow_provider_zoom.exceptions import fail_fast_on_permanent_errors
        from airflow_provider_zoom.groups.membership import check_membership, check_removal_share, keep_patterns

        dry_run = _flag(self.task_id, "dry_run", self.zoom_dry_run)
        with fail_fast_on_permanent_errors():  # unreadable emails or settings: the same input fails again
            exact = check_membership(self.membership) == "exact"
            share = check_removal_share(self.max_removal_share)
            keep_patterns(self.keep_members)
            # With exact, a cohort whose people are all in already still has its leavers to remove.
            assignments = [a for a in self._assignments() if a.get("emails") or (exact and a.get("group_id"))]
        if exact or dry_run:
            return self._planned(context, assignments, exact=exact, share=share, dry_run=dry_run, resumed=resumed)
        numbered = list(enumerate(assignments))
        hook = self._hook()
        done, failures = self._run_resumable(
            context,
            numbered,
            key=lambda numbered: str(numbered[0]),  # the same inputs give the same order when the task resumes
            call=lambda numbered: hook.groups.add_members(
                numbered[1]["group_id"], numbered[1]["emails"], only_missing=self.only_missing,
                name=numbered[1].get("name"),
            ),
            row=_members_row,
            label="group members",
            resumed=resumed,
        )
        groups: list[dict[str, Any]] = []
        failed: list[dict[str, str]] = []
        errors: list[dict[str, Any]] = []
        for position, assignment in sorted(numbered, key=lambda n: str(n[1].get("name", n[1]["group_id"]))):
            if str(position) in failures:
                errors.append(failures[str(position)])
                failed.append({"name": assignment.get("name", assignment["group_id"]),
                               "reason": failures[str(position)]["reason"]})
            else:
                groups.append(done[str(position)])
        result = {
            "groups_count": len(assignments),
            "members_added": sum(len(g["added"]) for g in groups),
            "members_rejected": sum(len(g["rejected"]) for g in groups),
            "members_pending": sum(len(g["pending"]) for g in groups),
            "failed_count": len(failed),
            "groups": groups,
            "failed": failed,
            **zoom_target(hook),
        }
        self.log.info("Members: %d added across %d groups, %d refused by Zoom, %d groups failed",
                      result["members_added"], len(groups), result["members_rejected"], len(failed))
        return self._finish(context, result, ("groups",), errors)

    def _planned(
        self, context: Context, assignments: list[dict[str, Any]], *, exact: bool, share: float, dry_run: bool,
        resumed: bool,
    ) -> dict[str, Any]:
        """Exact membership or a dry run: every group is planned (reads only), the removals are checked, then
        the plans are applied. A truncated extract stops the task with nothing removed (and nothing added: fix
        the extract or the Param, then re-run).

        Both steps defer on Zoom's daily limit (``_run_resumable``, stages ``plans`` and ``apply``). After a
        deferral in the apply step, each group not done is planned again as it is then (the people already
        removed are gone from it) and checked again against its baseline; ``removed`` in the progress is the
        ledger of everyone removed so far, by group.
        """
        from airflow_provider_zoom._compat import AirflowFailException
        from airflow_provider_zoom.assets import zoom_target
        from airflow_provider_zoom.emails import union_emails
        from airflow_provider_zoom.groups.membership import (
            WavePlan,
            apply_plan,
            blocked_removals,
            check_removals,
            dry_run_rows,
            format_dry_run,
            plan_group,
        )
        from airflow_provider_zoom.groups.removal_baseline import default_baselines
        from airflow_provider_zoom.operators._removal_ledger import earlier_removals, forget_removals, keep_removals

        hook = self._hook()
        groups = hook.groups
        progress = self._progress(context, resumed)
        numbered = sorted(enumerate(assignments), key=lambda n: _assignment_name(n[1]))

        def key(n: tuple[int, dict[str, Any]]) -> str:
            return str(n[0])  # the same inputs give the same order when the task resumes

        def plan_one(n: tuple[int, dict[str, Any]]) -> Any:
            a = n[1]
            return plan_group(groups, a["group_id"], a["emails"], keep=a.get("keep"), only_missing=self.only_missing,
                              membership="exact" if exact else "add_only", keep_members=self.keep_members)

        applying = progress.get("stage") == "apply"
        fresh: dict[str, Any] = {}
        if not applying:
            plans, plan_failed = self._run_resumable(
                context, numbered, key=key, call=plan_one, row=lambda n, plan: dict(plan), label="group plans",
                resumed=resumed, progress=progress, stage="plans",
            )
            wave = WavePlan(plans=[(n[1], cast("MemberPlan", plans[key(n)])) for n in numbered if key(n) in plans])
            stored = self._stored_baselines(groups, wave) if exact else {}
            baselines = {group_id: max(stored[group_id] or 0, plan["members"])
                         for _, plan in wave.plans if (group_id := str(plan["group_id"])) in stored}
            if dry_run:
                action = "create" if self.source == "created" and isinstance(self.groups, dict) else "exists"
                rows = dry_run_rows(wave, share, action=action, baselines=baselines)
                self.log.info("Dry run, nothing written; a real run would do:\n%s", format_dry_run(rows))
                result = self._member_result(assignments, rows, _failed_rows(numbered, plan_failed, {}), exact=exact)
                result["dry_run"] = True
                return self._finish(context, result, ("groups",), list(plan_failed.values()))
            blocked = blocked_removals(wave, share, baselines)
            if blocked:
                for limit in blocked:
                    self.log.error("%s", limit)
                context["ti"].xcom_push(key="removal_limit", value=[str(limit) for limit in blocked])
                more = f" (and {len(blocked) - 1} more groups, see the log)" if len(blocked) > 1 else ""
                raise AirflowFailException(f"{blocked[0]}{more}")
            store = default_baselines()
            for group_id, baseline in baselines.items():  # before any removal: the guard of later runs
                if baseline != stored[group_id]:
                    store.raise_to(groups.api_name, group_id, baseline)
            fresh = dict(plans)
            earlier = earlier_removals(context)  # by failed tries of this task: named again in this one's result
            progress = {"stage": "apply", "plan_failed": plan_failed, "baselines": baselines,
                        "idle_deferrals": progress.get("idle_deferrals", 0), "earlier_tries": bool(earlier),
                        "removed": {key(n): earlier[str(n[1]["group_id"])] for n in numbered
                                    if str(n[1]["group_id"]) in earlier}}
        plan_failed = progress["plan_failed"]
        ledger: dict[str, list[str]] = progress["removed"]

        def apply_one(n: tuple[int, dict[str, Any]]) -> dict[str, Any]:
            plan = fresh.pop(key(n), None)
            if plan is None:  # resumed after a deferral: the group as it is now, checked again
                plan = plan_one(n)
                check_removals(_assignment_name(n[1]), plan, share, progress["baselines"].get(str(plan["group_id"])))
            return apply_plan(groups, plan, name=n[1].get("name"), on_removed=ledger.setdefault(key(n), []).append)

        def row(n: tuple[int, dict[str, Any]], outcome: dict[str, Any]) -> dict[str, Any]:
            return {"name": _assignment_name(n[1]), **outcome, "removed": union_emails(ledger.get(key(n), []))}

        done, failures = self._run_resumable(
            context, [n for n in numbered if key(n) not in plan_failed], key=key, call=apply_one, row=row,
            label="group members", resumed=applying, progress=progress, stage="apply",
        )
        failed = _failed_rows(numbered, {**plan_failed, **failures}, ledger)
        for entry in failed:
            if entry.get("removed"):
                self.log.error("Group %s failed after removing %d people: %s. %s", entry["name"],
                               len(entry["removed"]), ", ".join(entry["removed"]), entry["reason"])
        if failures or plan_failed:  # the task fails: a retry names these people again
            keep_removals(context, {str(n[1]["group_id"]): ledger.get(key(n), []) for n in numbered})
        elif progress["earlier_tries"]:
            forget_removals(context)
        result = self._member_result(assignments, [done[key(n)] for n in numbered if key(n) in done], failed,
                                     exact=exact)
        result.update(zoom_target(hook))
        self.log.info("Members: %d added, %d removed across %d groups, %d refused by Zoom, %d groups failed",
                      result["members_added"], result.get("members_removed", 0), len(done),
                      result["members_rejected"], len(failed))
        return self._finish(context, result, ("groups",), [*plan_failed.values(), *failures.values()])

    @staticmethod
    def _stored_baselines(groups: Any, wave: Any) -> dict[str, int | None]:
        """``{group_id: stored baseline or None}`` of the planned groups that exist (read from the task's main
        thread: Variables go through the task's supervisor)."""
        from airflow_provider_zoom.groups.removal_baseline import default_baselines

        store = default_baselines()
        return {str(plan["group_id"]): store.get(groups.api_name, str(plan["group_id"]))
                for _, plan in wave.plans if plan["group_id"]}

    @staticmethod
    def _member_result(
        assignments: list[dict[str, Any]], groups: list[dict[str, Any]], failed: list[dict[str, str]], *, exact: bool
    ) -> dict[str, Any]:
        result = {
            "groups_count": len(assignments),
            "members_added": sum(len(g["added"]) for g in groups),
            "members_rejected": sum(len(g.get("rejected", [])) for g in groups),
            "members_pending": sum(len(g.get("pending", [])) for g in groups),
            "failed_count": len(failed),
            "groups": groups,
            "failed": failed,
        }
        if exact:  # add_only results keep their shape: no removals are part of them
            result["members_removed"] = sum(len(g.get("removed") or []) for g in [*groups, *failed])
        return result


__all__ = ["WaveAddMembersOperator", "WaveCreateGroupsOperator", "load_report"]

def _group_row(spec: GroupSpec, outcome: GroupOutcome) -> dict[str, Any]:
    """A created or found group as the XCom lists it, plus its ``outcome`` (a JSON row: it may wait in an XCom)."""
    group: dict[str, Any] = {"name": outcome.name, "group_id": outcome.group_id}
    if outcome.members_added:  # members sent with the create (either API)
        group["members_added"] = list(outcome.members_added)
    if outcome.members_rejected:  # refused then: not sent again
        group["members_rejected"] = [dict(r) for r in outcome.members_rejected]
    if outcome.also_named:  # other groups already sharing the name: adopted is ``group_id``, these are left alone
        group["also_named"] = [dict(r) for r in outcome.also_named]
    group["outcome"] = outcome.outcome
    return group


def _assignment_name(assignment: dict[str, Any]) -> str:
    return str(assignment.get("name", assignment["group_id"]))


def _failed_rows(
    numbered: list[tuple[int, dict[str, Any]]], failures: dict[str, dict[str, Any]], ledger: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The ``failed`` entries of a member wave, by name; a group that failed after removals names them."""
    rows: list[dict[str, Any]] = []
    for position, assignment in numbered:
        if str(position) in failures:
            rows.append({"name": _assignment_name(assignment), "reason": failures[str(position)]["reason"]})
            if ledger.get(str(position)):
                rows[-1]["removed"] = list(ledger[str(position)])
    return rows


def _members_row(numbered: tuple[int, dict[str, Any]], outcome: MembersAdded) -> dict[str, Any]:
    assignment = numbered[1]
    # A racing task may have merged the contact group into a same-named one: Zoom's answer says where.
    return {"name": assignment.get("name", assignment["group_id"]),
            "group_id": outcome["group_id"] or assignment["group_id"], "added": outcome["added"],
            "rejected": outcome["rejected"], "pending": outcome["pending"]}


def members_by_key(members_by_name: dict[str, Any] | None) -> dict[str, list[str]]:
    """``{group name: emails}`` keyed by ``group_key``: two spellings of one group get both lists, never one."""
    from airflow_provider_zoom.emails import email_list, union_emails
    from airflow_provider_zoom.group_spec import group_key

    members: dict[str, list[str]] = {}
    for name, emails in (members_by_name or {}).items():
        key = group_key(name)
        members[key] = union_emails(members.get(key, []), email_list(emails, f"members_by_name[{name!r}]"))
    return members


def members_owed(group: dict[str, Any], members: dict[str, list[str]]) -> list[str]:
    """The group's people not yet added or refused by the create wave (a ``created`` entry of its result)."""
    from airflow_provider_zoom.group_spec import group_key

    done = {e.lower() for e in group.get("members_added", ())}
    done |= {str(r.get("email", "")).lower() for r in group.get("members_rejected", ())}
    return [e for e in members.get(group_key(group["name"]), []) if e.lower() not in done]


def load_report(result: dict[str, Any]) -> dict[str, Any]:
    """The full result of a wave task: its XCom, completed from the report file when it was too large."""
    from airflow_provider_zoom.operators._wave_runner import load_report as load

    return load(result)


#: the names of 0.1.0, one letter away from the single-group operators'
__getattr__ = retired_names(__name__, {
    "CreateIMGroupsOperator": "airflow_provider_zoom.operators.waves:WaveCreateGroupsOperator",
    "AddIMGroupsMembersOperator": "airflow_provider_zoom.operators.waves:WaveAddMembersOperator",
})
