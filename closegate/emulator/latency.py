"""A realistic latency profile for Graph and ARM answers (fault option `latency=realistic`).

Time grows with what the service had to produce: a base per request, plus a cost per item of a
collection page and per inner request of a $batch, multiplied by a log-normal spread and, now and
then, a long tail. Drawn from the fault spec's seeded RNG, so a seeded run waits the same way.

Where the numbers come from: Microsoft publishes no latency figures for Graph or ARM, and none were
found in the stored sources (Graph docs, SDK issues, community measurements). The profile is
calibrated on issue 11's statement of what live tenants show ("real pages of 999 users take hundreds
of milliseconds, not 50") and the brief's "hundreds of ms for a 999-user page or a 20-item batch":
a single read's median is 60 ms, a 999-user page's about 410 ms (60 + 0.35 ms per item), a 20-item
$batch's about 420 ms (60 + 18 ms per inner request), writes start at 110 ms and ARM calls at
140 ms; log-normal sigma 0.3 (p90 about 1.5x the median), and 2% of answers take 3 to 8 times longer.
These are a model, not a measurement: change them here if better data turns up.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass

from closegate.emulator.wire import Request, Response

__all__ = ["LatencyModel", "REALISTIC", "answer_size"]


@dataclass(frozen=True)
class LatencyModel:
    base_read_ms: float = 60.0
    base_write_ms: float = 110.0
    base_arm_ms: float = 140.0
    per_item_ms: float = 0.35
    per_batch_item_ms: float = 18.0
    sigma: float = 0.30
    tail_probability: float = 0.02
    tail_factor: tuple[float, float] = (3.0, 8.0)

    def median_ms(self, *, write: bool, arm: bool, items: int, batch_items: int) -> float:
        base = self.base_arm_ms if arm else (self.base_write_ms if write else self.base_read_ms)
        return base + self.per_item_ms * items + self.per_batch_item_ms * batch_items

    def draw(self, rng: random.Random, *, write: bool, arm: bool, items: int, batch_items: int) -> float:
        """Seconds to hold this answer."""
        median = self.median_ms(write=write, arm=arm, items=items, batch_items=batch_items)
        spread = math.exp(rng.gauss(0.0, self.sigma))
        tail = rng.uniform(*self.tail_factor) if rng.random() < self.tail_probability else 1.0
        return median * spread * tail / 1000.0


REALISTIC = LatencyModel()


def answer_size(req: Request, response: Response) -> tuple[int, int]:
    """(items in a collection page, inner requests of a $batch) of an answer."""
    batch = getattr(response, "items", None)
    if isinstance(batch, tuple):  # closegate.emulator.batch.BatchResponse
        return 0, len(batch)
    if req.method != "GET" or "json" not in (response.header("Content-Type") or "") or not response.body:
        return 0, 0
    try:
        value = json.loads(response.body).get("value")
    except (ValueError, AttributeError):
        return 0, 0
    return (len(value) if isinstance(value, list) else 0), 0
