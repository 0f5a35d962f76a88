"""Both onboarding DAGs take their Params from one module (``onboarding/params.py``): the names, defaults and
order the trigger form and past runs' conf have always had, built without the hooks or the HTTP stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from airflow.models.dagbag import DagBag

from airflow_provider_zoom.onboarding.params import cohort_params, wave_params

DAGS = Path(__file__).resolve().parents[2] / "dags"
SAMPLE = str(DAGS / "data" / "hr_new_hires_sample.csv")

# What the DAGs declared before the Params moved into one module: renaming one or changing a default would change
# what past runs' conf means.
SHARED_DEFAULTS = {
    "hr_extract_path": SAMPLE,
    "group_name_template": "Onboarding {iso_week} {department}",
    "group_type": "normal",
    "search_by_domain": False,
    "search_by_account": True,
    "search_by_ma_account": False,
    "quarantine_dir": "",
    "max_rejected_share": 0.5,
    "membership": "add_only",
    "max_removal_share": 0.5,
    "keep_members": [],
    "dry_run": False,
}
WAVE_DEFAULTS = {
    **{name: SHARED_DEFAULTS[name] for name in list(SHARED_DEFAULTS)[:6]},
    "zoom_plan": "",
    "on_daily_limit": "defer",
    **{name: SHARED_DEFAULTS[name] for name in list(SHARED_DEFAULTS)[6:]},
}
# The daily DAG's own, after the shared ones (onboarding/params.py: late_joiner_params).
LATE_JOINER_DEFAULTS = {"late_joiner_days": 14, "invite_missing_users": False, "invite_user_type": 1}
DAILY_DEFAULTS = {**SHARED_DEFAULTS, **LATE_JOINER_DEFAULTS}
ENUMS = {
    "group_type": ["normal", "shared", "restricted"],
    "membership": ["add_only", "exact"],
    "zoom_plan": ["", "free", "pro", "business"],
    "on_daily_limit": ["defer", "fail"],
}



def test_both_dags_keep_their_param_names_defaults_and_order():
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    daily = bag.dags["zoom_onboarding_im_groups"].params
    wave = bag.dags["zoom_onboarding_wave"].params
    assert list(daily.dump().items()) == list(DAILY_DEFAULTS.items())
    assert list(wave.dump().items()) == list({**WAVE_DEFAULTS, **LATE_JOINER_DEFAULTS}.items())
    for name, choices in ENUMS.items():
        assert wave.get_param(name).schema["enum"] == choices
    assert daily.get_param("group_type").schema["enum"] == ENUMS["group_type"]
    assert daily.get_param("max_removal_share").schema == {"type": "number", "minimum": 0, "maximum": 1}
    assert wave.get_param("keep_members").schema == {"type": "array", "items": {"type": "string"}}
    assert daily.get_param("invite_user_type").schema["enum"] == [1, 2, 4]  # 1 Basic, 2 Licensed, 4 Unassigned
    assert daily.get_param("late_joiner_days").schema == {"type": "integer", "minimum": 0}


def test_every_call_builds_params_of_its_own():
    """No two DAGs (or parses) share a Param object: a value set on one cannot leak into another."""
    first, second = wave_params(hr_extract_path=SAMPLE), wave_params(hr_extract_path=SAMPLE)
    assert not {id(param) for param in first.values()} & {id(param) for param in second.values()}
    assert cohort_params(hr_extract_path="/data/a.csv")["hr_extract_path"].value == "/data/a.csv"


def test_the_choices_are_the_operators_and_the_planners():
    from airflow_provider_zoom.onboarding import params, planning
    from airflow_provider_zoom.operators.waves import ON_DAILY_LIMIT_CHOICES

    assert params.ON_DAILY_LIMIT_CHOICES == ON_DAILY_LIMIT_CHOICES
    assert params.DEFAULT_MAX_REJECTED_SHARE == planning.DEFAULT_MAX_REJECTED_SHARE
    from airflow_provider_zoom.groups.users import INVITE_USER_TYPES
    from airflow_provider_zoom.onboarding.late_joiners import DEFAULT_LATE_JOINER_DAYS

    assert params.DEFAULT_LATE_JOINER_DAYS == DEFAULT_LATE_JOINER_DAYS
    assert tuple(INVITE_USER_TYPES) == params.INVITE_USER_TYPES


def test_the_params_module_imports_no_hook_operator_or_http_client():
    """DAG files import it at parse time (``provider_parse_ratio``)."""
    code = (
        "import json, sys\n"
        "import airflow.sdk\n"
        "before = set(sys.modules)\n"
        "import airflow_provider_zoom.onboarding.params\n"
        "new = set(sys.modules) - before\n"
        "print(json.dumps(sorted(m for m in new if m.split('.')[0] in ('requests', 'urllib3', 'requests_toolbelt') "
        "or m.startswith(('airflow_provider_zoom.hooks', 'airflow_provider_zoom.operators')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
