"""(4) DAG parse cost of the sample DAGs against an empty DAG file, and what the provider adds to it.

Two measurements of the same files, each a median over ``--runs`` interleaved runs:

* **airflow** (the headline figures): the parse duration Airflow itself records, ``dag.last_parse_duration``
  (shown in the UI, emitted as ``dag_processing.last_duration``). Each run is ``airflow dag-processor
  --num-runs 1`` with one file in its DAGs folder, on a scratch SQLite home, one parsing process: the
  manager pre-imports the ``airflow.*`` modules the file names (``[dag_processor] parsing_pre_import_modules``),
  forks a child that imports the file, serializes its DAGs and sends them back; Airflow times the child.
* **child** (the breakdown): the child's part alone, in a fresh interpreter that first loads what the manager
  has loaded: "parse" (the file's other imports, building and serializing its DAGs), "warm" (the same again,
  every import cached) and "process" (from ``import airflow.sdk`` to the parsed DAG, start-up included).

Files: an empty DAG; the empty DAG importing the provider's operator modules (what the provider itself adds
to any DAG file that uses it); the empty DAG with one TaskFlow ``@task`` (the floor of every TaskFlow DAG:
``@task`` imports the standard provider's decorators in the child, which the manager does not pre-import);
the two sample DAGs; the baseline DAG of the end-to-end benchmark.

``dag_parse_ratio`` = worst sample DAG / empty DAG; ``provider_parse_ratio`` = empty DAG importing the
provider / empty DAG (both Airflow's figure). ``provider_import_s`` = importing the provider's operator
modules in a process that holds what a DAG processor's child inherits (median).

    python -m bench.dag_parse --runs 7
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from bench.common import PYTHON, REPO, airflow_env, exit_on_sigterm, log, median

SAMPLE_DAGS = {
    "zoom_onboarding_im_groups": REPO / "dags" / "zoom_onboarding_im_groups.py",
    "zoom_onboarding_wave": REPO / "dags" / "zoom_onboarding_wave.py",
}
BASELINE_DAG = REPO / "bench" / "dags" / "baseline_http_mapped.py"
EMPTY_DAG = '''"""An empty DAG: what parsing costs before a DAG file does anything of its own."""
import pendulum
from airflow.sdk import DAG
{imports}
with DAG(dag_id="{dag_id}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
{body}
'''
REFERENCE_DAGS = {  # name -> (extra imports, DAG body)
    "empty": ("", "    pass"),
    "empty_importing_provider": (
        ("from airflow_provider_zoom.operators.waves import WaveCreateGroupsOperator  # noqa: F401\n"
         "from airflow_provider_zoom.operators.im_groups import CreateIMGroupOperator  # noqa: F401\n"),
        "    pass",
    ),
    "one_taskflow_task": ("from airflow.sdk import task\n", "    @task\n    def noop():\n        pass\n\n    noop()"),
}

PARSE_CHILD = r'''
import importlib, json, sys, time
path = sys.argv[1]
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
from airflow.dag_processing.processor import DagSerialization
from airflow.utils.file import iter_airflow_imports

t2 = time.perf_counter()
for module in iter_airflow_imports(path):  # what the manager pre-imports before it forks the parse
    importlib.import_module(module)
t3 = time.perf_counter()

def parse():
    bag = DagBag(dag_folder=path, load_op_links=False)
    assert not bag.import_errors and bag.dags, bag.import_errors
    for dag in bag.dags.values():
        DagSerialization.to_dict(dag)
    return bag

bag = parse()
t4 = time.perf_counter()
parse()
t5 = time.perf_counter()
print(json.dumps({"sdk_import_s": t1 - t0, "pre_import_s": t3 - t2, "parse_s": t4 - t3, "warm_s": t5 - t4,
                  "process_s": (t1 - t0) + (t4 - t2), "dags": sorted(bag.dags)}))
'''

IMPORT_CHILD = r'''
import json, time
import airflow.sdk
from airflow.dag_processing.dagbag import DagBag
from airflow.dag_processing.processor import DagSerialization
t0 = time.perf_counter()
import airflow_provider_zoom.operators.waves, airflow_provider_zoom.operators.im_groups
print(json.dumps({"provider_s": time.perf_counter() - t0}))
'''


def _child(code: str, *args: str, env: dict[str, str]) -> dict:
    done = subprocess.run([PYTHON, "-c", code, *args], check=False, env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"parse child failed for {args}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class AirflowParseTimer:
    """Airflow's own parse duration of one file: a one-shot DAG processor on a scratch SQLite home."""

    def __init__(self, home: Path):
        self.home = home
        self.env = airflow_env(home, AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="1")
        self._airflow(["db", "migrate"])

    def _airflow(self, args: list[str], **extra: str) -> None:
        done = subprocess.run([PYTHON, "-m", "airflow", *args], env={**self.env, **extra}, cwd=self.home,
                              capture_output=True, text=True, check=False, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")

    def parse_s(self, folder: Path, dag_ids: list[str]) -> float:
        """Parse ``folder`` (one file) once; the slowest of its DAGs' recorded parse durations."""
        self._airflow(["dag-processor", "--num-runs", "1"], AIRFLOW__CORE__DAGS_FOLDER=str(folder))
        with sqlite3.connect(self.home / "airflow.db") as db:
            rows = db.execute(f"SELECT dag_id, last_parse_duration FROM dag WHERE dag_id IN "
                              f"({','.join('?' * len(dag_ids))})", dag_ids).fetchall()
        if len(rows) != len(dag_ids) or any(duration is None for _, duration in rows):
            raise RuntimeError(f"the DAG processor recorded no parse of {dag_ids} from {folder}: {rows}")
        return max(duration for _, duration in rows)


def _files(tmp: Path) -> dict[str, Path]:
    """Each file alone in its own folder, so that one file's pre-imports never help another's parse."""
    files: dict[str, Path] = {}
    for name, (imports, body) in REFERENCE_DAGS.items():
        files[name] = tmp / name / f"{name}.py"
        files[name].parent.mkdir()
        files[name].write_text(EMPTY_DAG.format(imports=imports, dag_id=f"bench_{name}", body=body))
    for name, source in {**SAMPLE_DAGS, "baseline_http_mapped": BASELINE_DAG}.items():
        files[name] = tmp / name / source.name
        files[name].parent.mkdir()
        shutil.copy(source, files[name])
    return files


def measure(runs: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="zoom-bench-parse-") as tmp_name:
        tmp = Path(tmp_name)
        files = _files(tmp)
        home = tmp / "airflow-home"
        home.mkdir()
        timer = AirflowParseTimer(home)
        child: dict[str, list[dict]] = {name: [] for name in files}
        airflow: dict[str, list[float]] = {name: [] for name in files}
        imports = []
        for run in range(runs):  # interleaved, so that drift hits every file alike
            log(f"dag_parse: run {run + 1} of {runs}")
            for name, path in files.items():
                sample = _child(PARSE_CHILD, str(path), env=env)
                child[name].append(sample)
                airflow[name].append(timer.parse_s(path.parent, sample["dags"]))
            imports.append(_child(IMPORT_CHILD, env=env)["provider_s"])

    def med(name: str, key: str) -> float:
        return median([s[key] for s in child[name]])

    empty_airflow = median(airflow["empty"])
    per_file = {
        name: {
            "airflow_parse_median_s": median(airflow[name]),
            "airflow_parse_ratio_vs_empty": median(airflow[name]) / empty_airflow,
            "airflow_parse_s": airflow[name],
            "child_parse_median_s": med(name, "parse_s"),
            "child_parse_ratio_vs_empty": med(name, "parse_s") / med("empty", "parse_s"),
            "child_pre_import_median_s": med(name, "pre_import_s"),
            "child_warm_median_s": med(name, "warm_s"),
            "child_warm_ratio_vs_empty": med(name, "warm_s") / med("empty", "warm_s"),
            "child_process_median_s": med(name, "process_s"),
            "child_process_ratio_vs_empty": med(name, "process_s") / med("empty", "process_s"),
        }
        for name in files
    }
    worst = max(SAMPLE_DAGS, key=lambda name: per_file[name]["airflow_parse_ratio_vs_empty"])
    return {
        "runs": runs,
        "files": per_file,
        "worst_sample_dag": worst,
        "dag_parse_ratio": per_file[worst]["airflow_parse_ratio_vs_empty"],
        "provider_parse_ratio": per_file["empty_importing_provider"]["airflow_parse_ratio_vs_empty"],
        "one_taskflow_task_parse_ratio": per_file["one_taskflow_task"]["airflow_parse_ratio_vs_empty"],
        "dag_parse_child_ratio": max(per_file[name]["child_parse_ratio_vs_empty"] for name in SAMPLE_DAGS),
        "dag_parse_process_ratio": max(per_file[name]["child_process_ratio_vs_empty"] for name in SAMPLE_DAGS),
        "provider_import_s": median(imports),
        "provider_import_s_runs": imports,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(measure(args.runs)))


if __name__ == "__main__":
    exit_on_sigterm()
    main()
