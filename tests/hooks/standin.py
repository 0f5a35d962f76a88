"""A stand-in Zoom on 127.0.0.1 that serves scripted replies, for what the emulator never does.

Real HTTP on loopback (``http.server`` in a thread): a token endpoint and API routes whose replies a
test scripts (HTML pages, truncated JSON, arrays, echoes of the request's headers). Every request is
recorded, so a test can count attempts.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

CLIENT_ID = "standin-client-id"
CLIENT_SECRET = "standin-S3CRET-4d1c9e"
ACCOUNT_ID = "standin-account"
TOKEN = "standin-TOKEN-eyJhbGciOi.8c2f7d1a9b"
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int
    body: Any = b""  # bytes as is; anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "text/html; charset=utf-8")
        return json.dumps(self.body).encode(), "application/json;charset=UTF-8"


Responder = Callable[[Seen], Reply]


def echo_headers(status: int, **fields: Any) -> Responder:
    """A server that writes the request's headers into its error body, as some gateways do."""

    def respond(seen: Seen) -> Reply:
        echoed = "; ".join(f"{k}: {v}" for k, v in seen.headers.items())
        body = {"code": status, "message": f"Rejected request with headers {echoed}", **fields}
        if "errors" in fields:
            body["errors"] = [{"field": "members[0].email", "message": echoed}]
        return Reply(status, body, {"X-Echo": seen.headers.get("Authorization", "")})

    return respond


class StandInZoom:
    """``routes[(method, path)]`` is a list of replies (or responders) served in turn; the last one repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply | Responder]] = {
            ("POST", "/oauth/token"): [Reply(200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600})],
        }
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, urlsplit(self.path).path, dict(self.headers.items()), self.rfile.read(length))
                reply = stand_in._reply(seen)
                body, content_type = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                for name, value in reply.headers.items():
                    if name != "Content-Type":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                try:
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout under test): nothing to tell it

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            replies = self.routes.get((seen.method, seen.path))
            if not replies:
                return Reply(404, {"code": 404, "message": f"stand-in has no route {seen.method} {seen.path}"})
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return reply(seen) if callable(reply) else reply

    def on(self, method: str, path: str, *replies: Reply | Responder) -> None:
        self.routes[(method, path)] = list(replies)

    def count(self, method: str, path: str) -> int:
        return sum(1 for s in self.seen if (s.method, s.path) == (method, path))

    def connection_json(self, **extra: Any) -> str:
        return json.dumps({
            "conn_type": "zoom",
            "host": f"{self.url}/v2",
            "login": CLIENT_ID,
            "password": CLIENT_SECRET,
            "extra": {"account_id": ACCOUNT_ID, "oauth_url": f"{self.url}/oauth/token", **extra},
        })

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
