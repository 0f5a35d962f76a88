"""The wave operators' 0.1.0 names still import, with a warning that names the new ones."""

import importlib
import sys

import pytest

from airflow_provider_zoom.operators.waves import WaveAddMembersOperator, WaveCreateGroupsOperator


def test_old_names_from_the_new_module_warn_and_are_the_new_classes():
    from airflow_provider_zoom.operators import waves

    with pytest.warns(DeprecationWarning, match="use WaveCreateGroupsOperator"):
        assert waves.CreateIMGroupsOperator is WaveCreateGroupsOperator
    with pytest.warns(DeprecationWarning, match="use WaveAddMembersOperator"):
        assert waves.AddIMGroupsMembersOperator is WaveAddMembersOperator


def test_old_module_warns_and_exports_the_old_names():
    sys.modules.pop("airflow_provider_zoom.operators.im_group_waves", None)
    with pytest.warns(DeprecationWarning, match="operators.waves"):
        old = importlib.import_module("airflow_provider_zoom.operators.im_group_waves")
    assert old.CreateIMGroupsOperator is WaveCreateGroupsOperator
    assert old.AddIMGroupsMembersOperator is WaveAddMembersOperator
