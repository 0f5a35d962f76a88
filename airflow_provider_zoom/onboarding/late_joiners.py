"""Late joiners: hires who were pending or missing in Zoom on their day join their cohort group once active.

A cohort run adds the people Zoom has as users; the others (``pending`` in a member result, or refused because
Zoom does not know them yet) are *owed* to that group. Each daily run's ``late_joiners`` step records this run's
owed people, then looks up only the owed people of the look-back window (``late_joiner_days``): active ones are
added to their group, still pending ones stay owed, and once the window has passed they are reported as
``still_pending`` (once, on the run that closes their window; a re-run of that day reports them again). No listing
of the account: per group with owed people, one add of just them (the group's backend looks them up as its API
needs: one ``GET /users/{email}`` each on Contact Groups, none on IM Groups, which take e-mails).

With ``invite_missing_users`` a hire Zoom has no user for gets Zoom's invitation (``POST /v2/users``), at most
once per address whatever re-runs and backfills do: the invitations sent are recorded. A dry run looks people up,
writes nothing and reports what it would add and whom it would invite.

The record lives in ``$AIRFLOW_HOME/zoom_onboarding/`` (one file of owed people and one of invitations per
connection, shared by the daily and the wave DAG),
rewritten atomically under a lock, so the parallel runs of a backfill do not lose each other's entries.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_zoom._files import write_atomically
from airflow_provider_zoom.exceptions import ZoomNoSeatsError, ZoomRateLimitError, describe_error

if TYPE_CHECKING:
    from airflow_provider_zoom.groups.base import GroupAPI
    from airflow_provider_zoom.groups.users import ZoomUsers

__all__ = [
    "DEFAULT_LATE_JOINER_DAYS",
    "LateJoinerReport",
    "late_joiner_step",
    "owed_from_results",
    "record_dir",
    "report_still_pending",
    "visit_late_joiners",
]

log = logging.getLogger(__name__)

DEFAULT_LATE_JOINER_DAYS = 14
RECORD_VERSION = 1


def record_dir() -> Path:
    return Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow")) / "zoom_onboarding"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "default"


def owed_from_results(member_results: Iterable[Mapping[str, Any] | None], day: date) -> list[dict[str, str]]:
    """The people a run's member results left out of their group for want of an active Zoom user: ``pending``
    ones, and refused ones (a backend that takes e-mails refuses an address Zoom does not know; the lookup sorts
    them: a deactivated user or a bad address is dropped at once)."""
    owed: dict[tuple[str, str], dict[str, str]] = {}
    for result in member_results:
        if not result or not result.get("group_id"):  # a dry run's group not created yet: nobody is owed to it
            continue
        group_id = str(result.get("group_id") or "")
        name = str(result.get("name") or group_id)
        people = [*result.get("pending", []), *(r.get("email", "") for r in result.get("rejected", []) or [])]
        for email in people:
            email = str(email).strip().lower()
            if email:
                owed.setdefault((group_id, email), {"group_id": group_id, "group": name, "email": email,
                                                    "since": day.isoformat()})
    return list(owed.values())


@dataclass
class LateJoinerReport:
    """What one visit did (or, in a dry run, would do); ``to_dict`` is the task's XCom."""

    window_days: int
    invitations_on: bool
    dry_run: bool
    late_added: list[dict[str, str]] = field(default_factory=list)  # {"email", "group"}
    still_pending: list[dict[str, str]] = field(default_factory=list)  # {"email", "group", "since"}
    owed: int = 0
    looked_up: int = 0
    invited: list[str] = field(default_factory=list)
    invite_problems: list[dict[str, str]] = field(default_factory=list)  # {"email", "reason"}
    refused: list[dict[str, str]] = field(default_factory=list)  # owed people Zoom will not take: dropped

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "window_days": self.window_days, "late_added": self.late_added, "still_pending": self.still_pending,
            "owed": self.owed, "looked_up": self.looked_up, "refused": self.refused,
        }
        if self.invitations_on:
            out["invited"] = self.invited
            out["invite_problems"] = self.invite_problems
        if self.dry_run:
            out["dry_run"] = True
        return out


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(f"late-joiner record {path} cannot be read ({exc}): fix or delete it") from None
    return data if isinstance(data, dict) else {}


def _save(path: Path, data: dict[str, Any]) -> None:
    write_atomically(path, lambda handle: json.dump(data, handle, indent=1, sort_keys=True), folder_mode=0o700)


def _key(entry: Mapping[str, str]) -> str:
    return f"{entry['group_id']}|{entry['email']}"


