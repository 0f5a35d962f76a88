"""Figures an e2e run measures (wall times, token requests, ...), printed at the end of the run."""

from __future__ import annotations

FIGURES: dict[str, object] = {}


def record(name: str, value: object) -> None:
    FIGURES[name] = value
