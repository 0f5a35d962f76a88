"""Deprecated: the wave operators moved to ``airflow_provider_zoom.operators.waves`` under new names."""

from __future__ import annotations

import warnings

from airflow_provider_zoom.operators.waves import WaveAddMembersOperator, WaveCreateGroupsOperator

warnings.warn(
    "airflow_provider_zoom.operators.im_group_waves is deprecated: import WaveCreateGroupsOperator and "
    "WaveAddMembersOperator from airflow_provider_zoom.operators.waves",
    DeprecationWarning,
    stacklevel=2,
)

CreateIMGroupsOperator = WaveCreateGroupsOperator
AddIMGroupsMembersOperator = WaveAddMembersOperator
