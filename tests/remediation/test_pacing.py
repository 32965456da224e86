"""The write pacer is Graph's documented write bucket, a margin smaller: burst first, then the refill."""

from __future__ import annotations

import pytest

from closegate.remediation.pacing import DOCUMENTED_WRITE_QUOTA, Pacer, WriteQuota


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_burst_is_spent_at_once_then_the_refill_rate() -> None:
    clock = Clock()
    pacer = WriteQuota(3000, 150.0).pacer(clock=clock, sleep=clock.sleep)
    pacer.take(2940)  # 98% of the documented bucket: no wait
    assert clock.now == 0.0
    pacer.take(1960)  # then 98% of 20 writes/s
    assert clock.now == pytest.approx(1960 / (0.98 * 20), rel=1e-6)


def test_no_stretch_of_time_sees_more_writes_than_the_documented_bucket_allows() -> None:
    """Graph's bucket admits at most quota + quota/window * t writes in any t seconds from full (§12.8)."""
    clock = Clock()
    quota = DOCUMENTED_WRITE_QUOTA
    pacer = quota.pacer(clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(600):  # four buckets' worth of $batch calls of 20
        pacer.take(20)
        times.append(clock.now)
    for start in range(0, len(times), 7):
        for end in range(start, len(times), 3):
            written = 20 * (end - start + 1)
            assert written <= quota.writes + quota.writes / quota.seconds * (times[end] - times[start])


def test_unpaced_never_waits() -> None:
    pacer = DOCUMENTED_WRITE_QUOTA.unpaced()
    assert isinstance(pacer, Pacer)
    pacer.take(1_000_000)


def test_a_pacer_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError):
        Pacer(0.0, 10)


def test_a_round_holds_five_seconds_of_the_refill_between_200_and_2000_objects() -> None:
    assert DOCUMENTED_WRITE_QUOTA.round_size() == 200
    assert WriteQuota(30_000, 150.0).round_size() == 1000
    assert WriteQuota(3_000_000, 150.0).round_size() == 2000
