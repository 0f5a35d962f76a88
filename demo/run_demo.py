"""`make demo`: the onboarding DAG over the sample extract's dates, against the local Zoom emulator.

Everything stays inside the repo: an Airflow home with a SQLite DB in ``.airflow/`` and the emulator's
account in ``.demo/zoom_state.json``, so a second run sees the groups of the first (and creates none).
Airflow's own output goes to ``.demo/airflow.log``; this prints one line per day as it finishes (the day, its
outcome and counts, and the running totals) and ends with
``created=<n> exists=<n> failed=<n> members_added=<n> rejected=<n>`` (on Contact Groups followed by
``members_pending=<n> late_added=<n> invited=<n> still_pending=<n>``: the hires not active on their day join later).

Every day runs in this one process: Airflow is imported once, the metadata DB migrated in-process, and each day
is a ``dag.test(logical_date=day)`` on the demo's SQLite home, one after the other. That is what ``airflow dags
test`` does, minus a fresh interpreter importing Airflow for each of the 19 days: one ``airflow dags test`` of a
day without hires costs about 8.5 CPU seconds, the whole demo in one process about 22 (3 to 6 minutes before;
41 to 68 s now on a two-core machine at load 4 to 7).

A real backfill was the other way, and is not taken: ``airflow backfill create`` only records the runs; executing
them needs a scheduler, a DAG processor and an executor running next to the demo, polling on heartbeats, and with
``max_active_runs=4`` it runs days of one cohort concurrently, so which day creates a group and which finds it
would vary from run to run. The demo's summary line must not. ``make e2e`` runs the real backfill under a
scheduler (docs/e2e.md).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import os
import shutil
import socket
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from zoom_emulator.process import EmulatorProcess, EmulatorStartError

REPO = Path(__file__).resolve().parent.parent
DAG_ID = "zoom_onboarding_im_groups"
DAG_FILE = REPO / "dags" / "zoom_onboarding_im_groups.py"
FIRST_DAY_VARIABLE = "ZOOM_ONBOARDING_FIRST_DAY"
SAMPLE = REPO / "dags" / "data" / "hr_new_hires_sample.csv"
DEFAULT_PORT = 8765
# Hires of the sample that Zoom does not have as active users in the Contact Groups demo.
PENDING = ("samuel.adeyemi@example.com", "ruby.nguyen@example.com")
MISSING = ("tariq.aziz@example.com",)
CLIENT_ID, CLIENT_SECRET, ACCOUNT_ID = "demo-client-id", "demo-client-secret", "demo-account"
COUNTS = ("created", "exists", "failed", "members_added", "rejected")
# The Contact Groups demo's late joiners, at the end of its line (after members_pending).
LATE_COUNTS = ("late_added", "invited", "still_pending")
# In the Contact Groups demo each pending hire accepts Zoom's invitation this many days after their start day
# (the missing one is invited on their day first: invite_missing_users).
ACCEPTS_AFTER_DAYS = 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, default=SAMPLE, help="HR extract to onboard (default: the sample)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="emulator port (default 8765, else a free one)")
    parser.add_argument("--fresh", action="store_true", help="forget the emulator's account from earlier runs")
    parser.add_argument(
        "--dir",
        type=Path,
        default=REPO,
        help="where the demo keeps its Airflow home (.airflow) and the account and log (.demo); default the repo",
    )
    parser.add_argument(
        "--group-api",
        choices=("im_groups", "contact_groups"),
        default="im_groups",
        help="im_groups (default): an account that still serves IM Groups; contact_groups: one where Zoom retired "
        "them (410), onboarded on Contact Groups, with a few hires not in Zoom yet or not active yet",
    )
    args = parser.parse_args()
    started = time.monotonic()

    demo_dir = args.dir.resolve() / ".demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    contact = args.group_api == "contact_groups"
    state_file = demo_dir / ("zoom_state_contact_groups.json" if contact else "zoom_state.json")
    if args.fresh:
        state_file.unlink(missing_ok=True)
        # The late joiners' record names the old account's groups and invitations: forgotten with it.
        shutil.rmtree(args.dir.resolve() / ".airflow" / "zoom_onboarding", ignore_errors=True)
    first, last = extract_date_range(args.extract)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    # Before Airflow is imported: its settings are read once. The DAG's first day is the extract's first day unless
    # the caller chose one (Airflow runs no task before a DAG's start_date).
    os.environ.update(airflow_env(args.dir.resolve() / ".airflow"))
    os.environ.setdefault(FIRST_DAY_VARIABLE, first.isoformat())
    airflow_log_path = demo_dir / "airflow.log"
    airflow_log_path.write_bytes(b"")
    console = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    # The emulator boots in its own process while this one imports Airflow and migrates the DB.
    with ThreadPoolExecutor(max_workers=1) as pool:
        booting = pool.submit(start_emulator, args.port, state_file, airflow_log_path, args.extract, contact)
        try:
            with output_to(airflow_log_path):
                dag = prepare_airflow()
        except BaseException:
            with contextlib.suppress(BaseException):  # the emulator's own failure, if any, is secondary here
                booting.result().stop()
            raise
        emulator = booting.result()
    try:
        os.environ["AIRFLOW_CONN_ZOOM_DEFAULT"] = emulator.connection_uri_json(group_api=args.group_api)
        say(console, f"Zoom emulator on {emulator.url} (state {shown(state_file)}); log {shown(airflow_log_path)}")
        # Airflow's modules live as long as the process: keep the garbage collector from rescanning them each day.
        gc.freeze()
        say(
            console,
            f"{DAG_ID}: {len(days)} day{'s' * (len(days) != 1)}, {first} to {last}, one dag.test() each, in this "
            f"process (ready after {time.monotonic() - started:.1f} s)",
        )
        conf = {"hr_extract_path": str(args.extract.resolve())}
        if contact:
            conf["invite_missing_users"] = True
        accepting = acceptance_days(args.extract) if contact else {}
        totals = dict.fromkeys(COUNTS, 0)
        late = dict.fromkeys(LATE_COUNTS, 0)
        for number, day in enumerate(days, 1):
            with output_to(airflow_log_path):
                state, summary = run_day(dag, day, conf)
            add_to_totals(totals, summary)
            for key in late:
                late[key] += summary.get(key) or 0
            accept_invitations(emulator, accepting.get(day, ()))
            say(
                console,
                f"[{number:2}/{len(days)}] {day} {state:6} {counts(summary)}  | so far: {counts(totals)}"
                f"  ({time.monotonic() - started:.1f} s)",
            )
        waiting = people_not_in_a_group(emulator, args.extract) if contact else None
    finally:
        emulator.stop()
    if waiting is not None:
        # Pending people are retried by every reconcile of their cohort: counted once, as the account ends.
        totals["members_pending"] = waiting
        totals.update(late)
    say(console, " ".join(f"{k}={v}" for k, v in totals.items()))
    return 0 if totals["failed"] == 0 else 1


def say(console: TextIO, line: str) -> None:
    console.write(line + "\n")
    console.flush()


def counts(summary: dict) -> str:
    return " ".join(f"{k}={summary.get(k, 0)}" for k in COUNTS)


def add_to_totals(totals: dict[str, int], summary: dict) -> None:
    for key in ("created", "exists", "failed", "members_added"):
        totals[key] += summary.get(key) or 0
    # Every run reads the whole extract and reports its rejected rows: the same rows each day, counted once.
    totals["rejected"] = max(totals["rejected"], summary.get("rejected") or 0)


@contextlib.contextmanager
def output_to(log_path: Path) -> Iterator[None]:
    """Everything written to stdout/stderr (Airflow's logging, task logs, warnings) goes to ``log_path`` meanwhile.

    At the file-descriptor level, so that output of handlers that captured ``sys.stdout`` earlier lands there too.
    Appends, like the emulator's own handle on the same file: each write lands at the end, none overwrites.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with log_path.open("a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def prepare_airflow():
    """The migrated metadata DB, the ``zoom_api`` pool, and the onboarding DAG parsed from its file."""
    from airflow.models.dagbag import DagBag
    from airflow.models.pool import Pool
    from airflow.utils.db import upgradedb

    upgradedb()
    # The wave DAG's Zoom tasks share one account's budget through this pool (see README).
    Pool.create_or_update_pool("zoom_api", 4, "Zoom API budget", include_deferred=False)
    bag = DagBag(dag_folder=str(DAG_FILE))
    if bag.import_errors or DAG_ID not in bag.dags:
        sys.exit(f"{DAG_FILE.relative_to(REPO)} does not load: {'; '.join(bag.import_errors.values())}")
    return bag.dags[DAG_ID]


def run_day(dag, day: date, conf: dict) -> tuple[str, dict]:
    """One ``dag.test()`` of ``day``: its state and its ``summary`` XCom (failed=1 when it left none)."""
    logical_date = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    print(f"\n$ dag.test({DAG_ID}, logical_date={day})", flush=True)
    try:
        run = dag.test(logical_date=logical_date, run_conf=conf)
    except Exception:  # noqa: BLE001 - a run that could not even start fails its day, not the whole demo
        traceback.print_exc()
        return "FAILED", {"failed": 1}
    summary = read_summary(run)
    state = "ok" if str(run.state) == "success" else "FAILED"
    return state, summary if summary is not None else {"failed": 1}


def read_summary(run) -> dict | None:
    """The ``summary`` XCom of the run's ``summarize`` task, from the demo's metadata DB."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == "summarize",
                XComModel.key == "summary",
            )
        ).first()
        return XComModel.deserialize_value(row) if row else None


def people_not_in_a_group(emulator: EmulatorProcess, extract: Path) -> int:
    """The extract's valid hires that no contact group holds yet: not in Zoom, or their invitation pending."""
    from airflow_provider_zoom.onboarding.hr_extract import read_hr_extract

    members = {m["email"] for g in emulator.state(timeout=10)["contact_groups"] for m in g["members"]}
    return len({hire.email for hire in read_hr_extract(extract).hires} - members)


def acceptance_days(extract: Path) -> dict[date, list[str]]:
    """The day after whose run each not-yet-active hire accepts Zoom's invitation (``ACCEPTS_AFTER_DAYS``)."""
    from airflow_provider_zoom.onboarding.hr_extract import read_hr_extract

    waiting = set(PENDING) | set(MISSING)
    days: dict[date, list[str]] = {}
    for hire in read_hr_extract(extract).hires:
        if hire.email in waiting:
            days.setdefault(hire.start_date + timedelta(days=ACCEPTS_AFTER_DAYS), []).append(hire.email)
    return days


def accept_invitations(emulator: EmulatorProcess, emails: Iterable[str]) -> None:
    """The people accept their pending invitation (the emulator's admin call); an active or unknown user: no-op."""
    import requests

    for email in emails:
        requests.post(f"{emulator.url}/_emulator/users/{email}/activate", timeout=10)


def airflow_env(home: Path) -> dict[str, str]:
    """Airflow's settings for the demo: its home and SQLite DB in ``home`` (in the repo), the repo's DAG folder."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }


def shown(path: Path) -> str:
    """``path`` relative to the repo when it is inside it (the default), else as it is."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


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


def start_emulator(port: int, state_file: Path, log_path: Path, extract: Path, contact: bool) -> EmulatorProcess:
    """The emulator on ``port`` if that is free, else on one it picks, keeping its account in ``state_file``.

    Its account's users are the extract's hires (``--users`` reads its ``email`` column), since only users of
    the account can join a group. For Contact Groups the account has no IM Groups (410) and two hires have an
    invitation they have not accepted while one is not in Zoom yet: the run reports them as pending. A failed
    start ends the demo with the emulator's own complaint, not a traceback.
    """
    extra = ["--im-groups", "gone", "--pending-users", ",".join(PENDING), "--missing-users", ",".join(MISSING)]
    emulator = EmulatorProcess(
        "--state-file",
        str(state_file),
        "--users",
        str(extract),
        *(extra if contact else []),
        port=port if port_is_free(port) else 0,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        account_id=ACCOUNT_ID,
        log_path=log_path,
        cwd=REPO,
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
    exit_code = main()
    # Everything is written by now (the DB committed, the log and the summary flushed); tearing down Airflow's
    # import graph at interpreter exit would cost seconds more on this machine, so leave without it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
