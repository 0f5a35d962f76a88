"""Which group API an account answered with, remembered where its tokens are cached.

With ``group_api=auto`` the first task that meets Zoom's 410 (code 4137: "The IM Group APIs are no longer
available") switches to Contact Groups; every later task of the machine reads the choice here and skips the
probe. The file cache keeps it in the token cache's folder (one small JSON file per credential set, written
atomically); the process cache keeps it in memory. Nothing secret is stored: the API's name and when it was
learnt.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from airflow_provider_zoom._files import write_atomically
from airflow_provider_zoom._transport.oauth import S2SCredentials

_IN_PROCESS: dict[tuple[str, ...], str] = {}
_GUARD = threading.Lock()


def _path(directory: str | os.PathLike, credentials: S2SCredentials) -> Path:
    digest = hashlib.sha256("\0".join(credentials.cache_key).encode()).hexdigest()[:24]
    return Path(directory) / f"zoom-group-api-{digest}.json"


def recall(credentials: S2SCredentials, directory: str | os.PathLike | None) -> str | None:
    """The API learnt for these credentials (``contact_groups``), or None when nothing was learnt."""
    with _GUARD:
        known = _IN_PROCESS.get(credentials.cache_key)
    if known or directory is None:
        return known
    try:
        data = json.loads(_path(directory, credentials).read_text())
    except (OSError, ValueError):
        return None
    api = data.get("group_api") if isinstance(data, dict) else None
    if api in ("im_groups", "contact_groups"):
        with _GUARD:
            _IN_PROCESS[credentials.cache_key] = api
        return api
    return None


def remember(credentials: S2SCredentials, directory: str | os.PathLike | None, api: str) -> None:
    """Keep ``api`` for these credentials in this process and, with a file cache, for the machine."""
    with _GUARD:
        _IN_PROCESS[credentials.cache_key] = api
    if directory is None:
        return
    write_atomically(_path(directory, credentials),
                     lambda handle: json.dump({"group_api": api, "learnt_at": time.time()}, handle), folder_mode=0o700)


def forget_all() -> None:
    """Tests: start from nothing learnt in this process."""
    with _GUARD:
        _IN_PROCESS.clear()
