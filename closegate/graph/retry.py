"""When a Graph request may be sent again, and how long to wait first.

Retries are decided here and nowhere else (urllib3's and msal's own retries are off or separate).
Reads are always safe to repeat; writes only when repeating cannot do harm (see `may_retry`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

__all__ = ["RETRY_STATUSES", "RetryPolicy", "may_retry", "parse_retry_after"]

# Status -> why it is worth another try.
RETRY_STATUSES: dict[int, str] = {
    # Throttled: Graph did not process the request and says when to come back (graph-facts §8.2).
    429: "throttled",
    # Service unavailable: transient overload; Graph may send Retry-After (graph-facts §8.4).
    503: "service unavailable",
    # Gateway timeout: the front end gave up on the back end; the request may or may not have run,
    # so only idempotent requests repeat it (see may_retry).
    504: "gateway timeout",
}
# 500 and 502 are not retried: Graph uses them for deterministic failures as often as transient
# ones, and repeating a failing write blindly is what pip's session warns against.


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter, overridden by the server's Retry-After."""

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0  # a longer Retry-After means "give up", not "sleep for hours"
    jitter: Callable[[float], float] = field(default=lambda cap: random.uniform(0, cap), repr=False)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1-based) when the server gave no Retry-After."""
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return max(self.base_delay / 4, self.jitter(cap))

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return self.backoff(attempt)


def may_retry(method: str, status: int | None, *, idempotent: bool) -> bool:
    """Whether this method may be sent again after `status` (None: the connection failed).

    GET and DELETE are repeatable (a DELETE whose retry answers 404 counts as done, client.py).
    PATCH/POST are repeated only when the caller says so (a PATCH to a fixed value, a $batch of
    reads); otherwise only after a 429, which Graph answers before doing any work.
    """
    safe = idempotent or method.upper() in {"GET", "HEAD", "DELETE"}
    if status is None:
        return safe
    if status == 429:
        return True
    return status in RETRY_STATUSES and safe


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
