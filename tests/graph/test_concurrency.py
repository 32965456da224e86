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
