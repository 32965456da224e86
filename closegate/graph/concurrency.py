"""An adaptive bound on concurrent Graph requests: halve on throttling, grow back one slot at a time.

Graph throttles per app and tenant (graph-facts §8.3) and keeps charging resource units while a
client is throttled (§8.2), so every worker pauses until the server's Retry-After has passed rather
than each discovering the throttle on its own. The configured ceiling is never exceeded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["AdaptiveLimiter", "run_concurrently"]

T = TypeVar("T")
R = TypeVar("R")


class AdaptiveLimiter:
    """AIMD limit on requests in flight, plus a shared pause after a throttled answer."""

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
        self._paused_until = 0.0
        self._last_cut = float("-inf")
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

    def throttled(self, retry_after: float | None) -> None:
        now = self._clock()
        with self._cond:
            if retry_after is not None:
                self._paused_until = max(self._paused_until, now + retry_after)
            if now - self._last_cut >= self._cooldown:
                self._limit = max(1, self._limit // 2)
                self._last_cut = now
                self._successes = 0

    def succeeded(self) -> None:
        with self._cond:
            self._successes += 1
            if self._limit < self.ceiling and self._successes >= self._limit:
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
