"""A local Zoom API emulator: Server-to-Server OAuth, IM directory groups, contact groups, users, rate limits, faults.

The demo and every test talk to it over HTTP on loopback, so the provider is exercised exactly as it would
be against api.zoom.us. The state and rules live in :class:`ZoomBackend`; ``app.py`` only translates HTTP.
Run ``python -m zoom_emulator --help`` for the CLI, :class:`EmulatorProcess` to run that CLI
as a subprocess, or :class:`EmulatorServer` in-process. It is a distribution of its own, ``zoom-emulator``
(``pip install ./emulator``: starlette, uvicorn, python-multipart, requests), apart from the provider it fakes.
"""

from typing import Any

from .backend import ZoomBackend
from .faults import FaultConfig
from .process import EmulatorProcess, EmulatorStartError

__all__ = ["EmulatorProcess", "EmulatorServer", "EmulatorStartError", "FaultConfig", "ZoomBackend"]


def __getattr__(name: str) -> Any:
    # EmulatorServer brings uvicorn and starlette (about 7 MiB): imported on first use, so that a program that
    # only starts the emulator as a process (a benchmark measuring its own memory, say) does not carry them.
    if name == "EmulatorServer":
        from .server import EmulatorServer

        globals()[name] = EmulatorServer
        return EmulatorServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
