"""The adaptive limiter: never above the ceiling, halves when throttled, grows back, pauses everyone."""

from __future__ import annotations

import threading
import time

import pytest

from closegate.graph.concurrency import AdaptiveLimiter, run_concurrently
from tests.graph.helpers import FakeClock


def test_never_more_in_flight_than_the_ceiling():
    limiter = AdaptiveLimiter(3)
    active, peak, lock = [0], [0], threading.Lock()

    def work(_: int) -> None:
        with limiter.slot():
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.002)
            with lock:
                active[0] -= 1

    run_concurrently(work, range(60), 10)
    assert peak[0] <= 3 and limiter.peak <= 3


def test_halves_on_throttling_once_per_burst_and_grows_back_to_the_ceiling():
    clock = FakeClock()
    limiter = AdaptiveLimiter(8, clock=clock, sleep=clock.sleep)
    limiter.throttled(None)
    limiter.throttled(None)  # same burst: one signal
    assert limiter.limit == 4
    clock.now += 2
    limiter.throttled(None)
    assert limiter.limit == 2
    for _ in range(200):
        limiter.succeeded()
    assert limiter.limit == 8


def test_retry_after_pauses_every_worker_until_it_passes():
    clock = FakeClock()
    limiter = AdaptiveLimiter(4, clock=clock, sleep=clock.sleep)
    limiter.throttled(5.0)
    with limiter.slot():
        pass
    assert clock.sleeps == [5.0]
    with limiter.slot():
        pass
    assert clock.sleeps == [5.0]


def test_run_concurrently_keeps_order_and_raises_the_first_error():
    assert run_concurrently(lambda x: x * 2, range(20), 4) == [x * 2 for x in range(20)]

    def boom(x: int) -> int:
        if x == 7:
            raise KeyError("seven")
        return x

    with pytest.raises(KeyError):
        run_concurrently(boom, range(20), 4)


def test_slow_start_doubles_the_limit_every_round_trip_until_the_ceiling():
    clock = FakeClock()
    limiter = AdaptiveLimiter(64, initial=8, clock=clock, sleep=clock.sleep)
    for _ in range(8):  # one round trip at 8 in flight: eight answers
        limiter.succeeded()
    assert limiter.limit == 16
    for _ in range(16):
        limiter.succeeded()
    assert limiter.limit == 32
    for _ in range(100):
        limiter.succeeded()
    assert limiter.limit == 64


def test_throttle_usage_at_ninety_percent_stops_the_growth_and_debt_shrinks_the_limit():
    clock = FakeClock()
    limiter = AdaptiveLimiter(64, initial=20, clock=clock, sleep=clock.sleep)
    limiter.observe(0.4, usage=0.8)  # "returned only when more than 0.8 is used": no pressure yet
    limiter.succeeded()
    assert limiter.limit == 21
    limiter.observe(0.4, usage=0.9)
    for _ in range(50):
        limiter.succeeded()
    assert limiter.limit == 21  # held while Graph reports 0.9 of its limit used
    limiter.observe(0.4, usage=1.3)  # in debt: shrink before the 429s come
    assert limiter.limit == 15
    clock.now += 2
    for _ in range(15):
        limiter.succeeded()
    assert limiter.limit == 16  # growth resumed, one per round trip now that slow start is over


def test_the_limit_follows_the_observed_latency_not_a_fixed_pool():
    clock = FakeClock()
    limiter = AdaptiveLimiter(64, initial=8, clock=clock, sleep=clock.sleep)
    limiter.observe(0.42)
    limiter.observe(0.42)
    assert limiter.latency == pytest.approx(0.42)
    limiter.observe(1.0)
    assert 0.42 < limiter.latency < 1.0  # a moving average: one slow answer does not set it
