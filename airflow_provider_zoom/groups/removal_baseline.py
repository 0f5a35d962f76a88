"""The removal guard's memory across runs: the most members each group has had (its baseline).

Compared with a group's current size only, ``max_removal_share`` lets a series of truncated extracts shrink a
group step by step (4 -> 2 -> 1, each run within 0.5). So exact membership also compares what a group would keep
with its baseline, the high-water mark of its membership as exact runs saw it, and stops when more than
``max_removal_share`` of the baseline would be gone. The baseline only ever rises; a team that means a group to
shrink further raises the Param for that run (or deletes the group's Variable, which starts it over).

``VariableBaselines`` keeps one Airflow Variable per group, ``zoom_removal_baseline__<group API>__<group id>``
(a number), written from the task's main thread only. ``MemoryBaselines`` keeps them in a dict: what
``default_baselines`` gives code that runs outside an Airflow task (a script, ``operator.execute`` in a unit
test), where there are no Variables to write and no runs to span. ``airflow.sdk`` is imported when a Variable
is read or written, never at import time.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Baselines", "MemoryBaselines", "VariableBaselines", "baseline_key", "default_baselines"]

VARIABLE_PREFIX = "zoom_removal_baseline"


def baseline_key(group_api: str, group_id: str) -> str:
    """The Variable of one group: group ids are unique per API, not across both."""
    return f"{VARIABLE_PREFIX}__{group_api}__{group_id}"


class Baselines(Protocol):
    def get(self, group_api: str, group_id: str) -> int | None:
        """The group's baseline, or None for a group no exact run has seen."""
        ...

    def raise_to(self, group_api: str, group_id: str, members: int) -> int:
        """Record ``members`` when it is more than the baseline; return the baseline after."""
        ...


class MemoryBaselines:
    """Baselines for one process: what a caller outside Airflow gets."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def get(self, group_api: str, group_id: str) -> int | None:
        return self.values.get(baseline_key(group_api, group_id))

    def raise_to(self, group_api: str, group_id: str, members: int) -> int:
        key = baseline_key(group_api, group_id)
        self.values[key] = max(self.values.get(key, 0), int(members))
        return self.values[key]


class VariableBaselines:
    """Baselines in Airflow Variables, so that every run of every DAG sees the same ones."""

    def get(self, group_api: str, group_id: str) -> int | None:
        from airflow.sdk import Variable

        value = Variable.get(baseline_key(group_api, group_id), default=None)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):  # edited by hand into something else: the current size decides
            return None

    def raise_to(self, group_api: str, group_id: str, members: int) -> int:
        from airflow.sdk import Variable

        baseline = max(self.get(group_api, group_id) or 0, int(members))
        Variable.set(
            baseline_key(group_api, group_id), str(baseline),
            description="Most members this Zoom group has had: exact membership's removal guard across runs",
        )
        return baseline


_PROCESS_BASELINES = MemoryBaselines()


def default_baselines() -> Baselines:
    """Airflow Variables inside a running task; outside one (no task supervisor to write them through), the
    process's own baselines."""
    from airflow.sdk.execution_time import task_runner

    if getattr(task_runner, "SUPERVISOR_COMMS", None) is None:
        return _PROCESS_BASELINES
    return VariableBaselines()
