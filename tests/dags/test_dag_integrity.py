from pathlib import Path

from airflow.models.dagbag import DagBag

DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_dag_folder_imports_without_errors():
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert "zoom_onboarding_im_groups" in bag.dag_ids


def test_onboarding_dag_shape():
    dag = DagBag(dag_folder=str(DAGS)).dags["zoom_onboarding_im_groups"]
    assert dag.catchup is True
    assert {"hr_extract_path", "group_name_template", "group_type"} <= set(dag.params.keys())
    branch = dag.get_task("onboard_cohort.choose_path")
    assert branch.downstream_task_ids == {"onboard_cohort.add_all_members", "onboard_cohort.reconcile_members"}
