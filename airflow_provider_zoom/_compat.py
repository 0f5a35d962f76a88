"""What differs between the Airflow versions the provider supports (3.1, 3.2, 3.3), in one place.

Imported when DAG files are parsed, so it stays light: the task exceptions (a module Airflow has
loaded anyway) and nothing else at import time.

- ``AirflowException``, ``AirflowFailException``, ``AirflowSkipException``: the Task SDK's
  (``airflow.sdk.exceptions``) from 3.2 on, where ``airflow.exceptions`` only re-exports them with a
  deprecation warning; on 3.1 ``airflow.sdk.exceptions`` exists but has neither ``AirflowFailException``
  nor ``AirflowSkipException``, and the 3.1 task runner catches ``airflow.exceptions``' classes.
- ``local_secrets_masker()``: the task process's own masker. 3.3 exposes it as
  ``airflow.sdk.log._secrets_masker``; 3.1 and 3.2 only import it inside ``mask_secret``. All three have
  it at ``airflow.sdk._shared.secrets_masker._secrets_masker``.
- ``connection_form_widgets(conn_type)``, ``ui_field_behaviour(conn_type)``: the connection form. 3.2+ read
  ``conn-fields`` and ``ui-field-behaviour`` from ``get_provider_info()`` and then skip the hook's methods;
  3.1 knows only the hook's ``get_connection_form_widgets()`` / ``get_ui_field_behaviour()``. These build
  what those methods return from the same provider info, so the form is declared once. (3.1's UI mocks
  wtforms, flask_appbuilder and flask_babel when they are not installed, so the imports below work there.)
"""

from __future__ import annotations

from typing import Any

try:  # Airflow >= 3.2
    from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
except ImportError:  # Airflow 3.1
    from airflow.exceptions import (  # type: ignore[no-redef]
        AirflowException,
        AirflowFailException,
        AirflowSkipException,
    )

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowSkipException",
    "connection_form_widgets",
    "local_secrets_masker",
    "ui_field_behaviour",
]


def local_secrets_masker() -> Any | None:
    """The secrets masker of this process (not the supervisor's), or None if this Airflow has none we know."""
    try:
        from airflow.sdk._shared.secrets_masker import _secrets_masker as masker
    except ImportError:
        from airflow.sdk import log as sdk_log

        masker = getattr(sdk_log, "_secrets_masker", None)  # type: ignore[assignment]
        if masker is None:
            return None
    return masker()


def _connection_type_info(conn_type: str) -> dict:
    from airflow_provider_zoom.get_provider_info import get_provider_info

    for info in get_provider_info()["connection-types"]:
        if info["connection-type"] == conn_type:
            return info
    raise KeyError(conn_type)


def connection_form_widgets(conn_type: str) -> dict[str, Any]:
    """Airflow 3.1: the provider info's ``conn-fields`` as the wtforms fields of ``get_connection_form_widgets()``.

    An ``integer`` field is an ``IntegerField``, any other a ``StringField`` (3.1's UI knows no float or select
    field; the hook reads numbers given as text); an ``enum`` becomes an ``any_of`` validator, which 3.1's UI
    shows as a choice list. Every field is optional.
    """
    from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import IntegerField, StringField
    from wtforms.validators import Optional, any_of

    widgets: dict[str, Any] = {}
    for name, spec in _connection_type_info(conn_type).get("conn-fields", {}).items():
        schema = spec.get("schema", {})
        types = schema.get("type", "string")
        types = [types] if isinstance(types, str) else list(types)
        field_class = IntegerField if "integer" in types else StringField
        validators: list[Any] = [Optional()]
        if "enum" in schema:
            validators.append(any_of([value for value in schema["enum"] if value is not None]))
        widgets[name] = field_class(
            lazy_gettext(spec["label"]),
            widget=BS3TextFieldWidget(),
            description=spec.get("description", ""),
            validators=validators,
        )
    return widgets


def ui_field_behaviour(conn_type: str) -> dict[str, Any]:
    """Airflow 3.1: the provider info's ``ui-field-behaviour`` in the form of ``get_ui_field_behaviour()``."""
    behaviour = _connection_type_info(conn_type).get("ui-field-behaviour", {})
    return {
        "hidden_fields": list(behaviour.get("hidden-fields", [])),
        "relabeling": dict(behaviour.get("relabeling", {})),
        "placeholders": dict(behaviour.get("placeholders", {})),
    }
