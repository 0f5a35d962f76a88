"""Issue 20: one parsed DAG object run twice with ``dag.test()`` in one process, first with ``dry_run: true`` and
then without, runs the second time as a dry run as well.

The cause is Airflow's, not the provider's. Each task holds its own copy of the DAG's Params (``task.params``, made
when the DAG file is parsed). To build a task's ``params``, Airflow's ``process_params``
(``airflow/sdk/definitions/param.py``) puts the task's ``Param`` objects into a new ``ParamsDict`` and then
``update``-s it with the run's conf; ``ParamsDict.__setitem__`` calls ``Param.resolve(value)``, which stores the
value in that very ``Param`` (``self.value = final_val``). The conf of one run thus becomes each task's default for
the next run of the same DAG object (the DAG's own ``dag.params`` keep theirs). A scheduler, ``airflow dags test``
or ``airflow tasks test`` never meets it: every task process parses the DAG file afresh. The way out in a script or
a test is to parse the DAG again before each run (``tests.airflow_runs.run_dag`` does). docs/dags.md says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from airflow.models.dagbag import DagBag

from tests.airflow_runs import xcom_values
from tests.dags.cohort_runs import SALES, extract_conf, hires

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_ID = "zoom_onboarding_wave"


def parse_wave():
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags[DAG_ID]


def test_a_dag_object_run_twice_takes_the_first_runs_conf_as_its_defaults(zoom, zoom_pool, tmp_path):
    conf = extract_conf(tmp_path, hires(("ana", "Sales")), "hires.csv")
    dag = parse_wave()
    create = dag.get_task("create_groups")
    assert create.params.get_param("dry_run").value is False

    first = dag.test(logical_date=datetime(2026, 11, 23, tzinfo=UTC), run_conf={**conf, "dry_run": True})
    assert xcom_values(first, "summarize", "summary")[0]["dry_run"] == 1
    # Airflow stored the first run's conf in the task's own Param: it is now that task's default.
    assert create.params.get_param("dry_run").value is True
    assert dag.params.get_param("dry_run").value is False

    second = dag.test(logical_date=datetime(2026, 11, 24, tzinfo=UTC), run_conf=conf)  # dry_run: the default, false
    assert second.state == "success"
    assert xcom_values(second, "summarize", "summary")[0]["dry_run"] == 1  # still a dry run
    assert zoom.groups() == {}

    # Parsed afresh, the same conf runs for real.
    third = parse_wave().test(logical_date=datetime(2026, 11, 25, tzinfo=UTC), run_conf=conf)
    assert "dry_run" not in xcom_values(third, "summarize", "summary")[0]
    assert zoom.groups() == {SALES: ["ana@example.com"]}
