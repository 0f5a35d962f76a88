"""`make demo`: the onboarding DAG over the sample extract's dates, against the local Zoom emulator.

Everything stays inside the repo: an Airflow home with a SQLite DB in ``.airflow/`` and the emulator's
account in ``.demo/zoom_state.json``, so a second run sees the groups of the first (and creates none).
Airflow's own output goes to ``.demo/airflow.log``; this prints one line per day and ends with
``created=<n> exists=<n> failed=<n> members_added=<n> rejected=<n>``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from zoom_emulator.process import EmulatorProcess, EmulatorStartError

REPO = Path(__file__).resolve().parent.parent
AIRFLOW_HOME = REPO / ".airflow"
DEMO_DIR = REPO / ".demo"
DAG_ID = "zoom_onboarding_im_groups"
SAMPLE = REPO / "dags" / "data" / "hr_new_hires_sample.csv"
DEFAULT_PORT = 8765
# Hires of the sample that Zoom does not have as active users in the Contact Groups demo.
PENDING = ("samuel.adeyemi@example.com", "ruby.nguyen@example.com")
MISSING = ("tariq.aziz@example.com",)
CLIENT_ID, CLIENT_SECRET, ACCOUNT_ID = "demo-client-id", "demo-client-secret", "demo-account"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, default=SAMPLE, help="HR extract to onboard (default: the sample)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="emulator port (default 8765, else a free one)")
    parser.add_argument("--fresh", action="store_true", help="forget the emulator's account from earlier runs")
    parser.add_argument(
        "--group-api", choices=("im_groups", "contact_groups"), default="im_groups",
        help="im_groups (default): an account that still serves IM Groups; contact_groups: one where Zoom retired "
        "them (410), onboarded on Contact Groups, with a few hires not in Zoom yet or not active yet",
    )
    args = parser.parse_args()

    DEMO_DIR.mkdir(exist_ok=True)
    contact = args.group_api == "contact_groups"
    state_file = DEMO_DIR / ("zoom_state_contact_groups.json" if contact else "zoom_state.json")
    if args.fresh:
        state_file.unlink(missing_ok=True)
    env = airflow_env()
    airflow_log_path = DEMO_DIR / "airflow.log"
    airflow_log_path.write_bytes(b"")
    # Append mode, like the emulator's own handle on this file: each write lands at the end, none overwrites.
    airflow_log = airflow_log_path.open("a")
    run([sys.executable, "-m", "airflow", "db", "migrate"], env, airflow_log)
    # The wave DAG's Zoom tasks share one account's budget through this pool (see README).
    run([sys.executable, "-m", "airflow", "pools", "set", "zoom_api", "4", "Zoom API budget"], env, airflow_log)

    emulator = start_emulator(args.port, state_file, airflow_log_path, args.extract, contact)
    try:
        env["AIRFLOW_CONN_ZOOM_DEFAULT"] = emulator.connection_uri_json(group_api=args.group_api)
        print(f"Zoom emulator on {emulator.url} (state {state_file.relative_to(REPO)}); Airflow log {airflow_log.name}")
        first, last = extract_date_range(args.extract)
        conf = json.dumps({"hr_extract_path": str(args.extract.resolve())})
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        failed_days = set()
        for day in days:
            cmd = [sys.executable, "-m", "airflow", "dags", "test", DAG_ID, day.isoformat(), "--conf", conf]
            print(f"airflow dags test {DAG_ID} {day}", flush=True)
            if run(cmd, env, airflow_log, check=False).returncode:
                failed_days.add(day)
        waiting = people_not_in_a_group(emulator, args.extract) if contact else None
    finally:
        emulator.stop()
    totals = {"created": 0, "exists": 0, "failed": 0, "members_added": 0, "rejected": 0}
    summaries = read_summaries(env, days)
    for day in days:
        summary = summaries.get(day.isoformat()) or {**dict.fromkeys(totals, 0), "failed": 1}
        for key in ("created", "exists", "failed", "members_added"):
            totals[key] += summary.get(key, 0)
        # Every run reads the whole extract and reports its rejected rows: the same rows each day, counted once.
        totals["rejected"] = max(totals["rejected"], summary.get("rejected") or 0)
        state = "FAILED" if day in failed_days else "ok"
        print(f"{day} {state:6} " + " ".join(f"{k}={summary.get(k, 0)}" for k in totals))
    if waiting is not None:
        # Pending people are retried by every reconcile of their cohort: counted once, as the account ends.
        totals["members_pending"] = waiting
    print(" ".join(f"{k}={v}" for k, v in totals.items()))
    return 0 if totals["failed"] == 0 else 1


def people_not_in_a_group(emulator: EmulatorProcess, extract: Path) -> int:
    """The extract's valid hires that no contact group holds yet: not in Zoom, or their invitation pending."""
    from airflow_provider_zoom.onboarding.hr_extract import read_hr_extract

    members = {m["email"] for g in emulator.state(timeout=10)["contact_groups"] for m in g["members"]}
    return len({hire.email for hire in read_hr_extract(extract).hires} - members)


