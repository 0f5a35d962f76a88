import threading

import pytest

from airflow_provider_zoom._transport.rate_limit import Pacer, RateLimits, category_of


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.lock = threading.Lock()

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        with self.lock:
            self.now += seconds


@pytest.mark.parametrize(
    "method, path, category",
    [
        ("POST", "im/groups", "light"),
        ("GET", "/im/groups", "medium"),
        ("GET", "im/groups/abc", "light"),
        ("PATCH", "im/groups/abc", "light"),
        ("DELETE", "im/groups/abc", "light"),
        ("GET", "im/groups/abc/members?page_size=300", "medium"),
        ("POST", "im/groups/abc/members", "medium"),
        ("DELETE", "im/groups/abc/members/u1", "light"),
    ],
)
def test_categories_follow_zooms_labels(method, path, category):
    assert category_of(method, path) == category


def test_pacer_spaces_request_starts_evenly():
    clock = FakeClock()
    pacer = Pacer(80, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(161):
        pacer.acquire()
        starts.append(clock.now)
    # 161 starts over exactly two seconds: never more than 80 in any one-second window.
    assert starts[-1] - starts[0] == pytest.approx(2.0)
    assert max(sum(1 for t in starts if s <= t < s + 1) for s in starts) == 80


def test_each_429_cuts_one_request_a_second_and_a_second_of_successes_wins_it_back():
    clock = FakeClock()
    pacer = Pacer(39.2, clock=clock, sleep=clock.sleep)
    pacer.slow_down()  # a window that jitter overfilled by one
    assert pacer.rate == pytest.approx(38.2)
    for _ in range(39):  # about a second of successes
        pacer.succeeded()
    assert pacer.rate == pytest.approx(39.2)


def test_a_shared_budget_cuts_the_rate_by_what_zoom_refused():
    clock = FakeClock()
    pacer = Pacer(39.2, clock=clock, sleep=clock.sleep)
    for _ in range(15):  # another app takes 15 of the 40 a second: 15 of ours refused in one window
        pacer.slow_down()
    assert pacer.rate == pytest.approx(24.2)
    for _ in range(2000):
        pacer.succeeded()
    assert pacer.rate == pytest.approx(39.2)


def test_a_slow_plans_cut_is_a_share_of_its_rate_and_never_stops_it():
    clock = FakeClock()
    pacer = Pacer(0.98, clock=clock, sleep=clock.sleep)  # Free, Heavy
    pacer.slow_down()
    assert pacer.rate == pytest.approx(0.98 * 0.85)
    for _ in range(100):
        pacer.slow_down()
    assert pacer.rate == pytest.approx(0.98 * 0.05)


def test_plan_presets_keep_headroom():
    limits = RateLimits.for_plan("business")
    assert 0.95 * 80 <= limits.light < 80
    assert 0.95 * 60 <= limits.medium < 60
    assert 0.95 * 40 <= limits.heavy < 40
    pro = RateLimits.for_plan("pro")
    assert RateLimits.resolve(plan="pro", light_rps=12) == RateLimits(light=12.0, medium=pro.medium, heavy=pro.heavy)
    assert RateLimits.resolve() is None
    with pytest.raises(ValueError, match="unknown Zoom plan 'gold'"):
        RateLimits.for_plan("gold")


@pytest.mark.parametrize(
    "method, path, category",
    [
        ("POST", "im/groups", "light"),
        ("GET", "im/groups", "medium"),
        ("POST", "im/groups/g1/members", "medium"),
        ("POST", "contacts/groups", "heavy"),
        ("PATCH", "contacts/groups/g1", "heavy"),
        ("DELETE", "contacts/groups/g1/members?member_ids=a,b", "heavy"),
        ("GET", "contacts/groups", "medium"),
        ("GET", "contacts/groups/g1/members", "medium"),
        ("GET", "contacts/groups/g1", "light"),
        ("GET", "users/a@example.com", "light"),
        ("GET", "users", "medium"),
    ],
)
def test_each_operation_is_paced_in_zooms_category(method, path, category):
    from airflow_provider_zoom._transport.rate_limit import category_of

    assert category_of(method, path) == category


def test_a_start_overslept_takes_a_new_slot_instead_of_crowding_the_next_window():
    clock = FakeClock()
    oversleeps = [0.05]  # a busy machine wakes the thread 50 ms late, once

    def sleep(seconds):
        clock.sleep(seconds + (oversleeps.pop() if oversleeps else 0.0))

    pacer = Pacer(10, clock=clock, sleep=sleep)
    pacer.acquire()  # slot 100.0, on time
    pacer.acquire()  # slot 100.1, woken at 100.15: given up; slot 100.2, on time
    assert clock.now == pytest.approx(100.2)
    assert pacer.missed == 1


def test_a_slow_store_round_trip_is_not_taken_for_a_late_wake_up():
    """A thread's first Redis call opens its connection: the reply comes 50 ms later, with the slot due now. The
    start waits for the reply (never early) and keeps its slot; counting from the middle of the round trip gave it
    up (every thread's first slot: 4 tasks on the redis limiter reached 0.77 of the limit)."""
    clock = FakeClock()

    class SlowFirstCall:
        calls = 0

        def reserve(self, key, interval):
            self.calls += 1
            if self.calls == 1:
                clock.sleep(0.05)  # connecting: the store's "now" is at the end of it
            return 0.0

    pacer = Pacer(10, slots=SlowFirstCall(), clock=clock, sleep=clock.sleep)
    pacer.acquire()
    assert pacer.missed == 0
