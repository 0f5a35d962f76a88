"""The Params of the onboarding DAGs, declared once for both (``zoom_onboarding_im_groups``, ``zoom_onboarding_wave``).

DAG files import this at parse time: it needs only ``airflow.sdk.Param`` and the provider's constants, never a hook,
an operator or an HTTP client. Names and defaults are what the DAGs have always declared: a renamed Param or a
changed default would change what past runs' conf means and what the trigger form shows.

Each call builds new ``Param`` objects, so no two DAGs (and no two parses) share one.
"""

from __future__ import annotations

from airflow.sdk import Param

from airflow_provider_zoom._defaults import DEFAULT_MAX_REMOVAL_SHARE, MEMBERSHIP_CHOICES
from airflow_provider_zoom._transport.rate_limit import PLAN_LIMITS
from airflow_provider_zoom.group_spec import GROUP_TYPES
from airflow_provider_zoom.onboarding.cohorts import DEFAULT_COHORT_NAME_TEMPLATE

__all__ = ["ON_DAILY_LIMIT_CHOICES", "cohort_params", "late_joiner_params", "wave_params"]

# The wave operators' choices (operators.waves.ON_DAILY_LIMIT_CHOICES), here without importing the operators.
ON_DAILY_LIMIT_CHOICES = ("defer", "fail")
DEFAULT_MAX_REJECTED_SHARE = 0.5  # onboarding.planning's default, without importing the planner at parse time
DEFAULT_LATE_JOINER_DAYS = 14  # onboarding.late_joiners' default, likewise
INVITE_USER_TYPES = (1, 2, 4)  # groups.users.INVITE_USER_TYPES: 1 Basic, 2 Licensed, 4 Unassigned


def cohort_params(*, hr_extract_path: str, extract_description: str = "CSV extract of new hires") -> dict[str, Param]:
    """What both onboarding DAGs take: the extract, the cohort groups' names and settings, the quarantine, exact
    membership, its guard and the members it keeps, and dry runs. ``hr_extract_path`` is the DAG's default extract."""
    return {
        "hr_extract_path": Param(hr_extract_path, type="string", description=extract_description),
        "group_name_template": Param(
            DEFAULT_COHORT_NAME_TEMPLATE,
            type="string",
            description="Placeholders: {iso_week} (2026-W48), {iso_year}, {week}, {department}",
        ),
        "group_type": Param("normal", enum=list(GROUP_TYPES)),
        "search_by_domain": Param(False, type="boolean"),
        "search_by_account": Param(True, type="boolean"),
        "search_by_ma_account": Param(False, type="boolean"),
        "quarantine_dir": Param(
            "", type="string", description="Where rejected rows are written; empty: $AIRFLOW_HOME/zoom_quarantine"
        ),
        "max_rejected_share": Param(
            DEFAULT_MAX_REJECTED_SHARE, type="number", minimum=0, maximum=1,
            description="Fail the run when more than this share of the extract's rows is rejected",
        ),
        "membership": Param(
            "add_only", enum=list(MEMBERSHIP_CHOICES),
            description="exact: also remove from a cohort group the people no longer in its cohort",
        ),
        "max_removal_share": Param(
            DEFAULT_MAX_REMOVAL_SHARE, type="number", minimum=0, maximum=1,
            description="exact: stop, removing nobody, when a run would remove more than this share of a group",
        ),
        "keep_members": Param(
            [], type="array", items={"type": "string"},
            description="exact: never remove these members: emails or patterns such as *@hr.example.com "
            "(case-insensitive)",
        ),
        "dry_run": Param(
            False, type="boolean", description="Read the account, write nothing, log what a real run would do",
        ),
    }


def wave_params(
    *, hr_extract_path: str, extract_description: str = "CSV extract of the wave's hires"
) -> dict[str, Param]:
    """The wave DAG's Params: :func:`cohort_params` and, after the search flags (where its trigger form has always
    shown them), the pacing plan and the daily-limit policy."""
    params = cohort_params(hr_extract_path=hr_extract_path, extract_description=extract_description)
    pacing = {
        "zoom_plan": Param("", enum=["", *PLAN_LIMITS], description="Pace to this plan; empty: the connection's"),
        "on_daily_limit": Param(
            ON_DAILY_LIMIT_CHOICES[0], enum=list(ON_DAILY_LIMIT_CHOICES),
            description="On Zoom's daily limit: wait for its reset without holding a slot (defer), or fail",
        ),
    }
    names = list(params)
    cut = names.index("search_by_ma_account") + 1
    return {**{name: params[name] for name in names[:cut]}, **pacing, **{name: params[name] for name in names[cut:]}}


def late_joiner_params() -> dict[str, Param]:
    """Late joiners and invitations (the daily DAG adds these after :func:`cohort_params`): how many days back a
    run still adds hires whose Zoom account became active late, and whether hires Zoom has no user for are
    invited (off by default: an invitation is an e-mail from Zoom to the person)."""
    return {
        "late_joiner_days": Param(
            DEFAULT_LATE_JOINER_DAYS, type="integer", minimum=0,
            description="Each run also adds the hires of this many past days whose Zoom account is active now; "
            "those still pending after it are reported (still_pending)",
        ),
        "invite_missing_users": Param(
            False, type="boolean",
            description="Invite hires who have no Zoom user (POST /users, action create), each at most once",
        ),
        "invite_user_type": Param(
            INVITE_USER_TYPES[0], enum=list(INVITE_USER_TYPES),
            description="Zoom user type of an invitation: 1 Basic, 2 Licensed, 4 Unassigned",
        ),
    }
