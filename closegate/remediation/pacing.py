"""Client-side pacing: spend the documented write quota evenly instead of discovering it through 429s.

Graph documents the directory write quota per application and tenant (graph-facts §8.3: 3,000 writes
per 2 min 30 s) and keeps charging while a client is throttled (§8.2), so bursting into 429s wastes
time and budget. A token bucket sized so that no quota window can see more than the quota keeps the
executor just under the ceiling; the client's adaptive limiter still handles any 429 that comes anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DOCUMENTED_WRITE_QUOTA", "Pacer", "WriteQuota"]


@dataclass(frozen=True)
class WriteQuota:
    writes: int
    seconds: float

    def pacer(self, burst: int, *, clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep, margin: float = 0.97) -> Pacer:
        # A window holds at most `burst` (the bucket) plus rate * seconds: keep that under the quota.
        burst = max(1, min(burst, self.writes // 2))
        rate = margin * (self.writes - burst) / self.seconds
        return Pacer(rate, burst, clock=clock, sleep=sleep)


DOCUMENTED_WRITE_QUOTA = WriteQuota(3000, 150.0)  # graph-facts §8.3, application + tenant


class Pacer:
    """A token bucket: `take(n)` returns once `n` tokens (writes) may be spent."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a pacer needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def take(self, n: int = 1) -> None:
        n = max(0, n)
        while n:
            part = min(n, self.burst)
            self._take(part)
            n -= part

    def _take(self, n: int) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= n:
                    self._tokens -= n
                    return
                wait = (n - self._tokens) / self.rate
            self._sleep(wait)
