"""Running the repo's DAGs for real in tests and reading back what they left in the metadata DB."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_dag(dag_id: str, conf: dict | None = None, logical_date=None):
    """``dag.test()`` of a DAG of this repo, parsed from the DAG folder; returns the DagRun."""
    from datetime import UTC, datetime

    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.dags[dag_id].test(logical_date=logical_date or datetime.now(UTC), run_conf=conf or {})


def xcom_values(run, task_id: str, key: str = "return_value") -> list:
    """XCom values of one task of a finished run, by map index."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(XComModel)
            .where(XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id,
                   XComModel.task_id == task_id, XComModel.key == key)
            .order_by(XComModel.map_index)
        ).all()
        return [XComModel.deserialize_value(row) for row in rows]


def task_states(run) -> dict[tuple[str, int], str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        tis = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)
        ).all()
        return {(ti.task_id, ti.map_index): ti.state for ti in tis}


def asset_events(run) -> list[dict]:
    """The asset events a finished run left in the metadata DB: asset URI, extra, the aliases they came through."""
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.scalars(
            select(AssetEvent)
            .where(AssetEvent.source_dag_id == run.dag_id, AssetEvent.source_run_id == run.run_id)
            .order_by(AssetEvent.id)
        ).all()
        return [{"uri": e.asset.uri, "extra": dict(e.extra or {}), "task_id": e.source_task_id,
                 "aliases": sorted(a.name for a in e.source_aliases)} for e in events]
