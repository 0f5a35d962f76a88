"""Markdown of a results file: the figures table, the raw times behind the ratios, the machine.

    python -m bench.report [bench/results.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.run import RESULTS, table


def report(results: dict) -> str:
    m, d = results["machine"], results["detail"]
    lines = [
        (f"Measured {results['measured_at']} on {m['nproc']} x {m['cpu_model']}, {m['memory_gib']} GiB RAM, "
        f"{m['os']}, Python {m['python']}, Airflow {m['apache_airflow']} (task SDK {m['apache_airflow_task_sdk']}, "
        f"providers-http {m['apache_airflow_providers_http']}); `make bench` took "
        f"{results['total_runtime_s'] / 60:.0f} min."),
        "",
        table(results),
        "",
    ]
    if "client_overhead" in d:
        c = d["client_overhead"]
        lines.append(f"- Client: {c['creates']} creates, median of {c['rounds']} rounds: hook "
                     f"{c['hook_ms_per_create']:.2f} ms, bare session {c['raw_ms_per_create']:.2f} ms per create "
                     f"(ratio of the fastest rounds {c.get('ratio_of_minimums', float('nan')):.3f}).")
    if "wave_throughput" in d:
        w = d["wave_throughput"]
        lines.append(f"- Wave: {w['groups']} groups in {w['wall_median_s']:.2f} s median "
                     f"({w['rate_median_per_s']:.1f}/s; the operator paces to 98% of 80/s).")
    if "scheduler_e2e" in d:
        e = d["scheduler_e2e"]
        for key, label in (("wave", "(a) batch wave DAG"), ("mapped", "(b) per-group mapped DAG"),
                           ("baseline", "(c) HttpOperator baseline")):
            if key in e["runs"]:
                r = e["runs"][key]
                runs = f" (median of {r['runs']})" if r.get("runs", 1) > 1 else ""
                cohorts = e.get("compare_cohorts", e["cohorts"]) if key != "wave" else e["cohorts"]
                lines.append(f"- {label} `{r['dag_id']}`: {r['wall_s']:.1f} s DAG run{runs} over {cohorts} cohorts, "
                             f"{r['task_instances']} task instances ({r['wall_s_per_task_instance']:.2f} s each), "
                             f"{r['api_requests']} Zoom API calls, {r['tokens_issued']} tokens, "
                             f"{r['status_429']} 429s.")
        if "wave_breakdown" in e:
            b = e["wave_breakdown"]
            lines.append(f"- Floor for {e['cohorts']} cohorts: {e['floor_s']:.2f} s (creates at 80/s "
                         f"{e['floor_light_only_s']:.2f} s, member calls at 60/s beside them). The wave DAG's run: "
                         f"Zoom tasks {b['zoom_tasks_s']:.1f} s ({b['zoom_tasks_vs_floor']:.2f}x the floor, task "
                         f"start-up included), other tasks {b['other_tasks_s']:.1f} s, gaps between tasks "
                         f"{b['gaps_s']:.1f} s.")
    if "wave_floor" in d:
        w = d["wave_floor"]
        shares = ", ".join(f"{c} {v:.2f}" for c, v in w["fraction_of_limit_by_category"].items())
        lines.append(f"- {w['groups']:,}-cohort wave in one task: {w['wall_s']:.1f} s against a floor of "
                     f"{w['wave_floor_s']:.1f} s; share of each category's limit: {shares}; {w['status_429']} 429s.")
    if "dag_parse" in d:
        p = d["dag_parse"]
        parts = [f"`{name}` {f['airflow_parse_median_s'] * 1000:.0f} ms ({f['airflow_parse_ratio_vs_empty']:.2f}x; "
                 f"child part {f['child_parse_median_s'] * 1000:.0f} ms)" for name, f in p["files"].items()]
        lines.append(f"- Parse duration recorded by Airflow's DAG processor, median of {p['runs']} runs: "
                     + ", ".join(parts) + ".")
    if "wave_memory" in d:
        w = d["wave_memory"]
        lines.append(f"- 10k wave: peak RSS {w['wave_10k_peak_rss_mib']:.0f} MiB, of which "
                     f"{w['wave_rss_increase_mib']:.0f} MiB over the process before the wave; {w['wall_s']:.1f} s.")
    if results.get("errors"):
        lines.append(f"- Failed: {', '.join(results['errors'])}.")
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    print(report(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
