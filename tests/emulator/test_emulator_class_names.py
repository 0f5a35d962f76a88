"""The emulator's classes never share a name with the provider's (a traceback must say which side raised)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import airflow_provider_zoom
import zoom_emulator


def class_names(package, *, skip: str | None = None) -> dict[str, str]:
    """Class name -> defining module, for every class defined in the package's own modules."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if skip and (info.name == skip or info.name.startswith(skip + ".")):
            continue
        if info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # a part needing an extra that is not installed here
            continue
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__ == module.__name__:
                found[name] = module.__name__
    return found


def test_no_emulator_class_shares_a_name_with_a_provider_class() -> None:
    emulator = class_names(zoom_emulator)
    provider = class_names(airflow_provider_zoom, skip="zoom_emulator")
    assert emulator and provider
    clashes = {name: (emulator[name], provider[name]) for name in emulator.keys() & provider.keys()}
    assert clashes == {}