def visit_late_joiners(
    groups: GroupAPI,
    users: ZoomUsers,
    *,
    day: date,
    new_owed: Iterable[Mapping[str, str]] = (),
    window_days: int = DEFAULT_LATE_JOINER_DAYS,
    invite_missing_users: bool = False,
    invite_user_type: int = 1,
    names: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    record_name: str = "zoom_onboarding",
    invitations_name: str = "zoom_default",
    folder: str | os.PathLike[str] | None = None,
) -> LateJoinerReport:
    """Record ``new_owed`` (this run's), then visit every owed person of the window ending on ``day``.

    ``names`` maps an e-mail to ``{"first_name", "last_name"}`` for invitations. Raises ``ZoomRateLimitError``
    when Zoom's daily create cap stops invitations (after saving what was done); running out of seats stops
    inviting and is reported in ``invite_problems``.
    """
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 0:
        raise ValueError(f"late_joiner_days must be a whole number of days >= 0, not {window_days!r}")
    report = LateJoinerReport(window_days, invite_missing_users, dry_run)
    base = Path(folder) if folder is not None else record_dir()
    record_path = base / f"late_joiners-{_safe(record_name)}.json"
    invitations_path = base / f"invitations-{_safe(invitations_name)}.json"
    with _locked(base):
        record = _load(record_path)
        owed: dict[str, dict[str, Any]] = dict(record.get("owed") or {})
        invitations: dict[str, dict[str, Any]] = dict(_load(invitations_path).get("invitations") or {})
        for entry in new_owed:
            current = owed.get(_key(entry))
            if current is None:
                owed[_key(entry)] = dict(entry)
            elif entry["since"] < current["since"]:  # a backfill of an earlier day: the window starts then
                current["since"] = entry["since"]
        try:
            _visit(groups, users, owed, invitations, report, day=day, window_days=window_days,
                   invite=invite_missing_users, user_type=invite_user_type, names=names or {}, dry_run=dry_run)
        finally:  # a failure part-way (a daily cap, a missing scope) keeps this run's owed people and invitations
            if not dry_run:
                _save(record_path, {"version": RECORD_VERSION, "owed": owed})
                if invite_missing_users:
                    _save(invitations_path, {"version": RECORD_VERSION, "invitations": invitations})
    return report


def _visit(
    groups: GroupAPI, users: ZoomUsers, owed: dict[str, dict[str, Any]], invitations: dict[str, dict[str, Any]],
    report: LateJoinerReport, *, day: date, window_days: int, invite: bool, user_type: int,
    names: Mapping[str, Any], dry_run: bool,
) -> None:
    """Per group, one add of its owed people (a dry run plans it instead): the backend looks people up the way its
    API needs (Contact Groups by id, IM Groups by e-mail), so nobody is looked up twice. Whoever is still out is
    owed until the window closes; a refused person is looked up once to tell "not in Zoom yet" from a refusal."""
    today = day.isoformat()
    due = [e for e in owed.values() if e["since"] <= today and (not e.get("expired_on") or e["expired_on"] == today)]
    report.owed = len(due)
    by_group: dict[str, list[dict[str, Any]]] = {}
    for entry in sorted(due, key=lambda e: (e["since"], e["group"], e["email"])):
        if entry.get("expired_on") == today:  # this day's run reported them before: the same report again
            report.still_pending.append(_pending(entry))
        else:
            by_group.setdefault(entry["group_id"], []).append(entry)
    seats_left = True
    for group_id, entries in by_group.items():
        name = entries[0]["group"]
        emails = [e["email"] for e in entries]
        report.looked_up += len(emails)
        if dry_run:
            plan = groups.plan_members(group_id, emails, list_current=True)
            # A plan from e-mails (IM Groups) cannot tell who Zoom would refuse: the dry run asks (reads only).
            active = {e for e in plan["add"] if users.resolve(e).state == "active"}
            added = [e for e in plan["add"] if e in active]
            pending = [*plan["pending"], *(e for e in plan["add"] if e not in active)]
            rejected = plan["rejected"]
        else:
            result = groups.add_members(group_id, emails, only_missing=True, name=name)
            added, pending, rejected = result["added"], result["pending"], result["rejected"]
        report.late_added += [{"email": e, "group": name} for e in added]
        out = set(pending)
        for refusal in rejected:  # not in Zoom yet (IM Groups refuse an unknown address), or refused for good?
            user = users.resolve(refusal["email"])
            if user.state == "pending":
                out.add(refusal["email"])
            else:
                report.refused.append({"email": refusal["email"], "group": name, "reason": refusal["reason"]})
        for entry in entries:
            email = entry["email"]
            if email not in out:  # in the group now (or refused for good): no longer owed
                if not dry_run:
                    del owed[_key(entry)]
                continue
            if invite and seats_left and email not in invitations and users.resolve(email).missing:
                seats_left = _invite(users, email, invitations, report, user_type, names, today, dry_run)
            if date.fromisoformat(entry["since"]) + timedelta(days=window_days) <= day:
                report.still_pending.append(_pending(entry))
                if not dry_run:
                    entry["expired_on"] = today
    if report.late_added:
        groups.log.info("Late joiners added to their cohort group%s: %s", " (dry run: would be)" if dry_run else "",
                        ", ".join(f"{a['email']} ({a['group']})" for a in report.late_added))
    if report.still_pending:
        groups.log.warning(
            "%d hires are still not active in Zoom %d days after their start (HR may chase them): %s",
            len(report.still_pending), window_days,
            ", ".join(f"{p['email']} (since {p['since']}, {p['group']})" for p in report.still_pending),
        )


