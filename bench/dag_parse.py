"""(4) DAG parse cost of the sample DAGs against an empty DAG file, and the provider's import time.

Every measurement is a fresh interpreter that does what a DAG processor's parse does: the manager has
``airflow.sdk`` and the DAG processor's modules loaded and pre-imports the ``airflow.*`` modules a file
imports (``[dag_processor] parsing_pre_import_modules``), then forks a child that imports the file
(``DagBag(dag_folder=<file>)``) and serializes its DAGs. The timed part ("parse") is the child's part:
the file's other imports, building the DAG, serializing it. Also reported per file: the pre-import time,
"warm" (the same parse again in the same process, every import cached), and "process" (a fresh
interpreter from ``import airflow.sdk`` to the parsed DAG, start-up included).

``provider_import_s`` = median time to import ``airflow_provider_zoom.operators.im_groups`` in a fresh
process minus the median time to import ``airflow.sdk`` in a fresh process.

    python -m bench.dag_parse --runs 7
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from bench.common import PYTHON, REPO, median

SAMPLE_DAGS = {
    "zoom_onboarding_im_groups": REPO / "dags" / "zoom_onboarding_im_groups.py",
    "zoom_onboarding_wave": REPO / "dags" / "zoom_onboarding_wave.py",
}
EXTRA_DAGS = {"baseline_http_mapped": REPO / "bench" / "dags" / "baseline_http_mapped.py"}
EMPTY_DAG = '''"""An empty DAG: what parsing costs before a DAG file does anything of its own."""
import pendulum
from airflow.sdk import DAG

with DAG(dag_id="empty", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    pass
'''

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
t0 = time.perf_counter()
import airflow_provider_zoom.operators.im_groups
print(json.dumps({"provider_s": time.perf_counter() - t0}))
'''


def _child(code: str, *args: str, env: dict[str, str]) -> dict:
    done = subprocess.run([PYTHON, "-c", code, *args], check=False, env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"parse child failed for {args}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(runs: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="zoom-bench-parse-") as tmp:
        empty = Path(tmp) / "empty_dag.py"
        empty.write_text(EMPTY_DAG)
        files = {"empty": empty, **SAMPLE_DAGS, **{k: v for k, v in EXTRA_DAGS.items() if v.exists()}}
        samples: dict[str, list[dict]] = {name: [] for name in files}
        imports = []
        for _ in range(runs):  # interleaved, so that drift hits every file alike
            for name, path in files.items():
                samples[name].append(_child(PARSE_CHILD, str(path), env=env))
            imports.append(_child(IMPORT_CHILD, env=env)["provider_s"])

    def med(name: str, key: str) -> float:
        return median([s[key] for s in samples[name]])

    per_file = {
        name: {
            "parse_median_s": med(name, "parse_s"),
            "parse_ratio_vs_empty": med(name, "parse_s") / med("empty", "parse_s"),
            "pre_import_median_s": med(name, "pre_import_s"),
            "warm_median_s": med(name, "warm_s"),
            "warm_ratio_vs_empty": med(name, "warm_s") / med("empty", "warm_s"),
            "process_median_s": med(name, "process_s"),
            "process_ratio_vs_empty": med(name, "process_s") / med("empty", "process_s"),
            "parse_s": [s["parse_s"] for s in samples[name]],
        }
        for name in files
    }
    worst = max(SAMPLE_DAGS, key=lambda name: per_file[name]["parse_ratio_vs_empty"])
    sdk = median([s["sdk_import_s"] for rows in samples.values() for s in rows])
    return {
        "runs": runs,
        "files": per_file,
        "worst_sample_dag": worst,
        "dag_parse_ratio": per_file[worst]["parse_ratio_vs_empty"],
        "dag_parse_warm_ratio": max(per_file[name]["warm_ratio_vs_empty"] for name in SAMPLE_DAGS),
        "dag_parse_process_ratio": max(per_file[name]["process_ratio_vs_empty"] for name in SAMPLE_DAGS),
        "airflow_sdk_import_median_s": sdk,
        "provider_fresh_import_median_s": median(imports),
        "provider_import_s": median(imports) - sdk,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(measure(args.runs)))


if __name__ == "__main__":
    main()
