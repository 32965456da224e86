"""Request statistics for the run record: how much a run asked of Graph and how often it was throttled."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

__all__ = ["EndpointStats", "RequestStats"]


@dataclass
class EndpointStats:
    requests: int = 0  # HTTP requests sent
    batched: int = 0  # requests carried inside $batch calls
    retries: int = 0
    throttled: int = 0  # 429 answers (and 429 items inside $batch)
    errors: int = 0  # final non-2xx answers
    bytes_in: int = 0
    bytes_out: int = 0
    resource_units: int = 0


class RequestStats:
    """Thread-safe counters per endpoint template (no object ids, so the record can be published)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_endpoint: dict[str, EndpointStats] = defaultdict(EndpointStats)
        self.token_requests = 0

    def record(
        self,
        endpoint: str,
        *,
        status: int | None,
        bytes_in: int = 0,
        bytes_out: int = 0,
        resource_units: int = 0,
        retry: bool = False,
        batched: bool = False,
    ) -> None:
        with self._lock:
            s = self._by_endpoint[endpoint]
            s.requests += int(not batched)
            s.batched += int(batched)
            s.retries += int(retry)
            s.throttled += int(status == 429)
            s.bytes_in += bytes_in
            s.bytes_out += bytes_out
            s.resource_units += resource_units

    def record_error(self, endpoint: str) -> None:
        with self._lock:
            self._by_endpoint[endpoint].errors += 1

    def record_token_request(self) -> None:
        with self._lock:
            self.token_requests += 1

    def totals(self) -> EndpointStats:
        with self._lock:
            total = EndpointStats()
            for s in self._by_endpoint.values():
                for name in vars(total):
                    setattr(total, name, getattr(total, name) + getattr(s, name))
            return total

    def snapshot(self) -> dict[str, object]:
        """JSON-ready: totals plus one entry per endpoint template, sorted for a stable record."""
        with self._lock:
            endpoints = {k: dict(vars(v)) for k, v in sorted(self._by_endpoint.items())}
            tokens = self.token_requests
        return {"totals": dict(vars(self.totals())), "token_requests": tokens, "endpoints": endpoints}
