"""Retired names still import, with Airflow's provider deprecation warning naming the new ones (one mechanism)."""

import pytest
from airflow.exceptions import AirflowProviderDeprecationWarning

from airflow_provider_zoom.operators.groups import AddGroupMembersOperator, CreateGroupOperator
from airflow_provider_zoom.operators.im_groups import CreateIMGroupOperator
from airflow_provider_zoom.operators.waves import WaveAddMembersOperator, WaveCreateGroupsOperator


def test_old_wave_names_from_the_new_module_warn_and_are_the_new_classes():
    from airflow_provider_zoom.operators import waves

    with pytest.warns(AirflowProviderDeprecationWarning, match="use .*waves.WaveCreateGroupsOperator"):
        assert waves.CreateIMGroupsOperator is WaveCreateGroupsOperator
    with pytest.warns(AirflowProviderDeprecationWarning, match="use .*waves.WaveAddMembersOperator"):
        assert waves.AddIMGroupsMembersOperator is WaveAddMembersOperator


def test_old_wave_module_still_exports_the_old_names_with_the_same_warning():
    with pytest.warns(AirflowProviderDeprecationWarning, match="im_group_waves.CreateIMGroupsOperator is deprecated"):
        from airflow_provider_zoom.operators.im_group_waves import CreateIMGroupsOperator
    with pytest.warns(AirflowProviderDeprecationWarning, match="use .*waves.WaveAddMembersOperator"):
        from airflow_provider_zoom.operators.im_group_waves import AddIMGroupsMembersOperator
    assert (CreateIMGroupsOperator, AddIMGroupsMembersOperator) == (WaveCreateGroupsOperator, WaveAddMembersOperator)


def test_the_members_operator_has_an_api_neutral_name_and_the_old_one_warns():
    from airflow_provider_zoom.operators import im_groups

    with pytest.warns(AirflowProviderDeprecationWarning, match="use .*operators.groups.AddGroupMembersOperator"):
        assert im_groups.AddIMGroupMembersOperator is AddGroupMembersOperator


def test_the_seed_operator_keeps_its_name_and_is_the_generic_create():
    assert issubclass(CreateIMGroupOperator, CreateGroupOperator)
    assert CreateIMGroupOperator.template_fields == CreateGroupOperator.template_fields
    with pytest.raises(AttributeError):
        im_groups_missing = __import__("airflow_provider_zoom.operators.im_groups", fromlist=["x"]).NoSuchOperator
        del im_groups_missing
