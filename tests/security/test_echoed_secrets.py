"""A server that echoes the request's headers cannot get a token, the client secret or the Basic credential
(raw or base64) into an exception, a retry warning or a task log: redacted by the provider, masker or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from airflow_provider_zoom._compat import local_secrets_masker
from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom._transport.token_cache import PROCESS_TOKENS
from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomAuthError
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.hooks.standin import BASIC, CLIENT_ID, CLIENT_SECRET, Reply, StandInZoom, echo_headers

FAST = RetryPolicy(max_attempts=2, max_retry_seconds=10, backoff_base_s=0.01, backoff_max_s=0.02)
REPO = Path(__file__).resolve().parents[2]


def _forms(token: str | None = None) -> list[str]:
    forms = [CLIENT_SECRET, BASIC, f"{CLIENT_ID}:{CLIENT_SECRET}", BASIC.rstrip("=")]
    return forms + ([token] if token else [])


def _assert_clean(text: str, token: str | None = None) -> None:
    for secret in _forms(token):
        assert secret not in text, f"{secret[:12]}... leaked: {text[:2000]}"


@pytest.fixture
def standin(monkeypatch, tmp_path):
    """A stand-in Zoom issuing a token no other test has seen (the masker of this process never met it)."""
    with StandInZoom() as server:
        server.token = f"tok-{uuid.uuid4().hex}"
        server.on("POST", "/oauth/token", Reply(200, {"access_token": server.token, "expires_in": 3600}))
        PROCESS_TOKENS.clear()
        monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", server.connection_json(max_attempts=2))
        monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
        yield server
    PROCESS_TOKENS.clear()


@pytest.fixture(params=["masker on", "masker off"])
def masker(request, monkeypatch):
    """Run each check also with the provider's masker registrations switched off: redaction must not need them."""
    if request.param == "masker off":
        for module in ("oauth", "token_cache"):
            monkeypatch.setattr(f"airflow_provider_zoom._transport.{module}.mask", lambda value: None)
    return request.param


@pytest.mark.parametrize("status", [400, 404, 500, 429])
def test_an_api_error_echoing_the_bearer_token_shows_no_token(standin, masker, capfd, status):
    standin.on("GET", "/v2/im/groups", echo_headers(status, errors=True))
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()
    assert "Rejected request with headers" in str(info.value)  # the echo is there, redacted
    assert "Bearer ***" in str(info.value)
    logged = capfd.readouterr()
    _assert_clean(str(info.value) + logged.out + logged.err, standin.token)


@pytest.mark.parametrize("status", [401, 400, 502])
def test_a_token_endpoint_echoing_the_basic_header_shows_no_form_of_the_secret(standin, masker, capfd, status):
    standin.on("POST", "/oauth/token", echo_headers(status))
    with pytest.raises(ZoomAuthError) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()
    assert "Rejected request with headers" in str(info.value) and "Basic ***" not in BASIC
    logged = capfd.readouterr()
    _assert_clean(str(info.value) + logged.out + logged.err)


def _previous_process_fetches_a_token(standin, home: Path) -> None:
    """Another task process of the machine: it fetches the token and leaves it in the shared file."""
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW_CONN_ZOOM_DEFAULT": standin.connection_json()}
    subprocess.run(
        [sys.executable, "-c", "from airflow_provider_zoom.hooks.zoom import ZoomHook; ZoomHook().get_conn().auth.token()"],
        env=env, check=True, capture_output=True, timeout=120, cwd=REPO,
    )
    assert standin.count("POST", "/oauth/token") == 1


def test_a_token_read_from_the_shared_file_is_masked_and_redacted(standin, tmp_path, capfd):
    standin.on("GET", "/v2/im/groups", echo_headers(500))
    _previous_process_fetches_a_token(standin, tmp_path)

    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()

    assert standin.count("POST", "/oauth/token") == 1  # this process used the file's token
    assert standin.token not in local_secrets_masker().redact(f"token {standin.token} in a log line")
    logged = capfd.readouterr()
    _assert_clean(str(info.value) + logged.out + logged.err, standin.token)


