"""How many Graph requests are in flight: as many as Graph's throttle and the observed latency call for.

Little's law: requests in flight = throughput x latency. The throughput Graph allows is a token
bucket per app and tenant (a burst, then a steady refill, graph-facts §12.8) that the client cannot
read, and latency runs from tens of milliseconds to hundreds for a 999-item page or a 20-item batch,
so no fixed number fits: 8 in flight is 160 requests per second at 50 ms but 19 at 420 ms. The limit
is found by feedback instead. It starts at `initial` and, in slow start, grows by one for each
answer (doubling every round trip of the observed latency) until Graph signals pressure; from then
on it grows by one per round trip and shrinks multiplicatively on pressure (AIMD). Pressure is a 429
(halve, and every worker pauses until the server's Retry-After has passed: Graph keeps charging
while a client is throttled, §8.2) or `x-ms-throttle-limit-percentage` (sent once more than 0.8 of
the limit is used, §8.3): at 0.9 or more the limit stops growing, above 1.0 (the bucket is in debt)
it shrinks by a quarter. The configured ceiling is never exceeded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Generic, TypeVar

__all__ = ["HOLD_AT", "SHRINK_ABOVE", "AdaptiveLimiter", "PageFeed", "run_concurrently"]

T = TypeVar("T")
R = TypeVar("R")

HOLD_AT = 0.9  # x-ms-throttle-limit-percentage at which the limit stops growing
SHRINK_ABOVE = 1.0  # ... and above which the bucket is in debt: shrink before the 429s come
_LATENCY_WEIGHT = 0.2  # EWMA weight of each new latency sample


class AdaptiveLimiter:
    """Slow start, then AIMD, on requests in flight; a shared pause after a throttled answer."""

    def __init__(
        self,
        ceiling: int,
        *,
        initial: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        cooldown: float = 1.0,
    ) -> None:
        if ceiling < 1:
            raise ValueError("ceiling must be at least 1")
        self.ceiling = ceiling
        self._limit = min(ceiling, initial or ceiling)
        self._in_flight = 0
        self._peak = 0
        self._successes = 0
        self._slow_start = True
        self._paused_until = 0.0
        self._last_cut = float("-inf")
        self._hold_until = float("-inf")
        self._latency: float | None = None
        self._cooldown = cooldown  # one burst of 429s from the same window counts as one signal
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def peak(self) -> int:
        """Most requests ever in flight at once (tests assert it never passes the ceiling)."""
        return self._peak

    @property
    def latency(self) -> float | None:
        """The moving average of answer times, seconds (None before the first answer)."""
        return self._latency

    @contextmanager
    def slot(self) -> Iterator[None]:
        self._wait_for_pause()
        with self._cond:
            while self._in_flight >= self._limit:
                self._cond.wait()
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify()

    def observe(self, latency: float, usage: float | None = None) -> None:
        """An answer arrived after `latency` seconds, with the throttle usage Graph reported, if any."""
        with self._cond:
            self._latency = latency if self._latency is None else (
                (1 - _LATENCY_WEIGHT) * self._latency + _LATENCY_WEIGHT * latency)
        if usage is not None:
            self.pressure(usage)

    def pressure(self, usage: float) -> None:
        """`x-ms-throttle-limit-percentage`: hold at HOLD_AT, shrink by a quarter once in debt."""
        if usage < HOLD_AT:
            return
        now = self._clock()
        with self._cond:
            self._slow_start = False
            self._hold_until = now + self._cooldown
            if usage > SHRINK_ABOVE and now - self._last_cut >= self._cooldown:
                self._limit = max(1, (self._limit * 3) // 4)
                self._last_cut = now
                self._successes = 0

    def throttled(self, retry_after: float | None) -> None:
        now = self._clock()
        with self._cond:
            self._slow_start = False
            if retry_after is not None:
                self._paused_until = max(self._paused_until, now + retry_after)
            if now - self._last_cut >= self._cooldown:
                self._limit = max(1, self._limit // 2)
                self._last_cut = now
                self._successes = 0

    def succeeded(self) -> None:
        with self._cond:
            if self._limit >= self.ceiling or self._clock() < self._hold_until:
                return
            self._successes += 1
            # Slow start: one more per answer doubles the limit each round trip; then one per round trip.
            if self._slow_start or self._successes >= self._limit:
                self._limit += 1
                self._successes = 0
                self._cond.notify()

    def pause_remaining(self) -> float:
        with self._cond:
            return max(0.0, self._paused_until - self._clock())

    def _wait_for_pause(self) -> None:
        while (remaining := self.pause_remaining()) > 0:
            self._sleep(remaining)


def run_concurrently(fn: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    """`[fn(x) for x in items]` on up to `workers` threads, in order; the first error cancels the rest."""
    todo = list(items)
    if workers <= 1 or len(todo) <= 1:
        return [fn(x) for x in todo]
    with ThreadPoolExecutor(max_workers=min(workers, len(todo)), thread_name_prefix="closegate") as pool:
        futures: list[Future[R]] = [pool.submit(fn, x) for x in todo]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for f in done:
            if f.exception() is not None:
                for other in futures:
                    other.cancel()
                raise f.exception()  # type: ignore[misc]
        return [f.result() for f in futures]


class PageFeed(Generic[T]):
    """Pages one thread lists, read by other threads while the listing still runs (listing overlapped
    with the reads that need its objects). Every reader sees every page, in order, then the listing's
    error if it failed."""

    def __init__(self) -> None:
        self._pages: list[T] = []
        self._done = False
        self._error: BaseException | None = None
        self._claimed = False
        self._cond = threading.Condition()

    def claim(self) -> bool:
        """True for the first caller only: that caller makes sure the listing runs."""
        with self._cond:
            first, self._claimed = not self._claimed, True
            return first

    def put(self, page: T) -> None:
        with self._cond:
            self._pages.append(page)
            self._cond.notify_all()

    def close(self, error: BaseException | None = None) -> None:
        with self._cond:
            self._done, self._error = True, error
            self._cond.notify_all()

    def __iter__(self) -> Iterator[T]:
        seen = 0
        while True:
            with self._cond:
                while seen >= len(self._pages) and not self._done:
                    self._cond.wait()
                if seen < len(self._pages):
                    page = self._pages[seen]
                elif self._error is not None:
                    raise self._error
                else:
                    return
            seen += 1
            yield page
