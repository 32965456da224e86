"""The floors a run is measured against: what Graph's documented limits and the latency model allow at best.

Token bucket (graph-facts §12.8): a client may spend the bucket's capacity at once (the burst) and then
only the refill rate, so `units` resource units cannot be spent in less than (units - burst) / refill.
A listing that follows @odata.nextLink is a chain: page k+1's link arrives with page k, so its time is
at least the sum of the pages' median latencies (closegate.emulator.latency, the model the emulator
serves with). A run's floor is the larger of the two: max(listing time, (RU - burst) / refill).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from closegate.emulator.latency import REALISTIC

__all__ = ["Bucket", "listing_seconds", "ru_bucket", "size_class", "write_buckets"]

PAGE = 999  # users per page at $top=999 (graph-facts §2.1)


@dataclass(frozen=True)
class Bucket:
    burst: float
    refill_per_s: float

    def seconds(self, amount: float) -> float:
        """Least time to spend `amount` from a full bucket."""
        if self.refill_per_s <= 0:
            return 0.0
        return max(0.0, amount - self.burst) / self.refill_per_s


def size_class(users: int) -> str:
    """graph-facts §8.3: S under 50 users, M 50 to 500, L above."""
    return "S" if users < 50 else "M" if users <= 500 else "L"


def ru_bucket(limits: dict[str, Any], users: int) -> Bucket:
    """The per-app-per-tenant resource-unit bucket (the app-wide 150,000 / 20 s one is larger at every size)."""
    burst = float((limits.get("ru_per_window") or {}).get(size_class(users)) or 0)
    return Bucket(burst, burst / float(limits["ru_window_seconds"]) if burst else 0.0)


def write_buckets(limits: dict[str, Any]) -> list[Bucket]:
    """Every write bucket a delete spends from: per app per tenant, per app, per tenant for all apps (§12.8).
    N writes take at least the largest of their `seconds(N)`."""
    candidates = [(limits.get("writes_per_window"), limits["write_window_seconds"]),
                  (limits.get("app_writes_per_window"), limits["wide_write_window_seconds"]),
                  (limits.get("tenant_writes_per_window"), limits["wide_write_window_seconds"])]
    return [Bucket(float(q), float(q) / float(w)) for q, w in candidates if q]


def listing_seconds(items: int, page: int = PAGE) -> float:
    """Median time of the sequential pages of a listing of `items` objects."""
    pages = max(1, math.ceil(items / page))
    return sum(REALISTIC.median_ms(write=False, arm=False, items=min(page, items - page * i), batch_items=0)
               for i in range(pages)) / 1000.0
