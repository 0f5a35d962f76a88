"""Contact-group name claims and the created-groups record in Redis (``groups.contact.redis_claims``), against the
real Redis on 127.0.0.1:6379 in a Redis DB of its own (``make e2e``; no Airflow deployment needed).

Each "machine" here has a token cache folder of its own, so the file claims of one are invisible to the other:
only Redis keeps them from both creating a name.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from airflow_provider_zoom._transport.retries import RetryPolicy
from airflow_provider_zoom.group_spec import group_key, validate_group_spec
from airflow_provider_zoom.groups.contact import redis_claims
from airflow_provider_zoom.groups.contact.backend import ContactGroups
from airflow_provider_zoom.groups.contact.claims import RECORD_FILE
from airflow_provider_zoom.groups.contact.redis_claims import KEY_PREFIX
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.e2e.harness import free_port
from tests.e2e.services import redis_connection, redis_db_for

pytestmark = pytest.mark.e2e

CONN_ID = "zoom_claims_redis"
QUICK = RetryPolicy(max_attempts=12, max_retry_seconds=60, backoff_base_s=0.01, backoff_max_s=0.1)
NAMES = [f"Onboarding 2026-W{week} {team}" for week in (49, 50) for team in (
    "Engineering", "Sales", "Support", "Finance", "Legal", "People", "Design", "Data", "Ops", "Marketing")]
CREATE, LIST, DELETE = "POST /v2/contacts/groups", "GET /v2/contacts/groups", "DELETE /v2/contacts/groups/{groupId}"
GO_TIMEOUT_S = 120

# One "machine": builds its hook and backend, says ready, waits for the go file, creates every name (half of the
# machines in reverse order, so the races meet in the middle too) and prints [outcome, group_id] per name.
_MACHINE = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from airflow_provider_zoom._transport.retries import RetryPolicy
    from airflow_provider_zoom.group_spec import validate_group_spec
    from airflow_provider_zoom.groups.contact.backend import ContactGroups
    from airflow_provider_zoom.hooks.zoom import ZoomHook
    names, go, reverse = json.loads(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"
    hook = ZoomHook(retry_policy=RetryPolicy(max_attempts=12, max_retry_seconds=60, backoff_base_s=0.01,
                                             backoff_max_s=0.1))
    client = ContactGroups(hook)
    hook.check_config()
    print("ready", flush=True)
    deadline = time.monotonic() + {timeout}
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)
    out = []
    for name in (reversed(names) if reverse else names):
        o = client.create_group(validate_group_spec(name))
        out.append([o.outcome, o.group_id])
    print(json.dumps(out), flush=True)
""").replace("{timeout}", str(GO_TIMEOUT_S))


@pytest.fixture
def redis_db(monkeypatch):
    yield from redis_db_for(monkeypatch, CONN_ID, "name-claims")


@pytest.fixture(autouse=True)
def no_outage_from_another_test():
    redis_claims.forget_outages()
    yield
    redis_claims.forget_outages()




def _machine_extras(folder: Path) -> dict[str, str]:
    return {"rate_limiter": "redis", "rate_limiter_conn_id": CONN_ID, "credential_cache_dir": str(folder)}


def _api(folder: Path) -> ContactGroups:
    return ContactGroups(ZoomHook(retry_policy=QUICK, **_machine_extras(folder)))