DAG_FILE = """
from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_zoom.operators.im_groups import AddIMGroupMembersOperator, CreateIMGroupOperator

with DAG("zoom_echoing_server", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    CreateIMGroupOperator(task_id="create", name="Cohort Echo", retries=0) >> AddIMGroupMembersOperator(
        task_id="add", group_id="g1", emails="a@example.com", retries=0, trigger_rule="all_done")
"""


def _echoing_api(standin) -> None:
    standin.on("POST", "/v2/im/groups", echo_headers(500))
    standin.on("POST", "/v2/im/groups/g1/members", echo_headers(400, errors=True))


def _files_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_dag_test_in_process_leaks_no_token_or_secret(standin, airflow_db, tmp_path, monkeypatch, capfd):
    """``dag.test()``: Airflow's in-process supervisor, where the masker once did not hide fresh tokens."""
    _echoing_api(standin)
    _previous_process_fetches_a_token(standin, tmp_path)  # the run uses the token from the shared file
    monkeypatch.setenv("AIRFLOW__LOGGING__BASE_LOG_FOLDER", str(tmp_path / "logs"))
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "zoom_echoing_server.py").write_text(DAG_FILE)
    import airflow.settings
    from airflow.dag_processing.dagbag import DagBag

    # dag.test() syncs the "dags-folder" bundle: point it at this test's folder, not the repo's DAGs.
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    monkeypatch.setattr(airflow.settings, "DAGS_FOLDER", str(dags))

    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {}
    run = bag.dags["zoom_echoing_server"].test(logical_date=datetime.now(UTC))

    logged = capfd.readouterr()
    output = logged.out + logged.err + _files_text(tmp_path / "logs")
    from tests.airflow_runs import task_states, xcom_values

    assert task_states(run)[("create", -1)] == "failed"  # the 500s, retried, then the task failed
    rejected = xcom_values(run, "add")[0]["rejected"]  # the 400 named the member: reported with the echo
    output += json.dumps(rejected)
    assert "Rejected request with headers" in output, "the echoed error was not logged: nothing was tested"
    assert "retrying in" in output, "no retry warning was searched"
    _assert_clean(output, standin.token)


def test_airflow_dags_test_subprocess_leaks_no_token_or_secret(standin, airflow_db, tmp_path):
    """The same DAG run by ``airflow dags test`` in its own process, at DEBUG, the token fetched fresh there."""
    _echoing_api(standin)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "zoom_echoing_server.py").write_text(DAG_FILE)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW_CONN_ZOOM_DEFAULT": standin.connection_json(max_attempts=2),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "DEBUG",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(tmp_path / "logs"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", "zoom_echoing_server", "2026-11-23"],
        env=env, capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    output = result.stdout + result.stderr + _files_text(tmp_path / "logs")
    assert standin.count("POST", "/oauth/token") >= 1
    assert "Rejected request with headers" in output, output[-3000:]
    # Airflow's own in-process channel echoes the values it is asked to mask (see test_secrets_stay_hidden).
    output = "\n".join(line for line in output.splitlines() if "msg=MaskSecret(" not in line)
    _assert_clean(output, standin.token)


def test_a_garbled_reply_whose_content_type_echoes_the_token_shows_no_token(standin, masker, capfd):
    standin.on("GET", "/v2/im/groups", lambda seen: Reply(200, b"<html>", {"Content-Type": seen.headers["Authorization"]}))
    with pytest.raises(ZoomAPIError) as info:
        ZoomHook(retry_policy=FAST).list_im_groups()
    assert "not JSON" in str(info.value)
    logged = capfd.readouterr()
    _assert_clean(str(info.value) + logged.out + logged.err, standin.token)
