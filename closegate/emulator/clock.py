"""The emulator's simulated clock: Microsoft's lifecycles take days, tests take milliseconds.

Every time-based rule of the tenant (72 h sync turn-off, 30-day recycle bin, subscription states,
Azure's cancel-then-delete window) reads this clock, never the wall clock, so the operator surface
and tests can jump ahead with `advance` instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

__all__ = ["SimClock", "parse_time", "format_time"]


class SimClock:
    """A settable UTC clock. Thread-safe; never goes backwards.

    A clock that follows the wall clock runs in real time from `start` plus whatever was advanced,
    so the tenant agrees with the operator about "now" (an attestation made a minute ago is not in
    the tenant's future). A pinned clock (tests) moves only when advanced.
    """

    def __init__(self, start: datetime, *, follow_wall_clock: bool = False) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock needs an aware datetime")
        self._start = start.astimezone(timezone.utc)
        self._since = time.monotonic() if follow_wall_clock else None
        self._advanced = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now()

    def _now(self) -> datetime:
        elapsed = timedelta(seconds=time.monotonic() - self._since) if self._since is not None else timedelta(0)
        return self._start + elapsed + self._advanced

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the simulated clock cannot go backwards")
        with self._lock:
            self._advanced += delta
            return self._now()


def parse_time(text: str) -> datetime:
    """Parse the ISO 8601 UTC form scenario files use ("2025-03-01T09:00:00Z")."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def format_time(value: datetime | None) -> str | None:
    """Graph's DateTimeOffset wire form: UTC with a trailing Z and no fractional seconds."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
