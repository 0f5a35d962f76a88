"""Client secret and access tokens never show in task logs, XCom, rendered fields or exception text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from zoom_emulator.server import EmulatorServer

CLIENT_SECRET = "canary-S3CRET-7f3a9c51e2"
WRONG_SECRET = "canary-WRONG-0b8d44aa19"


@pytest.fixture
def spied_emulator():
    """An emulator with a distinctive secret that remembers every token it hands out."""
    with EmulatorServer(client_secret=CLIENT_SECRET) as server:
        issued: list[str] = []
        original = server.backend.issue_token

        def issue_token(*args, **kwargs):
            reply = original(*args, **kwargs)
            issued.append(reply["access_token"] if isinstance(reply, dict) else str(reply))
            return reply

        server.backend.issue_token = issue_token
        yield server, issued


def _run_dag(server, password: str, home: Path, day: str) -> str:
    conn = json.loads(server.connection_uri_json())
    conn["password"] = password
    env = {
        **os.environ,
        "AIRFLOW_CONN_ZOOM_DEFAULT": json.dumps(conn),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "DEBUG",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", "zoom_onboarding_im_groups", day,
         "--conf", json.dumps({"quarantine_dir": str(home / "quarantine")})],
        env=env, capture_output=True, text=True, timeout=300,
    )
    return result.stdout + result.stderr


def _without_airflow_in_process_mask_echo(output: str) -> str:
    """Drop the lines Airflow's *in-process* test supervisor writes when a task masks a value.

    ``InProcessSupervisorComms.send`` (airflow/sdk/execution_time/supervisor.py, 3.3.2) logs
    ``Sending request msg=MaskSecret(value=...)`` at DEBUG, so under ``airflow dags test`` the
    connection password Airflow itself masks is echoed; the real supervisor logs "body omitted"
    instead. Only those exact lines are dropped; the provider's own masking avoids the channel.
    """
    return "\n".join(
        line for line in output.splitlines() if not ("Sending request" in line and "msg=MaskSecret(" in line)
    )


def _stored_texts() -> str:
    """Every XCom value and rendered template field in the metadata DB, as text."""
    from airflow.utils.session import create_session

    with create_session() as session:
        xcoms = session.execute(text("SELECT value FROM xcom")).scalars().all()
        rendered = session.execute(text("SELECT rendered_fields FROM rendered_task_instance_fields")).scalars().all()
    return "\n".join(str(v) for v in [*xcoms, *rendered])


def _files_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_no_secret_or_token_anywhere_after_a_debug_run_and_a_refused_token(
    spied_emulator, airflow_db, tmp_path
):
    server, issued = spied_emulator

    good = _run_dag(server, CLIENT_SECRET, tmp_path, "2026-11-23")
    bad = _run_dag(server, WRONG_SECRET, tmp_path, "2026-11-24")  # the token endpoint refuses it

    assert issued, "the run fetched no token: nothing was tested"
    assert "Onboarding summary" in good or "created=" in good
    logs = _files_text(tmp_path / "logs")
    assert "Invalid client_id or client_secret" in bad + logs  # the refusal is reported, without the secret
    echoed = [line for line in (good + bad).splitlines() if "msg=MaskSecret(" in line]
    assert not any(token in line for line in echoed for token in issued), "a token went through the echoing channel"
    haystacks = {"stdout/stderr": _without_airflow_in_process_mask_echo(good + bad), "log files": logs,
                 "XCom and rendered fields": _stored_texts(), "quarantine": _files_text(tmp_path / "quarantine")}
    for secret in [CLIENT_SECRET, WRONG_SECRET, *issued]:
        for where, haystack in haystacks.items():
            assert secret not in haystack, f"a secret leaked into {where}"
    assert "Onboarding summary" in haystacks["stdout/stderr"] + logs, "no task log was searched"
