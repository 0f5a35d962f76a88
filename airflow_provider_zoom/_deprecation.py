"""The provider's one deprecation mechanism: a retired module-level name still resolves, with Airflow's
``AirflowProviderDeprecationWarning`` naming its replacement.

A module lists its retired names and assigns ``__getattr__ = retired_names(__name__, {...})``; the new object is
imported only when an old name is used, so the old names cost nothing at DAG parse time.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def retired_names(module: str, renamed: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``renamed`` (old name -> ``"package.module:NewName"``) with a warning."""

    def __getattr__(name: str) -> Any:
        target = renamed.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new_module, _, new_name = target.partition(":")
        warn_renamed(f"{module}.{name}", f"{new_module}.{new_name}", stacklevel=3)
        return getattr(importlib.import_module(new_module), new_name)

    return __getattr__


def warn_renamed(old: str, new: str, *, stacklevel: int = 2) -> None:
    from airflow.exceptions import AirflowProviderDeprecationWarning

    warnings.warn(f"{old} is deprecated: use {new}", AirflowProviderDeprecationWarning, stacklevel=stacklevel + 1)
