"""Operators for one Zoom group, on whichever group API the connection selects (IM Groups or Contact Groups).

Thin shells: they validate their arguments, then call ``hook.groups`` (``airflow_provider_zoom.groups``) and
report. Only ``airflow.sdk`` is imported when a DAG file is parsed; the hook, the groups layer and the HTTP
stack are imported by ``execute``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_zoom._defaults import (
    DEFAULT_CONN_ID,
    DEFAULT_MAX_REMOVAL_SHARE,
    MEMBERSHIP_CHOICES,
    ON_CONFLICT_CHOICES,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_zoom.hooks.zoom import ZoomHook

__all__ = ["AddGroupMembersOperator", "CreateGroupOperator", "default_description"]


class CreateGroupOperator(BaseOperator):
    """
    Create a Zoom group: an IM directory group (``POST /v2/im/groups``, multipart form as in Zoom's docs),
    or a contact group on accounts where Zoom retired IM groups (the connection's ``group_api``).

    Returns ``{"status_code": 201|409, "outcome": "created"|"exists", "group_id", "name", "account_id",
    "group_api"}`` as XCom so that downstream tasks can branch on whether the group is new (a contact group
    found by name is ``exists``, 409, too) and a run's last task can name the account's asset
    (``airflow_provider_zoom.assets``).

    :param name: group name, 1-128 characters after trimming (templated).
    :param group_type: ``normal``, ``shared`` or ``restricted`` (templated).
    :param search_by_domain: members can search others of their email domain (templated).
    :param search_by_account: members can search others of the account (templated).
    :param search_by_ma_account: members can search the master account and sub accounts (templated).
        Flags left as ``None`` are not sent, so Zoom keeps its default.
        Contact Groups have no such flags: one set explicitly is logged as ignored there.
    :param description: the contact group's description (templated; Contact Groups only, IM groups have
        none). Default: ``"Onboarding cohort "`` and the name without a leading ``"Onboarding "``.
    :param on_conflict: ``reuse`` (default) reports an existing group of that name with its id;
        ``fail`` fails the task instead.
    :param dry_run: look the name up (list calls only) and report ``created`` (would be created, no
        ``group_id``) or ``exists``, with ``"dry_run": true``; nothing is written (templated).
    :param zoom_conn_id: connection of type ``zoom``.
    """

    template_fields: Sequence[str] = (
        "name",
        "group_type",
        "search_by_domain",
        "search_by_account",
        "search_by_ma_account",
        "description",
        "zoom_dry_run",
    )
    ui_color = "#2D8CFF"

    def __init__(
        self,
        *,
        name: str,
        group_type: str = "normal",
        search_by_domain: bool | str | None = None,
        search_by_account: bool | str | None = None,
        search_by_ma_account: bool | str | None = None,
        description: str | None = None,
        on_conflict: str = "reuse",
        dry_run: bool | str = False,
        zoom_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_conflict not in ON_CONFLICT_CHOICES:
            raise ValueError(f"on_conflict must be one of {ON_CONFLICT_CHOICES}, not {on_conflict!r}")
        self.zoom_dry_run = dry_run  # not ``self.dry_run``: BaseOperator.dry_run() is a method
        self.name = name
        self.group_type = group_type
        self.search_by_domain = search_by_domain
        self.search_by_account = search_by_account
        self.search_by_ma_account = search_by_ma_account
        self.description = description
        self.on_conflict = on_conflict
        self.zoom_conn_id = zoom_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_zoom._compat import AirflowFailException
        from airflow_provider_zoom.assets import zoom_target
        from airflow_provider_zoom.exceptions import fail_fast_on_permanent_errors
        from airflow_provider_zoom.group_spec import InvalidGroupSpec, validate_group_spec
        from airflow_provider_zoom.hooks.zoom import ZoomHook

        try:
            spec = validate_group_spec(
                self.name, self.group_type, self.search_by_domain, self.search_by_account, self.search_by_ma_account
            )
        except InvalidGroupSpec as exc:
            # Retrying cannot fix a bad value: fail now, before anything is sent.
            raise AirflowFailException(f"{self.task_id}: {exc}") from None
        dry_run = _flag(self.task_id, "dry_run", self.zoom_dry_run)
        hook = ZoomHook(zoom_conn_id=self.zoom_conn_id)
        with fail_fast_on_permanent_errors():
            hook.check_config()
            if dry_run:
                return self._dry_run(hook, spec.name)
            outcome = hook.groups.create_group(
                spec, on_conflict=self.on_conflict, description=self.description or default_description(spec.name)
            )
        kind = "Contact group" if hook.groups.api_name == "contact_groups" else "IM group"
        if outcome.outcome == "exists":
            self.log.info("%s %r already exists (HTTP 409), id %s", kind, spec.name, outcome.group_id)
        else:
            self.log.info("Created %s %r (HTTP 201), id %s", kind.lower(), spec.name, outcome.group_id)
        return {**outcome.to_dict(), **zoom_target(hook)}

    def _dry_run(self, hook: ZoomHook, name: str) -> dict[str, Any]:
        """What a real run would do, from one listing: the group it adopts by the real run's rule
        (``names.pick``) and, in ``also_named``, the other groups of the name that it leaves alone."""
        from airflow_provider_zoom.group_spec import group_key
        from airflow_provider_zoom.groups.names import pick

        key = group_key(name)
        same = [dict(r) for r in hook.groups.group_refs() if group_key(r["name"]) == key]
        found, others = pick(name, same, id_field="group_id", name_field="name")
        if found is None:
            self.log.info("Dry run: group %r does not exist; a real run would create it", name)
            return {"status_code": None, "outcome": "created", "group_id": None, "name": name, "dry_run": True}
        if self.on_conflict == "fail":
            self.log.warning("Dry run: group %r exists (id %s); with on_conflict='fail' a real run would fail",
                             name, found["group_id"])
        else:
            self.log.info("Dry run: group %r exists, id %s", name, found["group_id"])
        result = {"status_code": None, "outcome": "exists", "group_id": found["group_id"], "name": found["name"],
                  "dry_run": True}
        if others:
            result["also_named"] = [{"group_id": g["group_id"], "name": g["name"]} for g in others]
            self.log.warning("Dry run: group %r: a real run would use %s and leave alone %s", name, found["group_id"],
                             ", ".join(f"{g['group_id']} {g['name']!r}" for g in others))
        return result


def _flag(task_id: str, field: str, value: Any) -> bool:
    """A boolean argument, also as a template renders it (``"True"``, ``"false"``)."""
    from airflow_provider_zoom._compat import AirflowFailException
    from airflow_provider_zoom.group_spec import InvalidGroupSpec, parse_bool

    try:
        return bool(parse_bool(field, value))
    except InvalidGroupSpec:
        raise AirflowFailException(f"{task_id}: {field} must be true or false, not {value!r}") from None


def default_description(name: str) -> str:
    """``Onboarding cohort 2026-W48 Engineering`` for the group ``Onboarding 2026-W48 Engineering``."""
    rest = name[len("Onboarding "):] if name.startswith("Onboarding ") else name
    return f"Onboarding cohort {rest}"


class AddGroupMembersOperator(BaseOperator):
    """
    Add people to a group by email: an IM group 10 per call, a contact group 50 per call (members are
    Zoom user IDs there, looked up by email), as the connection's ``group_api`` says.

    With ``only_missing=True`` the group's members are listed first and only the others are sent:
    the reconcile step of a re-run, which reports exactly who was added.

    Returns ``{"group_id", "added", "already_members", "rejected": [{"email", "reason"}], "pending"}``:
    people Zoom refuses (not a user of the account, a malformed address) are reported in ``rejected`` and
    the others of their batch are still added; on Contact Groups, people not in Zoom yet or whose
    invitation is pending are ``pending`` (a later reconcile adds them).

    :param group_id: Zoom IM group id (templated).
    :param emails: emails to add (templated): a list, or one string holding one address, a comma /
        semicolon / whitespace separated list, or a rendered list literal.
    :param only_missing: list current members and add only those not yet in the group.
    :param membership: ``add_only`` (default: people are only ever added) or ``exact``: the group's members
        become exactly ``emails``; the others are removed and reported by email in ``removed`` (templated).
    :param max_removal_share: with ``exact``, stop before any change (``ZoomRemovalLimitError``, naming the
        group, the count and the share) when more than this share of the group would go; a group is never
        emptied (default 0.5, templated). Held across runs too: the group may not be left with less than
        ``1 - max_removal_share`` of the most members it has had (``groups.removal_baseline``).
    :param keep_members: with ``exact``, members never removed: emails or ``fnmatch`` patterns such as
        ``*@hr.example.com`` (case-insensitive; templated), reported in ``kept``.
    :param dry_run: read the group (list and get calls only), write nothing, and return what a real run
        would do: ``added`` (would add), ``pending``, ``removed`` (would remove, with ``exact``), ``blocked``
        (the removal limit a real run would stop at) and ``"dry_run": true`` (templated).
    """

    template_fields: Sequence[str] = (
        "group_id", "emails", "membership", "max_removal_share", "zoom_dry_run", "keep_members",
    )
    ui_color = "#2D8CFF"

    def __init__(
        self,
        *,
        group_id: str,
        emails: list[str] | str,
        only_missing: bool = False,
        membership: str = "add_only",
        max_removal_share: float | str = DEFAULT_MAX_REMOVAL_SHARE,
        dry_run: bool | str = False,
        zoom_conn_id: str = DEFAULT_CONN_ID,
        keep_members: list[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if "{{" not in str(membership) and membership not in MEMBERSHIP_CHOICES:
            raise ValueError(f"membership must be one of {MEMBERSHIP_CHOICES}, not {membership!r}")
        self.keep_members = keep_members
        self.group_id = group_id
        self.emails = emails
        self.only_missing = only_missing
        self.membership = membership
        self.max_removal_share = max_removal_share
        self.zoom_dry_run = dry_run  # not ``self.dry_run``: BaseOperator.dry_run() is a method
        self.zoom_conn_id = zoom_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_zoom._compat import AirflowFailException
        from airflow_provider_zoom.exceptions import fail_fast_on_permanent_errors
        from airflow_provider_zoom.groups.membership import format_dry_run, sync_members
        from airflow_provider_zoom.groups.removal_baseline import default_baselines
        from airflow_provider_zoom.hooks.zoom import ZoomHook

        dry_run = _flag(self.task_id, "dry_run", self.zoom_dry_run)
        if not self.group_id and not dry_run:
            raise AirflowFailException(f"{self.task_id}: no group_id to add members to")

        hook = ZoomHook(zoom_conn_id=self.zoom_conn_id)
        with fail_fast_on_permanent_errors():
            hook.check_config()
            result = sync_members(
                hook.groups, self.group_id or None, self.emails, only_missing=self.only_missing,
                membership=self.membership, max_removal_share=self.max_removal_share, dry_run=dry_run,
                action="exists" if self.group_id else "create", keep_members=self.keep_members,
                baselines=default_baselines(),
            )
        if dry_run:
            self.log.info("Dry run, nothing written; a real run would do:\n%s", format_dry_run([result]))
            return result
        self.log.info(
            "Group %s: %d added, %d already members, %d refused by Zoom, %d pending%s", result["group_id"],
            len(result["added"]), len(result["already_members"]), len(result["rejected"]), len(result["pending"]),
            f", {len(result['removed'])} removed" if "removed" in result else "",
        )
        return result
