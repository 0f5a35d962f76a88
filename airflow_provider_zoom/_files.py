"""Writing a file so that a reader never sees half of it: a private temporary file beside it, then a rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def write_atomically(
    target: str | os.PathLike[str],
    write: Callable[[IO[Any]], None],
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
    folder_mode: int | None = None,
    durable: bool = False,
) -> str:
    """Write ``target`` through ``write(handle)`` and return its path.

    The temporary file is created owner-only (0600, ``mkstemp``), which suits tokens and reports that quote
    personal data; the folder is created (with ``folder_mode`` when given). ``durable`` also fsyncs before
    the rename. A failure leaves the old file, if any, and no temporary one.
    """
    path = Path(target)
    if folder_mode is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        path.parent.mkdir(mode=folder_mode, parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return str(path)
