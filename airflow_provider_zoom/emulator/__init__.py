"""A local Zoom API emulator: Server-to-Server OAuth, IM directory groups, Zoom's rate limits and seeded faults.

The demo and every test talk to it over HTTP on loopback, so the provider is exercised exactly as it would
be against api.zoom.us. The state and rules live in :class:`ZoomBackend`; ``app.py`` only translates HTTP.
Run ``python -m airflow_provider_zoom.emulator --help`` for the CLI, or use :class:`EmulatorServer` in-process.
Needs the ``emulator`` extra (uvicorn, starlette via fastapi, python-multipart).
"""

from .backend import ZoomBackend
from .faults import FaultConfig
from .server import EmulatorServer

__all__ = ["EmulatorServer", "FaultConfig", "ZoomBackend"]
