"""The groups tests use the hook tests' stand-in Zoom for replies the emulator never gives."""

from tests.hooks.conftest import standin  # noqa: F401 - the fixture, shared
