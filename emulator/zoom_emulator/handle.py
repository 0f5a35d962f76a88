"""A client's handle on a running emulator, shared by the in-thread server and the subprocess wrapper."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Self

import requests


def base_url(host: str, port: int) -> str:
    """``http://host:port``, with an IPv6 host in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class EmulatorHandle:
    """A running emulator as a client sees it: its URLs, an Airflow connection to it, its inspection endpoints.

    :class:`~.server.EmulatorServer` and :class:`~.process.EmulatorProcess` differ only in how they run the
    emulator; both take this, so they cannot disagree on where the API lives. They set ``url`` once the
    emulator listens and the OAuth app's ``client_id``, ``client_secret`` and ``account_id``, and implement
    :meth:`start` and :meth:`stop`, which ``with`` calls.
    """

    url: str
    client_id: str
    client_secret: str
    account_id: str

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    def connection_uri_json(self, **extra: str) -> str:
        """The value for ``AIRFLOW_CONN_ZOOM_DEFAULT`` (Airflow's JSON connection format); ``extra`` adds fields
        to the connection's extra, e.g. ``credential_cache_dir``."""
        return json.dumps(
            {
                "conn_type": "zoom",
                "host": self.api_url,
                "login": self.client_id,
                "password": self.client_secret,
                "extra": {"account_id": self.account_id, "oauth_url": self.token_url, **extra},
            },
            separators=(",", ":"),
        )

    def state(self, timeout: float = 60) -> dict[str, Any]:
        """``GET /_emulator/state``: groups, users, counters and config (never the secret or tokens)."""
        return requests.get(f"{self.url}/_emulator/state", timeout=timeout).json()

    def groups(self, timeout: float = 60) -> dict[str, list[str]]:
        """The account as its users see it: group name -> sorted member emails (what a test asserts on)."""
        return {g["name"]: sorted(m["email"] for m in g.get("members", [])) for g in self.state(timeout)["groups"]}

    def contact_groups(self, timeout: float = 60) -> dict[str, list[list[str]]]:
        """Contact groups as their users see them: name -> one sorted list of member emails per group of that
        name (names may repeat at Zoom), e.g. ``{"Cohort": [["ann@x.org"]]}`` when exactly one group has it."""
        result: dict[str, list[list[str]]] = {}
        for group in self.state(timeout)["contact_groups"]:
            emails = sorted(m["email"] or m["id"] for m in group["members"])
            result.setdefault(group["group_name"], []).append(emails)
        return result

    def count(self, route: str, status: int | None = None, timeout: float = 60) -> int:
        """Requests answered on ``route`` (e.g. ``"POST /v2/im/groups"``, ``"POST /v2/contacts/groups"``,
        ``"GET /v2/users/{userId}"``), with ``status`` if given."""
        by_status = self.state(timeout)["counters"]["requests"].get(route, {})
        return sum(n for s, n in by_status.items() if status is None or str(s) == str(status))

    def reset(self, *, keep_config: bool = True, timeout: float = 30) -> None:
        """Empty the account and counters; ``keep_config=False`` also goes back to the start-up config."""
        reply = requests.post(f"{self.url}/_emulator/reset", json={"keep_config": keep_config}, timeout=timeout)
        reply.raise_for_status()

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
