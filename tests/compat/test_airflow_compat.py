"""The version shims against whichever Airflow is installed (3.1, 3.2 or 3.3)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

from airflow_provider_zoom import _compat
from tests.compat.airflow_versions import AIRFLOW_VERSION, runtime_hooks


def test_task_exceptions_are_the_ones_the_task_runner_catches():
    task_runner = importlib.import_module("airflow.sdk.execution_time.task_runner")
    source = importlib.util.find_spec(task_runner.__name__).loader.get_source(task_runner.__name__)
    module = "airflow.sdk.exceptions" if AIRFLOW_VERSION >= (3, 2, 0) else "airflow.exceptions"
    exceptions = importlib.import_module(module)
    assert f"from {module} import" in source
    assert _compat.AirflowFailException is exceptions.AirflowFailException
    assert _compat.AirflowSkipException is exceptions.AirflowSkipException
    assert issubclass(_compat.AirflowFailException, _compat.AirflowException)
    assert issubclass(_compat.AirflowSkipException, _compat.AirflowException)


def test_no_deprecation_warning_from_the_shim(recwarn):
    importlib.reload(_compat)
    assert not [w for w in recwarn if "deprecated" in str(w.message).lower()]


def test_local_secrets_masker_is_the_task_process_masker():
    masker = _compat.local_secrets_masker()
    assert masker is not None
    masker.add_mask("compat-shim-secret-value", None)
    assert "compat-shim-secret-value" not in masker.redact("a compat-shim-secret-value in a line")


def test_runtime_hooks_know_the_zoom_connection_type():
    assert runtime_hooks()["zoom"].hook_class_name == "airflow_provider_zoom.hooks.zoom.ZoomHook"


def test_the_ui_connection_form_has_the_zoom_fields_and_labels():
    """What the UI's connection form gets (``/ui/connections/hook_meta``): 3.2+ from the provider info's
    ``conn-fields`` / ``ui-field-behaviour``, 3.1 from the hook's ``get_connection_form_widgets`` /
    ``get_ui_field_behaviour`` (built by ``_compat`` from the same provider info).

    In a fresh process, as in the API server: the providers manager is a process-wide singleton, and 3.1's
    service mocks wtforms/flask_appbuilder only if the hooks have not been loaded yet.
    """
    script = (
        "import json\n"
        "from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService\n"
        "(zoom,) = [m for m in HookMetaService.hook_meta_data() if m.connection_type == 'zoom']\n"
        "print('HOOK_META=' + json.dumps(zoom.model_dump(mode='json')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    (line,) = [line for line in out.splitlines() if line.startswith("HOOK_META=")]
    zoom = json.loads(line.removeprefix("HOOK_META="))
    extra = zoom["extra_fields"]
    assert extra["account_id"]["schema"]["title"] == "Account ID"
    assert {"account_id", "oauth_url", "plan", "timeout", "credential_cache"} <= set(extra)
    standard = zoom["standard_fields"]
    assert standard["url_schema"]["hidden"] and standard["port"]["hidden"]
    titles = {name: standard[name]["title"] for name in ("login", "password", "host")}
    assert titles == {"login": "Client ID", "password": "Client Secret", "host": "API base URL"}
