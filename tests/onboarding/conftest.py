from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_extract(tmp_path: Path) -> Callable[..., Path]:
    """Write str (as UTF-8, line endings untouched) or bytes to a fresh file and return its path."""

    def write(content: str | bytes, name: str = "hr.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write
