"""Microsoft Graph and Azure Resource Manager over HTTP: the only importer of requests.

`connect(settings, tokens)` builds the two clients of a run on one pooled session: Graph (paging,
$batch, retries, adaptive concurrency) and ARM (the same client with the ARM audience).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from closegate.graph.batch import BatchItem, BatchOutcome, BatchRunner
from closegate.graph.client import GraphClient
from closegate.graph.concurrency import AdaptiveLimiter, PageFeed, run_concurrently
from closegate.graph.retry import RetryPolicy
from closegate.graph.stats import RequestStats
from closegate.graph.transport import (
    HttpResponse,
    RequestsTransport,
    Transport,
    new_session,
)

if TYPE_CHECKING:
    from closegate.auth import TokenProvider
    from closegate.config import Settings

INITIAL_IN_FLIGHT = 8

__all__ = [
    "INITIAL_IN_FLIGHT",
    "BatchItem",
    "BatchOutcome",
    "BatchRunner",
    "Clients",
    "GraphClient",
    "HttpResponse",
    "PageFeed",
    "RequestStats",
    "RetryPolicy",
    "Transport",
    "connect",
    "run_concurrently",
]


@dataclass(frozen=True)
class Clients:
    graph: GraphClient
    arm: GraphClient
    stats: RequestStats


def connect(
    settings: Settings,
    tokens: TokenProvider,
    *,
    grant_kind: str = "application",
    transport: Transport | None = None,
    policy: RetryPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Clients:
    """Graph and ARM clients sharing one session, one limiter (one throttle budget) and one stats."""
    cloud = settings.cloud
    if transport is None:
        transport = RequestsTransport(new_session(pool_size=settings.concurrency + 2, ca_bundle=cloud.ca_bundle,
                                                  timeout=settings.timeout_seconds))
    stats = RequestStats()
    # Start where a fixed pool used to sit and let slow start find Graph's pace (graph/concurrency.py).
    limiter = AdaptiveLimiter(settings.concurrency, initial=min(INITIAL_IN_FLIGHT, settings.concurrency),
                              clock=clock, sleep=sleep)
    common: dict[str, Any] = {"limiter": limiter, "stats": stats, "policy": policy, "timeout": settings.timeout_seconds,
              "clock": clock, "sleep": sleep, "grant_kind": grant_kind, "client_id": settings.auth.client_id}
    graph = GraphClient(transport, tokens, root=cloud.graph_url, resource=cloud.graph_resource, **common)
    arm = GraphClient(transport, tokens, root=cloud.arm_url, resource=cloud.arm_resource, arm=True, **common)
    return Clients(graph=graph, arm=arm, stats=stats)
