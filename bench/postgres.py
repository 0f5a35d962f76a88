"""A scratch PostgreSQL database on 127.0.0.1:5432 (user ``postgres``, trust auth) for the end-to-end run.

If nothing answers on the port, Debian's cluster is started (installed first if missing, as root, with a
trust line for 127.0.0.1), and stopped again by ``drop()``; a cluster that was already running is left as
it was. The database is created with a unique name and dropped at the end, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from bench.common import log

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"
TRUST_LINE = "host all all 127.0.0.1/32 trust\n"


def _answers() -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, PORT), timeout=1):
        return True
    return False


def _connect(dbname: str = "postgres"):
    import psycopg2

    conn = psycopg2.connect(host=HOST, port=PORT, user=USER, dbname=dbname)
    conn.autocommit = True
    return conn


class ScratchDatabase:
    def __init__(self) -> None:
        self.name = f"zoom_bench_{os.getpid()}_{secrets.token_hex(4)}"
        self.started_cluster: str | None = None
        self.created = False

    def _start_cluster(self) -> None:
        if not shutil.which("pg_ctlcluster"):
            log("e2e: installing PostgreSQL (nothing answers on 127.0.0.1:5432)")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
            subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env, timeout=900)
        version = max(os.listdir("/etc/postgresql"))
        hba = Path(f"/etc/postgresql/{version}/main/pg_hba.conf")
        if TRUST_LINE not in hba.read_text():
            hba.write_text(TRUST_LINE + hba.read_text())
        log(f"e2e: starting PostgreSQL {version}")
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False,
                       timeout=120)
        self.started_cluster = version
        deadline = time.monotonic() + 60
        while not _answers():
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start listening on 127.0.0.1:5432")
            time.sleep(0.5)

    def create(self) -> str:
        if not _answers():
            self._start_cluster()
        with contextlib.closing(_connect()) as conn, conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True
        return f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{self.name}"

    def drop(self) -> None:
        try:
            if self.created:
                with contextlib.closing(_connect()) as conn, conn.cursor() as cur:
                    cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                self.created = False
        finally:
            if self.started_cluster:
                subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.started_cluster, "main", "stop"],
                               check=False, timeout=120)
                self.started_cluster = None
