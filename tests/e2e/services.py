"""The machine services the e2e harness needs: PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.

Used when they answer; otherwise Debian's ``postgresql`` / ``redis-server`` are installed (as root, the way CI
runs) and started. Each run gets a database and a Redis DB number of its own, removed at the end.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
SERVICE_START_TIMEOUT = 60.0
# The e2e runs use the upper Redis DBs, leaving 0 (the usual default) to everyone else.
REDIS_DBS = range(15, 7, -1)


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def _wait_for_port(host: str, port: int, what: str) -> None:
    deadline = time.monotonic() + SERVICE_START_TIMEOUT
    while not port_answers(host, port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start listening on {host}:{port} within {SERVICE_START_TIMEOUT:.0f}s")
        time.sleep(0.5)


def _apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, timeout=900)


def ensure_postgres() -> None:
    if port_answers(PG_HOST, PG_PORT):
        return
    if not shutil.which("pg_ctlcluster"):
        _apt_install("postgresql")
    version = max(os.listdir("/etc/postgresql"), key=float)
    hba = Path(f"/etc/postgresql/{version}/main/pg_hba.conf")
    trust = "host all all 127.0.0.1/32 trust\n"
    if trust not in hba.read_text():  # the harness connects as postgres without a password, as on CI machines
        hba.write_text(trust + hba.read_text())
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False, timeout=120)
    _wait_for_port(PG_HOST, PG_PORT, "PostgreSQL")


def ensure_redis() -> None:
    if port_answers(REDIS_HOST, REDIS_PORT):
        return
    if not shutil.which("redis-server"):
        _apt_install("redis-server")
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            REDIS_HOST,
            "--port",
            str(REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        timeout=60,
    )
    _wait_for_port(REDIS_HOST, REDIS_PORT, "Redis")


def pg_connect(dbname: str = "postgres"):
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, connect_timeout=10)
    conn.autocommit = True
    return conn


@dataclass
class PostgresDatabase:
    """A database of this run's own; ``now()`` in it is shifted by ``clock_offset_s`` (see ``Stack``)."""

    name: str
    clock_offset_s: int

    @property
    def sqlalchemy_url(self) -> str:
        return f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.name}"

    @property
    def celery_result_backend(self) -> str:
        return f"db+postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.name}"

    @classmethod
    def create(cls, clock_offset_s: int) -> PostgresDatabase:
        name = f"airflow_e2e_{os.getpid()}_{secrets.token_hex(4)}"
        with contextlib.closing(pg_connect()) as conn, conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        db = cls(name, clock_offset_s)
        with contextlib.closing(pg_connect(name)) as conn, conn.cursor() as cur:
            # Airflow compares with the database's now() in a few queries (which runs are due). The
            # components run on a shifted clock, so now() must be shifted the same way: a now() in a
            # schema searched before pg_catalog wins for every unqualified call in this database.
            cur.execute("CREATE SCHEMA e2e_clock")
            cur.execute(
                "CREATE FUNCTION e2e_clock.now() RETURNS timestamptz LANGUAGE sql STABLE AS "
                f"$$ SELECT pg_catalog.now() + make_interval(secs => {int(clock_offset_s)}) $$"
            )
            cur.execute(f'ALTER DATABASE "{name}" SET search_path TO public, e2e_clock, pg_catalog')
        return db

    def query(self, sql: str, params: tuple | dict | None = None) -> list[tuple]:
        with contextlib.closing(pg_connect(self.name)) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def drop(self) -> None:
        with contextlib.closing(pg_connect()) as conn, conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class RedisDatabase:
    """A Redis DB number nobody uses, claimed with a marker key and flushed at the end."""

    number: int
    marker: str

    @property
    def url(self) -> str:
        return f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.number}"

    @classmethod
    def claim(cls, run_id: str) -> RedisDatabase:
        import redis

        for number in REDIS_DBS:
            client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number, socket_timeout=10)
            with contextlib.closing(client):
                if client.dbsize() == 0 and client.set("airflow-provider-zoom:e2e-owner", run_id, nx=True):
                    return cls(number, run_id)
        raise RuntimeError(f"no free Redis DB among {list(REDIS_DBS)} (each holds keys of another run)")

    def flush(self) -> None:
        import redis

        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=self.number, socket_timeout=10)
        with contextlib.closing(client):
            if client.get("airflow-provider-zoom:e2e-owner") in (self.marker.encode(), None):
                client.flushdb()

    def client(self):
        """A redis-py client of this DB (the test's own view of what the provider wrote)."""
        import redis

        return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=self.number, socket_timeout=10)


def redis_connection(monkeypatch, conn_id: str, port: int, db: int) -> None:
    """Airflow connection ``conn_id`` (the hook's ``rate_limiter_conn_id``) pointing at a Redis on ``port``."""
    import json

    conn = {"conn_type": "redis", "host": REDIS_HOST, "port": port, "extra": {"db": db}}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))


def redis_db_for(monkeypatch, conn_id: str, purpose: str):
    """A fixture's body: a Redis DB of the test's own behind connection ``conn_id``, flushed afterwards."""
    ensure_redis()
    db = RedisDatabase.claim(f"{purpose}-{secrets.token_hex(4)}")
    redis_connection(monkeypatch, conn_id, REDIS_PORT, db.number)
    yield db
    db.flush()

