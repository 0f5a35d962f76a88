"""Onboarding cohorts from an HR new-hires extract.

Pure standard library on purpose: DAG files import this at parse time, which must stay fast and must
not pull in Airflow or network clients.
"""

from airflow_provider_zoom.onboarding.cohorts import (
    DEFAULT_COHORT_NAME_TEMPLATE,
    Cohort,
    CohortNaming,
    Member,
    build_cohorts,
    check_name_template,
    hires_in_interval,
    hires_on,
    iso_week,
    name_cohorts,
)
from airflow_provider_zoom.onboarding.hr_extract import (
    ExtractReadResult,
    Hire,
    HRExtractError,
    RowProblem,
    read_hr_extract,
)
from airflow_provider_zoom.onboarding.quarantine import write_quarantine_report

__all__ = [
    "DEFAULT_COHORT_NAME_TEMPLATE",
    "Cohort",
    "CohortNaming",
    "ExtractReadResult",
    "HRExtractError",
    "Hire",
    "Member",
    "RowProblem",
    "build_cohorts",
    "check_name_template",
    "hires_in_interval",
    "hires_on",
    "iso_week",
    "name_cohorts",
    "read_hr_extract",
    "write_quarantine_report",
]
