"""A minimal task context for calling an operator's ``execute`` directly: ``ti.xcom_push`` and a ``run_id``."""

from __future__ import annotations


class FakeTI:
    def __init__(self):
        self.pushed = {}

    def xcom_push(self, key, value):
        self.pushed[key] = value


def task_context(run_id: str = "manual__2026-12-01T10:00:00+00:00") -> dict:
    return {"ti": FakeTI(), "run_id": run_id}
