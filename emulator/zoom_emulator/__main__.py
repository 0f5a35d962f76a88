"""Run the Zoom API emulator in the foreground.

    python -m zoom_emulator [--host 127.0.0.1] [--port 8765] [--state-file PATH]
        [--client-id demo-client-id --client-secret demo-client-secret --account-id demo-account]
        [--users FILE ...] [--user-domain DOMAIN ...] [--pending-users EMAILS] [--missing-users EMAILS]
        [--free-account] [--im-groups available|gone] [--contact-group-names duplicates|unique]
        [--contact-members-key group_members|members|both]
        [--plan unlimited] [--light-rps N --medium-rps N --heavy-rps N --light-daily N --medium-daily N
        --heavy-daily N] [--daily-reset-at ISO | --daily-reset-in SECONDS]
        [--token-policy multiple] [--seed N --fault-5xx F --fault-reset F --fault-burst-429 F
        --fault-latency-ms N --fault-latency-jitter-ms N --fault-commit-then-fail F
        --fault-invalidate-tokens-at 3,10 --faults-on-oauth] [--log-level warning]

Defaults: plan ``unlimited`` (no rate limits), no faults, token policy ``multiple``, no state file (the
account lives in memory), a paid account and no users: only users given by ``--users`` (a file of one address
per line, or a CSV with an ``email`` column such as an HR extract), ``--user-domain`` or ``POST
/_emulator/users`` can join IM groups, as at Zoom. Bad input (a malformed option, an unreadable users file, a
state file that is not one) ends it with exit status 2 and one ``error:`` line on stderr. Prints
``Zoom emulator listening on http://HOST:PORT`` once it accepts connections. SIGTERM and SIGINT stop it with
exit status 0; the state file is written after every change, so nothing is lost on exit.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import UTC, datetime
from types import FrameType

from .backend import (
    CONTACT_GROUP_NAMES_MODES,
    CONTACT_MEMBERS_KEYS,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    IM_GROUPS_MODES,
    TOKEN_POLICIES,
    ZoomBackend,
)
from .directory import SeedUser, read_users_file
from .handle import base_url
from .process import LISTENING
from .ratelimit import PLANS
from .server import bind_socket, build_server


def _ordinals(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m zoom_emulator",
        description="Local Zoom API emulator: Server-to-Server OAuth, IM directory groups, contact groups, users,"
        " rate limits, faults.",
    )
    default = " (default: %(default)s)"
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind" + default)
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port" + default)
    parser.add_argument(
        "--state-file", metavar="PATH", help="JSON file holding the account, loaded at start and saved on change"
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="OAuth app client id" + default)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET, help="OAuth app client secret" + default)
    parser.add_argument("--account-id", default=DEFAULT_ACCOUNT_ID, help="Zoom account id" + default)
    directory = parser.add_argument_group("the account's users (only they can join groups; default: nobody)")
    directory.add_argument(
        "--users",
        action="append",
        default=[],
        metavar="FILE",
        help="seed users: one email per line, or a CSV with an 'email' column and optional 'status' column"
        " (active, pending, inactive; rows with a malformed email or status are skipped); repeatable",
    )
    directory.add_argument(
        "--user-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="every well-formed address @DOMAIN is a user (for synthetic load; real Zoom has no such thing);"
        " repeatable",
    )
    directory.add_argument(
        "--pending-users",
        action="append",
        default=[],
        metavar="EMAILS",
        help="comma-separated addresses whose invitation is pending (status 'pending'; they cannot join contact"
        " groups), whether seeded or of a --user-domain; repeatable",
    )
    directory.add_argument(
        "--missing-users",
        action="append",
        default=[],
        metavar="EMAILS",
        help="comma-separated addresses that are no users (GET /users/{email} is 404/1001) even when a --users"
        " file lists them or their domain is a --user-domain; repeatable",
    )
    directory.add_argument(
        "--activate-after",
        type=float,
        metavar="SECONDS",
        help="a pending user (invited by POST /v2/users action create, or seeded pending) accepts the invitation"
        " this long after becoming pending (default: never on its own; POST /_emulator/users/{email}/activate)",
    )
    directory.add_argument(
        "--user-seats", type=int, metavar="N", help="the most users of the account; more: POST /v2/users is 400/2034"
    )
    directory.add_argument(
        "--foreign-users",
        action="append",
        default=[],
        metavar="EMAILS",
        help="comma-separated addresses of another Zoom account's users: POST /v2/users for them is 400/1009;"
        " repeatable",
    )
    directory.add_argument(
        "--create-actions",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        default=["create"],
        metavar="ACTIONS",
        help="comma-separated POST /v2/users actions the account may use (create, autoCreate, custCreate,"
        " ssoCreate; default: create)",
    )
    parser.add_argument(
        "--free-account",
        action="store_true",
        help="a free account: every IM and contact group operation answers 400 'Only available for paid account'",
    )
    parser.add_argument(
        "--im-groups",
        choices=IM_GROUPS_MODES,
        default=None,
        help="gone: every IM group operation answers 410 with code 4137, as on a current Zoom account"
        " (default: the state file's setting, else available)",
    )
    parser.add_argument(
        "--contact-group-names",
        choices=CONTACT_GROUP_NAMES_MODES,
        default=None,
        help="unique: a second contact group with the same name is 409/4132; Zoom documents no uniqueness"
        " (default: the state file's setting, else duplicates)",
    )
    parser.add_argument(
        "--contact-members-key",
        choices=CONTACT_MEMBERS_KEYS,
        default=None,
        help="the member array's key in 'List contact group members' (default: the state file's setting,"
        " else group_members)",
    )
    parser.add_argument("--plan", choices=sorted(PLANS), default="unlimited", help="rate-limit preset" + default)
    parser.add_argument("--light-rps", type=int, metavar="N", help="override the plan's Light requests per second")
    parser.add_argument("--medium-rps", type=int, metavar="N", help="override the plan's Medium requests per second")
    parser.add_argument("--light-daily", type=int, metavar="N", help="override the plan's Light requests per UTC day")
    parser.add_argument("--medium-daily", type=int, metavar="N", help="override the plan's Medium requests per UTC day")
    parser.add_argument("--heavy-rps", type=int, metavar="N", help="override the plan's Heavy requests per second")
    parser.add_argument("--heavy-daily", type=int, metavar="N", help="override the plan's Heavy requests per UTC day")
    parser.add_argument(
        "--user-create-daily",
        type=int,
        metavar="N",
        help="override the plan's daily cap of POST /v2/users action create (free 50, pro 1,500, business 10,000)",
    )
    reset = parser.add_mutually_exclusive_group()
    reset.add_argument(
        "--daily-reset-at",
        metavar="ISO",
        help="when the daily window in progress ends (ISO-8601, UTC unless it says otherwise); the next ones every"
        " 24 h after (default: 00:00 UTC, as at Zoom)",
    )
    reset.add_argument(
        "--daily-reset-in", type=float, metavar="S", help="the same, as seconds from start (a test's near reset)"
    )
    parser.add_argument(
        "--token-policy",
        choices=TOKEN_POLICIES,
        default="multiple",
        help="latest-only: a new token revokes older ones" + default,
    )
    parser.add_argument("--seed", type=int, metavar="N", help="seed for group ids and faults (reproducible runs)")
    faults = parser.add_argument_group("fault injection (shares are probabilities per API request; default: none)")
    faults.add_argument("--fault-5xx", type=float, metavar="F", default=0.0, help="share answered 500/502/503")
    faults.add_argument(
        "--fault-reset", type=float, metavar="F", default=0.0, help="share whose connection drops unanswered"
    )
    faults.add_argument(
        "--fault-burst-429", type=float, metavar="F", default=0.0, help="share answered with the per-second 429"
    )
    faults.add_argument("--fault-latency-ms", type=float, metavar="N", default=0.0, help="delay added to every request")
    faults.add_argument(
        "--fault-latency-jitter-ms", type=float, metavar="N", default=0.0, help="extra random delay, up to this"
    )
    faults.add_argument(
        "--fault-commit-then-fail",
        type=float,
        metavar="F",
        default=0.0,
        help="share of creates that succeed but answer 502/drop",
    )
    faults.add_argument(
        "--fault-invalidate-tokens-at",
        type=_ordinals,
        metavar="N,N",
        default=[],
        help="comma-separated /v2 request ordinals",
    )
    faults.add_argument("--faults-on-oauth", action="store_true", help="also inject into /oauth/token")
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level" + default,
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        users = _read_users(args.users)
        backend = ZoomBackend(
            client_id=args.client_id,
            client_secret=args.client_secret,
            account_id=args.account_id,
            state_file=args.state_file,
            plan=args.plan,
            light_rps=args.light_rps,
            medium_rps=args.medium_rps,
            light_daily=args.light_daily,
            medium_daily=args.medium_daily,
            heavy_rps=args.heavy_rps,
            heavy_daily=args.heavy_daily,
            user_create_daily=args.user_create_daily,
            activate_after=args.activate_after,
            user_seats=args.user_seats,
            foreign_users=args.foreign_users,
            create_actions=args.create_actions,
            daily_reset_at=_daily_reset_at(args.daily_reset_at, args.daily_reset_in),
            im_groups=args.im_groups,
            contact_group_names=args.contact_group_names,
            contact_members_key=args.contact_members_key,
            pending_users=args.pending_users,
            missing_users=args.missing_users,
            token_policy=args.token_policy,
            paid_account=not args.free_account,
            users=users,
            user_domains=args.user_domain,
            seed=args.seed,
            faults={
                "error_5xx": args.fault_5xx,
                "reset": args.fault_reset,
                "burst_429": args.fault_burst_429,
                "latency_ms": args.fault_latency_ms,
                "latency_jitter_ms": args.fault_latency_jitter_ms,
                "commit_then_fail": args.fault_commit_then_fail,
                "invalidate_tokens_at": args.fault_invalidate_tokens_at,
                "faults_on_oauth": args.faults_on_oauth,
            },
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    url = base_url(*sock.getsockname()[:2])
    server = build_server(backend, sock, lambda: print(f"{LISTENING}{url}", flush=True), log_level=args.log_level)
    # uvicorn turns SIGTERM/SIGINT into a graceful shutdown and then re-raises the signal against the
    # previous handler; this one turns that into a normal exit instead of a kill or a KeyboardInterrupt.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_cleanly)
    server.run(sockets=[sock])
    return 0


def _daily_reset_at(at: str | None, seconds_from_now: float | None) -> str | None:
    if seconds_from_now is None:
        return at
    return datetime.fromtimestamp(time.time() + seconds_from_now, UTC).isoformat()


def _read_users(paths: list[str]) -> list[SeedUser]:
    """Every ``--users`` file's users, with a one-line note on stderr for each file that had rows skipped."""
    users: list[SeedUser] = []
    for path in paths:
        found, skipped = read_users_file(path)
        users += found
        if skipped:
            lines = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
            print(
                f"note: users file {path}: skipped {len(skipped)} row(s) without a valid email (line {lines})",
                file=sys.stderr,
            )
    return users


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
