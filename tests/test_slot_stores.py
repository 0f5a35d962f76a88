"""The pacing's shared lines: slots handed out in order across stores, and a failing store giving way to local pacing."""

from __future__ import annotations

import logging
import threading

import pytest

from airflow_provider_zoom._transport import slot_stores
from airflow_provider_zoom._transport.rate_limit import Pacer
from airflow_provider_zoom._transport.slot_stores import FallbackSlots, MachineSlots, ProcessSlots, line_key
from airflow_provider_zoom.exceptions import ZoomConfigError


def test_two_processes_files_hand_out_one_line_of_slots(tmp_path):
    # Two MachineSlots open the file on their own, as two processes do: flock orders them on one line.
    first, second = MachineSlots(tmp_path), MachineSlots(tmp_path)
    waits = [store.reserve("acct-light", 10.0) for store in (first, second, first, second)]
    assert waits == pytest.approx([0.0, 10.0, 20.0, 30.0], abs=0.5)
    assert second.reserve("acct-medium", 10.0) == pytest.approx(0.0, abs=0.5)  # another category, another line
    assert [p.name for p in tmp_path.iterdir()] and all(p.stat().st_mode & 0o077 == 0 for p in tmp_path.iterdir())


def test_machine_line_threads_get_distinct_slots(tmp_path):
    stores = [MachineSlots(tmp_path) for _ in range(4)]
    waits: list[float] = []
    lock = threading.Lock()

    def reserve(store):
        for _ in range(5):
            wait = store.reserve("k", 1.0)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=reserve, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 20 reservations one second apart: the waits are 0, 1, ..., 19 (less the time the test took), none shared.
    assert sorted(round(w) for w in waits) == list(range(20))


@pytest.mark.parametrize("content", [b"not a number", b"%f" % 1e12])
def test_a_garbled_or_far_future_slot_file_starts_the_line_afresh(tmp_path, content):
    key = line_key("https://api.zoom.us/v2", "acct", "light")
    (tmp_path / f"zoom-pace-{key}.slot").write_bytes(content)
    assert MachineSlots(tmp_path).reserve(key, 0.5) == pytest.approx(0.0, abs=0.5)


def test_one_line_per_account_and_category():
    assert line_key("https://api.zoom.us/v2", "a", "light") == line_key("https://api.zoom.us/v2/", "a", "light")
    assert len({line_key(u, a, c) for u in ("https://api.zoom.us/v2", "http://127.0.0.1:9/v2")
                for a in ("a", "b") for c in ("light", "medium")}) == 8


class FlakyStore:
    name = "redis"

    def __init__(self):
        self.failing = True
        self.calls = 0

    def reserve(self, key, interval):
        self.calls += 1
        if self.failing:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
        return 0.25


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_an_unreachable_store_paces_locally_warns_once_and_is_tried_again(caplog):
    clock = FakeClock()
    store = FlakyStore()
    slots = FallbackSlots(store, ProcessSlots(clock), clock=clock)
    pacer = Pacer(10, slots=slots, key="acct-light", sleep=clock.sleep)
    starts = []
    with caplog.at_level(logging.INFO, logger=slot_stores.__name__):
        for _ in range(30):
            pacer.acquire()
            starts.append(clock.now)
    # Paced all the same: 30 starts 0.1 s apart, and the store asked once, not on every call.
    assert starts[-1] - starts[0] == pytest.approx(2.9)
    assert store.calls == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "redis store failed" in warnings[0].getMessage()

    clock.now += slot_stores.RETRY_AFTER_S
    pacer.acquire()  # still failing: one more try, no second warning
    assert store.calls == 2 and len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1

    store.failing = False
    clock.now += slot_stores.RETRY_AFTER_S
    with caplog.at_level(logging.INFO, logger=slot_stores.__name__):
        assert slots.reserve("acct-light", 0.1) == 0.25  # the store's answer again
    assert slots.reachable and "answers again" in caplog.records[-1].getMessage()


def test_a_configuration_error_is_raised_not_paced_around():
    class Misconfigured:
        name = "redis"

        def reserve(self, key, interval):
            raise ZoomConfigError("no Airflow connection 'nope'")

    with pytest.raises(ZoomConfigError, match="nope"):
        FallbackSlots(Misconfigured()).reserve("k", 0.1)
