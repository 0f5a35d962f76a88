"""``make bench``: every benchmark of issue 4 in one go, a table on stdout, ``bench/results.json``.

Each benchmark runs in a child process with a scratch ``AIRFLOW_HOME``; the emulator always runs as a
separate process. A benchmark that fails is reported (``errors``) and the others still run; the exit
status is then 1.

    python -m bench.run [--quick] [--e2e-cohorts N] [--only NAME | --skip NAME]

``--quick`` runs fewer rounds and 20 end-to-end cohorts, to try the harness out (its figures are not the
issue's). ``--e2e-cohorts`` changes only the end-to-end cohort count (default 500, the issue's; the per-group
comparison DAGs run at 50 cohorts, or fewer when this is less).
``--only`` re-runs some benchmarks and keeps the other figures of the existing output file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench.common import REPO, airflow_env, code_version, exit_on_sigterm, log, machine, run_child, scratch_dir

RESULTS = REPO / "bench" / "results.json"
GOAL_TEXT = {
    "client_overhead_ratio": ("<= 1.10", lambda v: v <= 1.10),
    "wave_rate_fraction": (">= 0.95", lambda v: v >= 0.95),
    "wave_429s": ("0", lambda v: v == 0),
    "wave_token_requests": ("1", lambda v: v == 1),
    "wave_cg_rate_fraction": (">= 0.95", lambda v: v >= 0.95),
    "wave_cg_429s": ("0", lambda v: v == 0),
    "wave_cg_token_requests": ("1", lambda v: v == 1),
    "e2e_mapped_vs_batch_ratio": ("report", None),
    "e2e_baseline_vs_batch_ratio": (">= 10", lambda v: v >= 10),
    "e2e_batch_vs_floor_ratio": ("<= 1.3", lambda v: v <= 1.3),
    "wave_10k_vs_floor_ratio": ("<= 1.1", lambda v: v <= 1.1),
    "dag_parse_ratio": ("<= 1.3", lambda v: v <= 1.3),
    "provider_parse_ratio": ("report", None),
    "one_taskflow_task_parse_ratio": ("report", None),
    "provider_import_s": ("report", None),
    "wave_10k_peak_rss_mib": ("report", None),
    "shared_limiter_rate_fraction": (">= 0.95", lambda v: v >= 0.95),
    "shared_limiter_429s": ("0", lambda v: v == 0),
    "wave_im_latency_rate_fraction": (">= 0.95", lambda v: v >= 0.95),
    "wave_im_members_latency_rate_fraction": (">= 0.95", lambda v: v >= 0.95),
    "wave_cg_latency_rate_fraction": (">= 0.95", lambda v: v >= 0.95),
    "wave_cg_members_latency_rate_fraction": (">= 0.95", lambda v: v >= 0.95),
    "wave_latency_429s": ("0", lambda v: v == 0),
    "wave_latency_token_requests": ("1", lambda v: v == 1),
    "wave_cg_existing_2000_rate_fraction": (">= 0.95", lambda v: v >= 0.95),
    "wave_cg_list_requests": ("report", None),
    "wave_cg_full_listings": ("<= 3", lambda v: v <= 3),
    "wave_cg_listing_s": ("report", None),
    "daily_cg_existing_2000_create_s": ("report", None),
    "daily_cg_existing_2000_first_task_s": ("report", None),
}
DESCRIPTION = {
    "client_overhead_ratio": "ZoomHook / bare requests.Session, sequential creates, median of paired rounds",
    "wave_rate_fraction": "WaveCreateGroupsOperator creates/s over the 80/s Business Light limit, 150 ms latency",
    "wave_429s": "429 replies during the 1,000-group wave (worst round)",
    "wave_token_requests": "OAuth token requests during the wave (worst round)",
    "wave_cg_rate_fraction": "Contact Groups wave: creates/s (one member each, in the create) / 40/s Business Heavy, "
    "150 ms latency",
    "wave_cg_429s": "429 replies during the Contact Groups wave (worst round)",
    "wave_cg_token_requests": "OAuth token requests during the Contact Groups wave (worst round)",
    "e2e_mapped_vs_batch_ratio": "DAG run: per-group mapped sample DAG (time per cohort x cohorts) / batch wave DAG",
    "e2e_baseline_vs_batch_ratio": "DAG run: mapped HttpOperator baseline (time per cohort x cohorts) / batch wave DAG",
    "e2e_batch_vs_floor_ratio": "DAG run: batch wave DAG / its floor (max of creates / 80 s, member calls / 60 s)",
    "wave_10k_vs_floor_ratio": "10,000-cohort wave in one task, creates + members pipelined / its floor",
    "dag_parse_ratio": "Airflow's recorded parse duration: worst sample DAG file / an empty DAG file",
    "provider_parse_ratio": "the same: an empty DAG file importing the provider's operators / an empty DAG file",
    "one_taskflow_task_parse_ratio": "the same, for reference: an empty DAG with one @task / an empty DAG file",
    "provider_import_s": "importing the provider's operator modules in a DAG processor's parse child",
    "wave_10k_peak_rss_mib": "peak RSS of a process running a 10,000-group wave",
    "shared_limiter_rate_fraction": "4 wave tasks at once, each at the full Business plan, rate_limiter redis: "
    "creates/s together / 80/s Light",
    "shared_limiter_429s": "429 replies during those 4 concurrent waves",
    "wave_im_latency_rate_fraction": "IM wave creates/s / 80/s Light, the worse of 150 ms+100 and 400 ms+200 latency",
    "wave_im_members_latency_rate_fraction": "IM member wave, calls/s / 60/s Medium, the worse of both latencies",
    "wave_cg_latency_rate_fraction": "Contact Groups wave creates/s / 40/s Heavy, the worse of both latencies",
    "wave_cg_members_latency_rate_fraction": "Contact Groups member wave, calls/s / 40/s Heavy, the worse of both",
    "wave_latency_429s": "429 replies in any of the latency waves",
    "wave_latency_token_requests": "OAuth token requests per latency wave (worst)",
    "wave_cg_existing_2000_rate_fraction": "Contact Groups wave creates/s / 40/s, 2,000 groups already in the account",
    "wave_cg_list_requests": "list calls of that wave (a full listing of 2,000 groups is 40 pages of 50)",
    "wave_cg_full_listings": "those list calls / the pages of one full listing of the account at its largest",
    "wave_cg_listing_s": "that wave's listing of the account before its first create, seconds",
    "daily_cg_existing_2000_create_s": "the daily DAG's create task per cohort in that account, seconds (median of "
    "5 tasks of one run)",
    "daily_cg_existing_2000_first_task_s": "the first of them, which lists the account for the run's tasks, seconds",
}
PLAN = {  # name -> (module, args, args with --quick, figures it yields)
    "client_overhead": ("bench.client_overhead", ["--creates", "500", "--rounds", "11"],
                        ["--creates", "100", "--rounds", "3"], ["client_overhead_ratio"]),
    "wave_throughput": ("bench.wave_throughput", ["--groups", "1000", "--rounds", "2"],
                        ["--groups", "300", "--rounds", "1"],
                        ["wave_rate_fraction", "wave_429s", "wave_token_requests"]),
    "wave_contact_groups": ("bench.wave_throughput",
                            ["--group-api", "contact_groups", "--groups", "600", "--rounds", "2"],
                            ["--group-api", "contact_groups", "--groups", "200", "--rounds", "1"],
                            ["wave_cg_rate_fraction", "wave_cg_429s", "wave_cg_token_requests"]),
    "wave_memory": ("bench.wave_memory", ["--groups", "10000"], ["--groups", "2000"], ["wave_10k_peak_rss_mib"]),
    # 5 parses a file (was 7): the latency benchmarks of issue 18 took the 3 minutes make bench had no more of.
    "dag_parse": ("bench.dag_parse", ["--runs", "5"], ["--runs", "2"],
                  ["dag_parse_ratio", "provider_parse_ratio", "one_taskflow_task_parse_ratio", "provider_import_s"]),
    "wave_floor": ("bench.wave_floor", ["--groups", "10000"], ["--groups", "1000"], ["wave_10k_vs_floor_ratio"]),
    # The per-group DAGs at 50 cohorts (their time per cohort scales to 500): 18 min less than at 500. The wave DAG
    # 3 times (the median drops the first, cold run): what keeps make bench within 15 min with the 10k wave.
    "scheduler_e2e": ("bench.scheduler_e2e", ["--cohorts", "500", "--compare-cohorts", "50", "--wave-runs", "3"],
                      ["--cohorts", "20", "--wave-runs", "2"],
                      ["e2e_mapped_vs_batch_ratio", "e2e_baseline_vs_batch_ratio", "e2e_batch_vs_floor_ratio"]),
    "shared_limiter": ("bench.shared_limiter", ["--tasks", "4", "--groups", "500"], ["--tasks", "4", "--groups", "100"],
                       ["shared_limiter_rate_fraction", "shared_limiter_429s"]),
    "wave_latency": ("bench.wave_latency", ["--groups", "400", "--cohorts", "5"], ["--groups", "100", "--cohorts", "2"],
                     ["wave_im_latency_rate_fraction", "wave_im_members_latency_rate_fraction",
                      "wave_cg_latency_rate_fraction", "wave_cg_members_latency_rate_fraction", "wave_latency_429s",
                      "wave_latency_token_requests", "wave_cg_existing_2000_rate_fraction", "wave_cg_list_requests",
                      "wave_cg_full_listings",
                      "wave_cg_listing_s", "daily_cg_existing_2000_create_s",
                      "daily_cg_existing_2000_first_task_s"]),
}


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def table(results: dict) -> str:
    lines = ["| figure | value | goal | met | what |", "| --- | ---: | --- | --- | --- |"]
    for key, (goal, check) in GOAL_TEXT.items():
        value = results.get(key)
        met = "" if check is None or value is None else ("yes" if check(value) else "**no**")
        lines.append(f"| `{key}` | {_fmt(value)} | {goal} | {met} | {DESCRIPTION[key]} |")
    return "\n".join(lines)


def main() -> int:
    exit_on_sigterm()
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer rounds and cohorts")
    parser.add_argument("--skip", action="append", default=[], choices=sorted(PLAN))
    parser.add_argument("--only", action="append", default=[], choices=sorted(PLAN),
                        help="run only these, keeping the other figures of --output")
    parser.add_argument("--e2e-cohorts", type=int, help="cohorts of the end-to-end runs (default 500)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.e2e_cohorts:
        PLAN["scheduler_e2e"][1][1] = PLAN["scheduler_e2e"][2][1] = str(args.e2e_cohorts)
        PLAN["scheduler_e2e"][1][3] = str(min(args.e2e_cohorts, int(PLAN["scheduler_e2e"][1][3])))

    started = time.monotonic()
    results: dict = dict.fromkeys(GOAL_TEXT)
    detail: dict = {}
    errors: dict = {}
    previous: dict = {}
    if args.only:
        # --only means only, whether or not the output file exists yet; an existing one keeps its other figures.
        args.skip = [name for name in PLAN if name not in args.only]
        if args.output.exists():
            previous = json.loads(args.output.read_text())
            results.update({k: previous.get(k) for k in GOAL_TEXT})
            detail.update(previous.get("detail", {}))
            errors.update({k: v for k, v in previous.get("errors", {}).items() if k not in args.only})
    with scratch_dir("zoom-bench-home-") as home:
        env = airflow_env(home)
        for name, (module, full, quick, _) in PLAN.items():
            if name in args.skip:
                continue
            load_before = os.getloadavg()
            log(f"{name}: running {module} (load average {load_before[0]:.2f})")
            t0 = time.monotonic()
            code = code_version()
            for key in PLAN[name][3]:
                results[key] = None
            try:
                detail[name] = run_child(module, quick if args.quick else full, env)
            except Exception as exc:  # noqa: BLE001 - one failed benchmark must not lose the others
                errors[name] = str(exc)[-3000:]
                log(f"{name}: FAILED: {str(exc)[-1500:]}")
                continue
            errors.pop(name, None)
            if detail[name].get("errors"):  # a part failed (one DAG run, say); its other figures stand
                errors[name] = detail[name]["errors"]
            detail[name].update(bench_seconds=time.monotonic() - t0, load_average_after=os.getloadavg(),
                                load_average_before=load_before, machine=machine(),  # --only runs mix machines
                                code=code, measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            for key in PLAN[name][3]:
                results[key] = detail[name].get(key)
            log(f"{name}: done in {detail[name]['bench_seconds']:.0f}s")
            if name == "client_overhead" and results["client_overhead_ratio"] > 1.10 and not args.quick:
                log("client_overhead: above goal, profiling a hook loop")
                detail["client_overhead_profile"] = run_child(module, [*full[:2], "--rounds", "1", "--profile"],
                                                              env)["profile"]

    output = {
        **results,
        "quick": args.quick,
        "e2e_cohorts": int(PLAN["scheduler_e2e"][2 if args.quick else 1][1]),
        "machine": machine(),
        "total_runtime_s": previous.get("total_runtime_s", time.monotonic() - started),
        "benchmarks_run": previous.get("benchmarks_run", [name for name in PLAN if name not in args.skip]),
        "measured_at": previous.get("measured_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
        "reruns": previous.get("reruns", []) + ([{"benchmarks": args.only, "runtime_s": time.monotonic() - started,
                                                  "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]
                                                if args.only else []),
        "detail": detail,
        "errors": errors,
    }
    args.output.write_text(json.dumps(output, indent=1) + "\n")
    m = output["machine"]
    print(f"\nairflow-provider-zoom benchmarks ({'quick' if args.quick else 'full'}), "
          f"{output['total_runtime_s']:.0f} s, on {m['nproc']} x {m['cpu_model']}, {m['memory_gib']} GiB, "
          f"Python {m['python']}, Airflow {m['apache_airflow']}\n")
    print(table(results))
    print(f"\nwritten: {args.output}")
    if errors:
        print(f"FAILED: {', '.join(errors)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
