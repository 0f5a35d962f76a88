"""Running the emulator under uvicorn: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Self

import requests
import uvicorn

from .app import create_app
from .backend import ZoomBackend
from .handle import EmulatorHandle, base_url

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before uvicorn starts, so port 0 yields a known free port with no pick-then-bind race."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class NotifyingServer(uvicorn.Server):
    """uvicorn's server plus a callback once it accepts connections."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]):
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()


def build_server(
    backend: ZoomBackend,
    sock: socket.socket,
    on_started: Callable[[], None],
    *,
    log_level: str = "warning",
    configure_logging: bool = True,
) -> NotifyingServer:
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        create_app(backend),
        host=host,
        port=port,
        log_level=log_level,
        # In-process servers must not reconfigure the host program's logging; the CLI wants uvicorn's.
        log_config=uvicorn.config.LOGGING_CONFIG if configure_logging else None,
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=2,
    )
    return NotifyingServer(config, on_started)


class EmulatorServer(EmulatorHandle):
    """The emulator on ``127.0.0.1`` and a free port, in a background thread, for tests.

    Keyword arguments are :class:`ZoomBackend`'s (``client_id``, ``client_secret``, ``account_id``,
    ``state_file``, ``plan``, ``light_rps``, ``medium_rps``, ``light_daily``, ``medium_daily``, ``heavy_rps``,
    ``heavy_daily``, ``token_policy``, ``token_ttl``, ``app_disabled``, ``paid_account``, ``users``,
    ``user_domains``, ``pending_users``, ``missing_users``, ``im_groups``, ``contact_group_names``,
    ``contact_members_key``, ``activate_after``, ``user_seats``, ``foreign_users``, ``create_actions``,
    ``user_create_daily``, ``faults``, ``seed``, ``clock``)::

        with EmulatorServer(plan="free", user_domains=["example.com"]) as zoom:
            os.environ["AIRFLOW_CONN_ZOOM_DEFAULT"] = zoom.connection_uri_json()
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning", **settings: Any):
        backend = self.backend = ZoomBackend(**settings)
        self.client_id, self.client_secret, self.account_id = (
            backend.client_id,
            backend.client_secret,
            backend.account_id,
        )
        self._host, self._port, self._log_level = host, port, log_level
        self._server: NotifyingServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("EmulatorServer already started")
        sock = bind_socket(self._host, self._port)
        port = sock.getsockname()[1]
        self.url = base_url(self._host, port)
        started = threading.Event()
        self._server = build_server(self.backend, sock, started.set, log_level=self._log_level, configure_logging=False)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"zoom-emulator-{port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not started.wait(0.02):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError("Zoom emulator failed to start (see the log above)")
        requests.get(f"{self.url}/health", timeout=START_TIMEOUT).raise_for_status()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT)
        if self._thread.is_alive():  # a request still running (e.g. injected latency): stop waiting for it
            self._server.force_exit = True
            self._thread.join(STOP_TIMEOUT)
        self._server = self._thread = None
