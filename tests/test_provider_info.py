import pytest
from airflow.providers_manager import ProvidersManager

from airflow_provider_zoom.get_provider_info import get_provider_info
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.compat.airflow_versions import AIRFLOW_VERSION, runtime_hooks


def test_providers_manager_discovers_the_package():
    providers = ProvidersManager().providers
    assert "airflow-provider-zoom" in providers
    from importlib.metadata import version

    assert providers["airflow-provider-zoom"].version == version("airflow-provider-zoom")


def test_zoom_connection_type_points_at_the_hook():
    hook_info = runtime_hooks()["zoom"]
    assert hook_info.hook_class_name == "airflow_provider_zoom.hooks.zoom.ZoomHook"
    assert hook_info.connection_id_attribute_name == ZoomHook.conn_name_attr == "zoom_conn_id"
    assert ZoomHook.conn_type == "zoom"
    assert ZoomHook.default_conn_name == "zoom_default"


@pytest.mark.skipif(AIRFLOW_VERSION < (3, 2, 0), reason="3.1 reads the form from the hook (tests/compat)")
def test_connection_form_fields_and_labels():
    manager = ProvidersManager()
    widgets = manager.connection_form_widgets
    account = widgets["extra__zoom__account_id"]
    assert account.field["schema"]["title"] == "Account ID"
    assert "extra__zoom__oauth_token_url" in widgets
    behaviour = manager.field_behaviours["zoom"]
    assert set(behaviour["hidden_fields"]) == {"schema", "port"}
    assert behaviour["relabeling"] == {"login": "Client ID", "password": "Client Secret", "host": "API base URL"}


def test_provider_info_lists_importable_modules():
    import importlib

    info = get_provider_info()
    for section in ("hooks", "operators"):
        for entry in info[section]:
            for module in entry["python-modules"]:
                importlib.import_module(module)


def test_provider_info_lists_every_hook_and_operator_module_and_the_version():
    import importlib
    import inspect
    import pkgutil

    from airflow.sdk import BaseHook, BaseOperator

    import airflow_provider_zoom

    def defining(package: str, base: type) -> set[str]:
        """Modules of ``package`` that define a subclass of ``base`` (helpers beside them are not listed)."""
        found = set()
        for module_info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            module = importlib.import_module(f"{package}.{module_info.name}")
            if any(issubclass(obj, base) and obj.__module__ == module.__name__
                   for _, obj in inspect.getmembers(module, inspect.isclass)):
                found.add(module.__name__)
        return found

    info = get_provider_info()
    listed = {section: {m for e in info[section] for m in e["python-modules"]} for section in ("hooks", "operators")}
    assert listed["hooks"] == defining("airflow_provider_zoom.hooks", BaseHook)
    assert listed["operators"] == defining("airflow_provider_zoom.operators", BaseOperator)
    assert info["versions"] == [airflow_provider_zoom.__version__]
