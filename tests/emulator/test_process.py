"""EmulatorProcess: the CLI as a real subprocess on loopback, as the demo, the benchmarks and the e2e harness use it."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import pytest
import requests

from zoom_emulator import EmulatorProcess, EmulatorStartError
from zoom_emulator.process import parse_listening_line


def assert_gone(emulator: EmulatorProcess) -> None:
    """The process has exited and been reaped, and (in its own session) nothing is left of its group."""
    assert emulator.proc is not None and emulator.proc.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(emulator.proc.pid, 0)
    if emulator.new_session:
        with pytest.raises(ProcessLookupError):
            os.killpg(emulator.proc.pid, 0)


@pytest.mark.parametrize("new_session", [False, True], ids=["same-group", "new-session"])
def test_serves_oauth_and_groups_then_stops_cleanly(tmp_path: Path, new_session: bool) -> None:
    log = tmp_path / "logs" / "emulator.log"
    emulator = EmulatorProcess(
        "--plan", "free", "--seed", "3",
        client_id="cid", client_secret="s3cret", account_id="acct", log_path=log, new_session=new_session,
    )  # fmt: skip
    with emulator:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.url)
        assert (emulator.api_url, emulator.token_url) == (f"{emulator.url}/v2", f"{emulator.url}/oauth/token")
        token = requests.post(
            emulator.token_url,
            data={"grant_type": "account_credentials", "account_id": "acct"},
            auth=("cid", "s3cret"),
            timeout=10,
        )
        assert token.status_code == 200, token.text
        created = requests.post(
            f"{emulator.api_url}/im/groups",
            files={"name": (None, "From a process")},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        state = emulator.state()
        assert [g["name"] for g in state["groups"]] == ["From a process"]
        assert state["config"]["light_rps"] == 4  # the CLI args reached the emulator
        emulator.reset()
        assert emulator.state()["groups"] == []
        conn = json.loads(emulator.connection_uri_json(credential_cache_dir="tokens"))
        assert conn == {
            "conn_type": "zoom",
            "host": emulator.api_url,
            "login": "cid",
            "password": "s3cret",
            "extra": {"account_id": "acct", "oauth_url": emulator.token_url, "credential_cache_dir": "tokens"},
        }
        url = emulator.url
    assert emulator.proc.returncode == 0  # SIGTERM was enough: a clean exit, not a kill
    assert_gone(emulator)
    emulator.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/health", timeout=2)
    assert f"Zoom emulator listening on {url}\n" in log.read_text()


def test_bad_argument_is_reported_with_the_emulators_own_message(tmp_path: Path) -> None:
    log = tmp_path / "emulator.log"
    log.write_text("an earlier run's lines\n")
    emulator = EmulatorProcess("--plan", "platinum", log_path=log)
    with pytest.raises(EmulatorStartError) as raised:
        emulator.start()
    message = str(raised.value)
    assert "the Zoom emulator exited with code 2 before it was ready" in message
    assert "argument --plan: invalid choice: 'platinum'" in message
    assert str(log) in message and "an earlier run's lines" not in message
    assert "Traceback" not in message
    assert_gone(emulator)


def test_busy_port_is_reported_without_a_log_file() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        emulator = EmulatorProcess(port=port, new_session=True)
        with pytest.raises(EmulatorStartError, match=rf"(?s)exited with code 1 .*cannot listen on 127\.0\.0\.1:{port}"):
            emulator.start()
    assert_gone(emulator)


def test_timeout_stops_the_process_it_gave_up_on() -> None:
    emulator = EmulatorProcess(new_session=True, start_timeout=0.01)
    with pytest.raises(EmulatorStartError, match=r"did not report that it was listening within 0\.01 s"):
        emulator.start()
    assert_gone(emulator)


def test_options_behind_the_urls_must_be_keywords() -> None:
    with pytest.raises(ValueError, match=r"--port=9000, --client-id as keyword arguments"):
        EmulatorProcess("--port=9000", "--client-id", "x")


def test_listening_line() -> None:
    assert parse_listening_line("Zoom emulator listening on http://[::1]:8765\n") == "http://[::1]:8765"
    assert parse_listening_line("Uvicorn running on http://127.0.0.1:8765") is None