def airflow_env() -> dict[str, str]:
    env = os.environ.copy()
    env.update({
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
    })
    AIRFLOW_HOME.mkdir(exist_ok=True)
    return env


def run(cmd, env, log, check=True) -> subprocess.CompletedProcess:
    log.write(f"\n$ {' '.join(cmd)}\n")
    log.flush()
    result = subprocess.run(cmd, check=False, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    if check and result.returncode:
        sys.exit(f"{' '.join(cmd[:4])} failed with exit code {result.returncode}; see {log.name}")
    return result


def extract_date_range(path: Path) -> tuple[date, date]:
    """First and last valid start_date of the extract (rows with bad dates are the DAG's to report)."""
    days = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                days.append(date.fromisoformat((row.get("start_date") or "").strip()))
            except ValueError:
                continue
    if not days:
        sys.exit(f"{path}: no valid start_date in the extract")
    return min(days), max(days)


def read_summaries(env: dict[str, str], days: list[date]) -> dict[str, dict[str, int]]:
    """Each day's ``summary`` XCom of its latest run, read from the demo's metadata DB."""
    code = f"""
import json
from datetime import date, datetime, timezone
from sqlalchemy import select
from airflow.models.dagrun import DagRun
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session
found = {{}}
with create_session() as s:
    for day in {[d.isoformat() for d in days]!r}:
        moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=timezone.utc)
        run = s.scalars(select(DagRun).where(DagRun.dag_id == {DAG_ID!r}, DagRun.logical_date == moment)
                        .order_by(DagRun.id.desc()).limit(1)).first()
        row = run and s.scalars(select(XComModel).where(
            XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id,
            XComModel.task_id == "summarize", XComModel.key == "summary")).first()
        found[day] = XComModel.deserialize_value(row) if row else None
print(json.dumps(found))
"""
    out = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True, cwd=REPO)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        sys.exit(f"could not read the runs' summaries from the demo DB: {out.stderr[-500:]}")


def start_emulator(port: int, state_file: Path, log_path: Path, extract: Path, contact: bool) -> EmulatorProcess:
    """The emulator on ``port`` if that is free, else on one it picks, keeping its account in ``state_file``.

    Its account's users are the extract's hires (``--users`` reads its ``email`` column), since only users of
    the account can join a group. For Contact Groups the account has no IM Groups (410) and two hires have an
    invitation they have not accepted while one is not in Zoom yet: the run reports them as pending. A failed
    start ends the demo with the emulator's own complaint, not a traceback.
    """
    extra = ["--im-groups", "gone", "--pending-users", ",".join(PENDING), "--missing-users", ",".join(MISSING)]
    emulator = EmulatorProcess(
        "--state-file", str(state_file), "--users", str(extract), *(extra if contact else []),
        port=port if port_is_free(port) else 0,
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, account_id=ACCOUNT_ID, log_path=log_path, cwd=REPO,
        start_timeout=20,
    )
    try:
        return emulator.start()
    except EmulatorStartError as exc:
        sys.exit(str(exc))


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


if __name__ == "__main__":
    sys.exit(main())
