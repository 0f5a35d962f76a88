"""Where access tokens live between calls: in the process, or shared by every process of one machine.

Zoom's "latest token only" policy makes each new token invalidate the older ones. Many task
processes starting at once, each with its own token, would invalidate one another in a loop; with a
file shared under an exclusive lock they use one token and fetch a new one only when Zoom rejects
it, once for all of them. The file (0600, in a 0700 folder) is a secret at rest with the lifetime of
the token (one hour at most): keep the folder on local disk of the worker. Across machines nothing
is shared; see the README for what that means under each token policy.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from airflow_provider_zoom._files import write_atomically
from airflow_provider_zoom._transport.masking import mask
from airflow_provider_zoom._transport.oauth import AccessToken, S2SCredentials


class ProcessTokenCache:
    """Tokens shared by every hook of the process, one per (token URL, client ID, account ID)."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, ...], AccessToken] = {}
        self._locks: dict[tuple[str, ...], threading.Lock] = {}
        self._guard = threading.Lock()
        self.fetches = 0

    def _lock(self, key: tuple[str, ...]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, credentials: S2SCredentials, fetch: Callable[[], AccessToken]) -> str:
        key = credentials.cache_key
        token = self._tokens.get(key)
        if token is not None and token.is_fresh():
            return token.value
        with self._lock(key):
            token = self._tokens.get(key)
            if token is None or not token.is_fresh():
                token = self._load_or_fetch(credentials, fetch)
                self._tokens[key] = token
            return token.value

    def _load_or_fetch(self, credentials: S2SCredentials, fetch: Callable[[], AccessToken]) -> AccessToken:
        self.fetches += 1
        return fetch()

    def invalidate(self, credentials: S2SCredentials, rejected: str) -> None:
        """Forget the token Zoom rejected, unless another thread already replaced it."""
        key = credentials.cache_key
        with self._lock(key):
            token = self._tokens.get(key)
            if token is not None and token.value == rejected:
                del self._tokens[key]

    def clear(self) -> None:
        with self._guard:
            self._tokens.clear()


class FileTokenCache(ProcessTokenCache):
    """A process cache backed by one file per credential set, read and renewed under ``flock``."""

    def __init__(self, directory: str | os.PathLike) -> None:
        super().__init__()
        self.directory = Path(directory)

    def _path(self, credentials: S2SCredentials) -> Path:
        digest = hashlib.sha256("\0".join(credentials.cache_key).encode()).hexdigest()[:24]
        return self.directory / f"zoom-token-{digest}.json"

    @contextlib.contextmanager
    def _file_lock(self, credentials: S2SCredentials):
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_path = self._path(credentials).with_suffix(".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self, credentials: S2SCredentials) -> AccessToken | None:
        try:
            data = json.loads(self._path(credentials).read_text())
            token = AccessToken(value=str(data["access_token"]), expires_at=float(data["expires_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        mask(token.value)  # written by another process: this process's masker has never seen it
        return token

    def _write(self, credentials: S2SCredentials, token: AccessToken) -> None:
        record = {"access_token": token.value, "expires_at": token.expires_at}
        write_atomically(self._path(credentials), lambda handle: json.dump(record, handle))  # created 0600

    def _load_or_fetch(self, credentials: S2SCredentials, fetch: Callable[[], AccessToken]) -> AccessToken:
        with self._file_lock(credentials):
            shared = self._read(credentials)
            if shared is not None and shared.is_fresh():
                return shared
            token = super()._load_or_fetch(credentials, fetch)
            self._write(credentials, token)
            return token

    def invalidate(self, credentials: S2SCredentials, rejected: str) -> None:
        super().invalidate(credentials, rejected)
        with self._file_lock(credentials):
            shared = self._read(credentials)
            if shared is not None and shared.value == rejected:
                self._path(credentials).unlink(missing_ok=True)


PROCESS_TOKENS = ProcessTokenCache()
_FILE_CACHES: dict[str, FileTokenCache] = {}
_FILE_CACHES_GUARD = threading.Lock()


def default_token_cache_dir() -> Path:
    home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return Path(home) / ".zoom_tokens"


def token_cache(kind: str = "file", directory: str | os.PathLike | None = None) -> ProcessTokenCache:
    """The cache of this process for ``kind`` ``file`` (default) or ``process``; one instance per folder."""
    if kind == "process":
        return PROCESS_TOKENS
    if kind != "file":
        from airflow_provider_zoom.exceptions import ZoomConfigError

        raise ZoomConfigError(f'extra "token_cache" must be "file" or "process", got {kind!r}')
    folder = str(Path(directory) if directory else default_token_cache_dir())
    with _FILE_CACHES_GUARD:
        return _FILE_CACHES.setdefault(folder, FileTokenCache(folder))
