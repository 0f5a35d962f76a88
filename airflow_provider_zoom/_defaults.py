"""Defaults shared by the hook and the operators, kept apart so that DAG files parse without the HTTP stack."""

DEFAULT_CONN_ID = "zoom_default"
DEFAULT_API_URL = "https://api.zoom.us/v2"
DEFAULT_TOKEN_URL = "https://zoom.us/oauth/token"
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_READ_TIMEOUT_S = 30.0
ON_CONFLICT_CHOICES = ("reuse", "fail")
MEMBERSHIP_CHOICES = ("add_only", "exact")  # exact: a cohort group holds exactly the cohort's current hires
DEFAULT_MAX_REMOVAL_SHARE = 0.5  # exact membership stops before removing more than this share of a group
