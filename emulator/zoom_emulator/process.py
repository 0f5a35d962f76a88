"""The emulator in a process of its own: ``python -m zoom_emulator`` started, awaited, stopped.

:class:`~.server.EmulatorServer` runs the emulator on a thread of the caller. The demo, the benchmarks and the
e2e harness need it beside them instead: Airflow's own processes reach it over HTTP, and a benchmark's CPU
and memory figures must not include the emulator's. The calling process needs neither uvicorn nor
starlette for this. POSIX only (``select`` on a pipe, process groups).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Self

from .backend import DEFAULT_ACCOUNT_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from .handle import EmulatorHandle

LISTENING = "Zoom emulator listening on "  # the CLI's one stdout line, printed once it accepts connections
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
_KEYWORD_OPTIONS = ("--host", "--port", "--client-id", "--client-secret", "--account-id")


class EmulatorStartError(RuntimeError):
    """The emulator exited, or did not report that it listens, in time; the message quotes its stderr's verdict."""


def parse_listening_line(line: str) -> str | None:
    """The URL in the CLI's ``Zoom emulator listening on http://HOST:PORT`` line, else ``None``."""
    match = re.fullmatch(re.escape(LISTENING) + r"(http://\S+)\s*", line)
    return match.group(1) if match else None


def stop_process(proc: subprocess.Popen, *, group: bool = False, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM ``proc`` (with ``group``, the process group it leads), then SIGKILL what is left after ``timeout``.

    With ``group`` the SIGKILL goes to the group even when its leader has exited, because children (task
    processes, say) may outlive it. Only for a group made by ``start_new_session=True``, never the caller's.
    """

    def send(signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group:
                os.killpg(proc.pid, signum)
            else:
                proc.send_signal(signum)  # a no-op once proc has been waited for

    if proc.poll() is None:
        send(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)
    send(signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout)


class EmulatorProcess(EmulatorHandle):
    """``python -m zoom_emulator`` as a subprocess, ready once it has printed its URL.

    ``args`` are further CLI options (``"--plan", "business"``, ``"--state-file", path``; see ``--help``). Host,
    port and the OAuth app are keywords, since :attr:`url` and :meth:`connection_uri_json` depend on them. Port
    0, the default, has the emulator bind a free port itself (no pick-then-bind race) and its listening line
    says which. ``users`` (addresses, written to a temporary ``--users`` file for the process's lifetime) and
    ``user_domains`` (``--user-domain``) seed the account's users, and ``pending_users`` (``--pending-users``) and
    ``missing_users`` (``--missing-users``) adjust them, like :class:`ZoomBackend`'s keywords, and ``activate_after``
    (``--activate-after``) has pending users accept their invitation that many seconds later; a
    users file of one's own goes in ``args`` as ``"--users", path``. Its stderr is appended to ``log_path``, or
    kept in a temporary file; either way a failed start
    raises :class:`EmulatorStartError` quoting that stderr's last line, not a bare traceback. ``new_session``
    gives it a process group of its own, out of reach of the terminal's Ctrl-C: then only :meth:`stop` ends it,
    group and all::

        with EmulatorProcess("--plan", "business", log_path="emulator.log") as zoom:
            os.environ["AIRFLOW_CONN_ZOOM_DEFAULT"] = zoom.connection_uri_json()
    """

    def __init__(
        self,
        *args: str,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        account_id: str = DEFAULT_ACCOUNT_ID,
        users: Iterable[str] | None = None,
        user_domains: Iterable[str] = (),
        pending_users: Iterable[str] = (),
        missing_users: Iterable[str] = (),
        activate_after: float | None = None,
        log_path: str | os.PathLike[str] | None = None,
        new_session: bool = False,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        start_timeout: float = START_TIMEOUT,
        stop_timeout: float = STOP_TIMEOUT,
    ):
        clashes = [arg for arg in args if arg.split("=", 1)[0] in _KEYWORD_OPTIONS]
        if clashes:
            raise ValueError(f"EmulatorProcess: give {', '.join(clashes)} as keyword arguments, not as CLI args")
        self.argv = [
            sys.executable,
            "-m",
            "zoom_emulator",
            "--host",
            host,
            "--port",
            str(port),
            "--client-id",
            client_id,
            "--client-secret",
            client_secret,
            "--account-id",
            account_id,
            *(arg for domain in user_domains for arg in ("--user-domain", domain)),
            *(arg for email in pending_users for arg in ("--pending-users", email)),
            *(arg for email in missing_users for arg in ("--missing-users", email)),
            *(("--activate-after", str(activate_after)) if activate_after is not None else ()),
            *args,
        ]
        self.users = list(users) if users is not None else None
        self._users_file: Path | None = None  # written by start(), removed by stop()
        self.client_id, self.client_secret, self.account_id = client_id, client_secret, account_id
        self.log_path = Path(log_path) if log_path is not None else None
        self.new_session = new_session
        self.start_timeout, self.stop_timeout = start_timeout, stop_timeout
        self._env = dict(env) if env is not None else None
        self._cwd = cwd
        self.proc: subprocess.Popen | None = None
        self._stderr: IO[bytes] | None = None  # open from start() to stop()
        self.url = ""

    def start(self) -> Self:
        if self._stderr is not None:
            raise RuntimeError("EmulatorProcess already started")
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._stderr = open(self.log_path, "a+b")  # noqa: SIM115 - closed by stop()
        else:
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed (and so deleted) by stop()
        stderr_start = self._stderr.seek(0, os.SEEK_END)
        self.proc = None
        argv = self.argv
        try:
            if self.users is not None:
                fd, name = tempfile.mkstemp(prefix="zoom-emulator-users-", suffix=".txt")
                self._users_file = Path(name)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.writelines(f"{email}\n" for email in self.users)
                argv = [*argv, "--users", name]
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=self._env,
                cwd=self._cwd,
                start_new_session=self.new_session,
            )
            url, problem = self._await_url()
        except BaseException:  # Ctrl-C while waiting, say: leave nothing running
            self.stop()
            raise
        if problem:
            stop_process(self.proc, group=self.new_session, timeout=self.stop_timeout)
            message = f"the Zoom emulator {problem}{self._stderr_since(stderr_start)}"
            self.stop()
            raise EmulatorStartError(message)
        self.url = url
        self._stderr.write(f"{LISTENING}{url}\n".encode())  # so that the log tells the whole story
        self._stderr.flush()
        return self

    def _await_url(self) -> tuple[str, str]:
        """``(url, "")`` once the emulator prints its listening line, else ``("", what went wrong)``."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + self.start_timeout
        received = b""
        while b"\n" not in received:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "", f"did not report that it was listening within {self.start_timeout:g} s"
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 4096)
                if not chunk:  # end of stdout: the emulator has exited
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self.proc.wait(self.stop_timeout)
                    return "", f"exited with code {self.proc.returncode} before it was ready"
                received += chunk
        line = received.split(b"\n", 1)[0].decode(errors="replace")
        url = parse_listening_line(line)
        return (url, "") if url else ("", f"printed {line!r} where its listening line was expected")

    def _stderr_since(self, offset: int) -> str:
        """Its last stderr line, the verdict of argparse, the backend or a traceback; and where the rest is."""
        assert self._stderr is not None
        self._stderr.seek(offset)
        lines = [line.strip() for line in self._stderr.read().decode(errors="replace").splitlines() if line.strip()]
        verdict = f": {lines[-1]}" if lines else " (nothing on its stderr)"
        return f"{verdict}\n(its stderr is in {self.log_path})" if self.log_path is not None and lines else verdict

    def stop(self) -> None:
        """SIGTERM (the emulator then exits 0, its state file saved), SIGKILL whatever is left; idempotent."""
        if self._stderr is None:
            return
        if self.proc is not None:
            stop_process(self.proc, group=self.new_session, timeout=self.stop_timeout)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
        self._stderr.close()
        self._stderr = None
        if self._users_file is not None:
            self._users_file.unlink(missing_ok=True)
            self._users_file = None
