"""``CreateIMGroupOperator``, Zoom's "Create an IM directory group" as an Airflow operator.

It is ``CreateGroupOperator`` (``airflow_provider_zoom.operators.groups``) under the name DAGs know: the
same arguments, the same XCom. ``AddIMGroupMembersOperator`` is retired: use ``AddGroupMembersOperator``.
"""

from __future__ import annotations

from airflow_provider_zoom._deprecation import retired_names
from airflow_provider_zoom.operators.groups import CreateGroupOperator, default_description

__all__ = ["CreateIMGroupOperator", "default_description"]


class CreateIMGroupOperator(CreateGroupOperator):
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


__getattr__ = retired_names(
    __name__, {"AddIMGroupMembersOperator": "airflow_provider_zoom.operators.groups:AddGroupMembersOperator"}
)
