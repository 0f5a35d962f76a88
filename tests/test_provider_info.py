import sys
import types

import pytest
from airflow.providers_manager import ProvidersManager

from airflow_provider_zoom._transport.config import EXTRA_ALIASES, EXTRAS
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
    for name in EXTRAS:
        assert widgets[f"extra__zoom__{name}"].field["schema"]["title"]
    assert widgets["extra__zoom__plan"].field["schema"]["enum"] == [None, "free", "pro", "business"]
    assert "extra__zoom__oauth_token_url" not in widgets
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


def _conn_fields() -> dict:
    (zoom,) = get_provider_info()["connection-types"]
    return zoom["conn-fields"]


def _should_hide_value_for_key():
    """Airflow's own test of an extra's name, as the API server applies it to the connection form."""
    try:  # Airflow >= 3.2: what airflow.api_fastapi.core_api.datamodels.connections imports
        from airflow._shared.secrets_masker import should_hide_value_for_key
    except ImportError:
        from airflow.sdk.execution_time.secrets_masker import should_hide_value_for_key
    return should_hide_value_for_key


def test_every_extra_the_hook_reads_is_a_form_field_with_label_and_description():
    fields = _conn_fields()
    assert list(fields) == list(EXTRAS)
    for name, spec in fields.items():
        assert spec["label"].strip() and len(spec["description"]) > 20, name
        assert "null" in spec["schema"]["type"], f"{name} must be optional"


def test_no_form_field_is_masked_by_its_name_except_proxies():
    """A name with "token", "key", "secret"... shows its value as *** in the form; only a proxy URL may hold a
    password, so "proxies" (Airflow's own sensitive name) is masked on purpose."""
    hide = _should_hide_value_for_key()
    masked = {name for name in _conn_fields() if hide(name) or hide(f"extra__zoom__{name}")}
    assert masked == {"proxies"}
    # The names the extras had before were masked; that is why they were renamed (and are still read).
    assert all(hide(old) for old_names in EXTRA_ALIASES.values() for old in old_names)


def test_plan_and_credential_cache_are_choice_lists_with_an_empty_choice():
    fields = _conn_fields()
    assert fields["plan"]["schema"]["enum"] == [None, "free", "pro", "business"]
    assert fields["credential_cache"]["schema"]["enum"] == [None, "file", "process"]
    from airflow_provider_zoom._transport.rate_limit import PLAN_LIMITS

    assert fields["plan"]["schema"]["enum"][1:] == list(PLAN_LIMITS)


def test_the_hook_methods_build_the_31_form_from_the_same_fields(monkeypatch):
    """Airflow 3.1 reads ``get_connection_form_widgets()``: an IntegerField for integers, any_of for a choice."""

    class Field:
        def __init__(self, label, widget=None, description="", validators=()):
            self.label, self.description, self.validators = label, description, list(validators)

    class StringField(Field):
        pass

    class IntegerField(Field):
        pass

    class Optional:
        pass

    class AnyOf:
        def __init__(self, values):
            self.values = values

    modules = {
        "wtforms": {"StringField": StringField, "IntegerField": IntegerField},
        "wtforms.validators": {"Optional": Optional, "any_of": AnyOf},
        "flask_appbuilder": {},
        "flask_appbuilder.fieldwidgets": {"BS3TextFieldWidget": object},
        "flask_babel": {"lazy_gettext": str},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        monkeypatch.setitem(sys.modules, name, module)

    widgets = ZoomHook.get_connection_form_widgets()

    fields = _conn_fields()
    assert list(widgets) == list(fields)
    assert {name: w.label for name, w in widgets.items()} == {name: f["label"] for name, f in fields.items()}
    assert type(widgets["max_attempts"]) is IntegerField and type(widgets["timeout"]) is StringField
    assert all(isinstance(w.validators[0], Optional) for w in widgets.values())
    (plan_choices,) = [v.values for v in widgets["plan"].validators if isinstance(v, AnyOf)]
    assert plan_choices == ["free", "pro", "business"]
    behaviour = ZoomHook.get_ui_field_behaviour()
    assert behaviour["placeholders"]["oauth_url"] == "https://zoom.us/oauth/token"
    assert set(behaviour["hidden_fields"]) == {"schema", "port"}
