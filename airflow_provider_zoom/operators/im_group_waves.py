"""Retired in 0.2: the wave operators live in ``airflow_provider_zoom.operators.waves`` under new names."""

from __future__ import annotations

from airflow_provider_zoom._deprecation import retired_names

__getattr__ = retired_names(__name__, {
    "CreateIMGroupsOperator": "airflow_provider_zoom.operators.waves:WaveCreateGroupsOperator",
    "AddIMGroupsMembersOperator": "airflow_provider_zoom.operators.waves:WaveAddMembersOperator",
})