def _run_machines(zoom, tmp_path: Path, machines: int) -> list[list[list[str]]]:
    go = tmp_path / "go"
    procs = []
    for m in range(machines):
        env = {**os.environ,
               "AIRFLOW_CONN_ZOOM_DEFAULT": zoom.server.connection_uri_json(**_machine_extras(tmp_path / f"m{m}"))}
        procs.append(subprocess.Popen([sys.executable, "-c", _MACHINE, json.dumps(NAMES), str(go), str(m % 2)],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        for proc in procs:  # every machine imported Airflow and built its backend: they start at once
            line = proc.stdout.readline()
            assert line.strip() == "ready", line + proc.stderr.read()[-3000:]
        go.touch()
        outputs = [proc.communicate(timeout=300) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


def test_two_machines_racing_on_the_same_names_create_each_name_once(zoom, tmp_path, redis_db):
    zoom.configure(faults={"seed": 18, "latency_ms": 1, "latency_jitter_ms": 20})

    reports = _run_machines(zoom, tmp_path, machines=2)

    groups = zoom.state()["contact_groups"]
    assert sorted(g["group_name"] for g in groups) == sorted(NAMES)  # one group per name
    assert zoom.count(CREATE) == len(NAMES) and zoom.count(DELETE) == 0  # each name created once, none deleted
    outcomes = Counter(outcome for report in reports for outcome, _ in report)
    assert outcomes == {"created": len(NAMES), "exists": len(NAMES)}
    final = {g["group_id"] for g in groups}
    assert {group_id for report in reports for _, group_id in report} == final  # every reported id exists
    record = redis_db.client().hgetall(next(iter(redis_db.client().keys(KEY_PREFIX + "created:*"))))
    assert {json.loads(v)[0]["group_id"] for v in record.values()} == final  # both machines' creates, in Redis
    assert not list(tmp_path.glob(f"m*/{RECORD_FILE}"))  # nothing fell back to a machine's record
    print(f"\nredis claims, 2 machines x {len(NAMES)} names: creates={zoom.count(CREATE)} lists={zoom.count(LIST)} "
          f"outcomes={dict(outcomes)}")


def test_a_group_machine_a_created_is_seen_by_machine_b_without_a_listing(zoom, tmp_path, redis_db):
    a, b = _api(tmp_path / "a"), _api(tmp_path / "b")
    b.names.adopt("Warm up")  # B has listed the (empty) account before A creates
    name = NAMES[0]
    created = a.create_group(validate_group_spec(name))
    lists = zoom.count(LIST)

    seen = b.names.claims.created(group_key(name))
    again = b.create_group(validate_group_spec(name.upper()))

    assert [e["group_id"] for e in seen] == [created.group_id]
    assert (created.outcome, again.outcome, again.group_id) == ("created", "exists", created.group_id)
    assert zoom.count(LIST) == lists and zoom.count(CREATE) == 1  # the shared record, not a listing, showed it


def test_redis_out_of_reach_claims_on_the_machine_with_one_warning(zoom, tmp_path, monkeypatch, caplog):
    redis_connection(monkeypatch, CONN_ID, free_port(), 0)  # nothing listens there
    api = _api(tmp_path / "m")

    with caplog.at_level(logging.WARNING):
        outcomes = [api.create_group(validate_group_spec(name)).outcome for name in NAMES[:5]]
        again = _api(tmp_path / "m").create_group(validate_group_spec(NAMES[0]))  # the next task of the machine

    assert outcomes == ["created"] * 5 and again.outcome == "exists"
    assert zoom.count(CREATE) == 5
    record = json.loads((tmp_path / "m" / RECORD_FILE).read_text())  # the machine's record holds them
    (entries,) = record.values()
    assert sorted(entries) == sorted(group_key(n) for n in NAMES[:5])
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "name claims" in r.getMessage()]
    assert len(warnings) == 1, warnings  # one per outage, not one per call or per task
    assert "Redis (connection 'zoom_claims_redis') failed (ConnectionError" in warnings[0]


def test_a_claim_outlives_its_ttl_while_held_and_a_killed_holder_frees_it(tmp_path, redis_db, monkeypatch):
    """A long create keeps its claim (the keeper renews it); a worker killed holding one frees it after the TTL."""
    monkeypatch.setattr(redis_claims, "LOCK_TTL_S", 1.0)
    monkeypatch.setattr(redis_claims, "RENEW_EVERY_S", 0.2)
    claims = redis_claims.RedisNameClaims("acct", CONN_ID, api_url="http://127.0.0.1")
    lock_name = claims.lock_name(group_key(NAMES[0]))
    client = redis_db.client()
    with claims.claim(group_key(NAMES[0])):
        time.sleep(2.5)  # a create slower than the TTL
        assert client.pttl(lock_name) > 0  # still held: nobody else could take the name meanwhile
    assert not client.exists(lock_name)  # let go at the end

    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from airflow_provider_zoom.groups.contact import redis_claims
        redis_claims.LOCK_TTL_S = 2.0
        claims = redis_claims.RedisNameClaims("acct", {CONN_ID!r}, api_url="http://127.0.0.1")
        claims.acquire({group_key(NAMES[0])!r})
        print("held", flush=True)
        time.sleep(600)
    """)], env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()[-3000:]
        holder.kill()
        holder.wait()
        got = threading.Event()

        def take() -> None:
            with claims.claim(group_key(NAMES[0])):
                got.set()

        taker = threading.Thread(target=take, daemon=True)
        taker.start()
        assert got.wait(30), "the claim of a killed worker was never freed"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
