"""The ``redis`` rate limiter against the real Redis on 127.0.0.1:6379 (``make e2e``), in a Redis DB of its own.

These need no Airflow deployment (no ``stack``): task-like processes and the emulator, with Redis as the
store every worker would reach. ``test_e2e_2_wave.py`` shows the same limiter under the scheduler.
"""

from __future__ import annotations

import pytest

from airflow_provider_zoom._transport import slot_stores
from airflow_provider_zoom.hooks.zoom import ZoomHook
from tests.e2e.harness import free_port
from tests.e2e.services import redis_connection, redis_db_for
from tests.pacing_checks import LIMIT, PACE, assert_falls_back_to_local_pacing
from tests.waves.paced_processes import run_paced_processes

pytestmark = pytest.mark.e2e

CONN_ID = "zoom_pacing_redis"



@pytest.fixture
def redis_db(monkeypatch):
    yield from redis_db_for(monkeypatch, CONN_ID, "rate-limiter")



def test_the_lua_reservation_hands_out_one_line_on_redis_clock(redis_db):
    first, second = slot_stores.RedisSlots(CONN_ID), slot_stores.RedisSlots(CONN_ID)  # two workers, say
    waits = [store.reserve("acct-light", 10.0) for store in (first, second, first, second)]
    assert waits == pytest.approx([0.0, 10.0, 20.0, 30.0], abs=0.5)
    client = redis_db.client()
    assert client.pttl(slot_stores.REDIS_KEY_PREFIX + "acct-light") > 0  # an idle line expires by itself


def test_four_processes_on_the_redis_limiter_meet_no_429(zoom, tmp_path, redis_db):
    zoom.configure(light_rps=LIMIT)
    extras = {"light_rps": PACE, "rate_limiter": "redis", "rate_limiter_conn_id": CONN_ID,
              "credential_cache_dir": str(tmp_path / "tokens")}

    run = run_paced_processes(zoom, tmp_path, extras, processes=4, count=12)

    assert run["status_429"] == 0
    keys = redis_db.client().keys(slot_stores.REDIS_KEY_PREFIX + "*")
    assert len(keys) == 1 and keys[0].endswith(b"-light")  # one line: the account's Light category


def test_redis_out_of_reach_falls_back_to_local_pacing_with_one_warning(zoom, monkeypatch, tmp_path, caplog):
    redis_connection(monkeypatch, CONN_ID, free_port(), 0)  # nothing listens there
    hook = ZoomHook(light_rps=PACE, rate_limiter="redis", rate_limiter_conn_id=CONN_ID,
                    credential_cache_dir=str(tmp_path / "tokens"))
    assert_falls_back_to_local_pacing(zoom, hook, caplog, warning="redis store failed (ConnectionError")