def late_joiner_step(
    member_results: Iterable[Mapping[str, Any] | None], *, day: date, params: Mapping[str, Any],
    names: Mapping[str, Any] | None, conn_id: str,
) -> dict[str, Any]:
    """The ``late_joiners`` task of both onboarding DAGs: this run's member results (rows with ``group_id``,
    ``name``, ``pending``, ``rejected``) and the DAG's Params in, the XCom out.

    Both DAGs share one record per connection, so the daily runs also pick up a wave's late joiners. Zoom's daily
    create cap fails the task (a plain task cannot defer) with the reset time, after recording what was done.
    """
    from airflow_provider_zoom._compat import AirflowFailException
    from airflow_provider_zoom.assets import zoom_target
    from airflow_provider_zoom.exceptions import fail_fast_on_permanent_errors
    from airflow_provider_zoom.groups.users import ZoomUsers
    from airflow_provider_zoom.hooks.zoom import ZoomHook

    hook = ZoomHook(zoom_conn_id=conn_id)
    try:
        with fail_fast_on_permanent_errors():
            report = visit_late_joiners(
                hook.groups, ZoomUsers(hook), day=day, new_owed=owed_from_results(member_results, day),
                window_days=int(params["late_joiner_days"]),
                invite_missing_users=bool(params["invite_missing_users"]),
                invite_user_type=int(params["invite_user_type"]), names=names or {},
                dry_run=bool(params["dry_run"]), record_name=conn_id, invitations_name=conn_id,
            )
    except ZoomRateLimitError as exc:
        raise AirflowFailException(
            f"Zoom's daily limit stopped the late-joiner step; what was done is recorded, the next run goes on "
            f"from there: {exc}"
        ) from None
    return {**report.to_dict(), **(zoom_target(hook) if report.looked_up else {})}


def report_still_pending(ti: Any, late: Mapping[str, Any]) -> None:
    """For the summary task: who is still pending after the window (HR chases them), by e-mail, in the log and the
    ``still_pending_emails`` XCom; and the invitations Zoom refused."""
    still = late.get("still_pending") or []
    ti.xcom_push(key="still_pending_emails", value=[p["email"] for p in still])
    if still:
        log.warning("Still not active in Zoom after %s days: %s", late.get("window_days"),
                    ", ".join(f"{p['email']} ({p['group']}, since {p['since']})" for p in still))
    problems = late.get("invite_problems") or []
    if problems:
        log.warning("Invitations Zoom refused: %s", "; ".join(f"{p['email']}: {p['reason']}" for p in problems))


def _pending(entry: Mapping[str, Any]) -> dict[str, str]:
    return {"email": entry["email"], "group": entry["group"], "since": entry["since"]}


def _invite(
    users: ZoomUsers, email: str, invitations: dict[str, dict[str, Any]], report: LateJoinerReport, user_type: int,
    names: Mapping[str, Any], today: str, dry_run: bool,
) -> bool:
    """Invite one person unless a run invited them before; False when Zoom has no seat left."""
    if dry_run:
        report.invited.append(email)
        users.log.info("Dry run: would invite %s to Zoom (POST /users, action create)", email)
        return True
    person = names.get(email) or {}
    try:
        invitation = users.invite(email, user_type=user_type, first_name=person.get("first_name", ""),
                                  last_name=person.get("last_name", ""))
    except ZoomNoSeatsError as exc:
        report.invite_problems.append({"email": email, "reason": describe_error(exc)})
        users.log.warning("%s", exc)
        return False
    invitations[email] = {"on": today, "result": invitation.result}
    if invitation.result == "invited":
        report.invited.append(email)
        users.log.info("Invited %s to Zoom: the invitation e-mail is on its way", email)
    elif invitation.result != "exists":
        report.invite_problems.append({"email": email, "reason": invitation.reason or invitation.result})
        users.log.warning("Zoom did not invite %s: %s", email, invitation.reason)
    return True
