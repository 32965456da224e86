"""JSON batching: many Graph requests in `$batch` calls of 20, with only the failed items sent again.

Graph answers each inner request on its own (graph-facts §8.1): out of order, individually throttled
(429 with its own Retry-After), and 424 for requests whose `dependsOn` failed. Items that must be
retried go back into a shared queue and ride in the next batch with fresh items, so a few throttled
items do not turn into many small batches. Batches are sent from several threads; the client's
adaptive limiter bounds how many are in flight.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from closegate.errors import ClosegateError, GraphError, MalformedResponse
from closegate.graph import payload
from closegate.graph.client import GraphClient, throttle_usage
from closegate.graph.endpoints import resource_units, template
from closegate.graph.failures import error_from_response
from closegate.graph.retry import RETRY_STATUSES, may_retry, parse_retry_after
from closegate.graph.transport import HttpResponse

__all__ = ["MAX_BATCH", "BatchItem", "BatchOutcome", "BatchRunner"]

MAX_BATCH = 20  # graph-facts §8.1


@dataclass(frozen=True)
class BatchItem:
    id: str
    method: str
    url: str  # relative to the API version, e.g. "/users/{id}/authentication/requirements"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchOutcome:
    id: str
    status: int
    body: Any
    headers: Mapping[str, str]
    error: ClosegateError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class BatchRunner:
    """Runs any number of items through `$batch`; returns one outcome per item id."""

    def __init__(self, client: GraphClient, *, api: str = "v1.0", workers: int | None = None) -> None:
        self.client = client
        self.api = api
        self.workers = workers or client.limiter.ceiling

    def run(self, items: Iterable[BatchItem]) -> dict[str, BatchOutcome]:
        run = _Run(self, _units_of(list(items)))
        return self._finish(run, max(1, min(self.workers, len(run.fresh))))

    def run_streamed(self, pages: Iterable[Iterable[BatchItem]]) -> dict[str, BatchOutcome]:
        """Like `run`, for items that arrive in pages (a collection still being listed): batches go out
        as soon as a page is in, so the listing and the per-object reads overlap. Item ids must be
        unique across pages; dependsOn only links items of the same page."""
        run = _Run(self, [])
        run.feeding = True
        feeder = threading.Thread(target=run.feed, args=(pages,), name="closegate-batch-feed", daemon=True)
        feeder.start()
        try:
            return self._finish(run, max(1, self.workers))
        finally:
            feeder.join()

    @staticmethod
    def _finish(run: _Run, workers: int) -> dict[str, BatchOutcome]:
        threads = [threading.Thread(target=run.work, name=f"closegate-batch-{i}", daemon=True)
                   for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if run.fatal is not None:
            raise run.fatal
        return run.results


def _units_of(items: list[BatchItem]) -> list[list[BatchItem]]:
    """Group items linked by dependsOn: Graph resolves dependsOn only inside one batch."""
    seen: set[str] = set()
    by_id: dict[str, BatchItem] = {}
    for item in items:
        key = item.id.lower()  # ids are case-insensitive (graph-facts §8.1)
        if key in seen:
            raise ValueError(f"duplicate batch id {item.id!r}")
        seen.add(key)
        by_id[key] = item
    group_of: dict[str, list[BatchItem]] = {}
    units: list[list[BatchItem]] = []
    for item in items:
        parents = [group_of[d.lower()] for d in item.depends_on if d.lower() in group_of]
        unit = parents[0] if parents else []
        if not parents:
            units.append(unit)
        unit.append(item)
        group_of[item.id.lower()] = unit
    for unit in units:
        if len(unit) > MAX_BATCH:
            raise ValueError(f"a dependsOn chain of {len(unit)} requests does not fit one batch of {MAX_BATCH}")
    return units


class _Run:
    """Shared state of one BatchRunner.run: queues, attempts, results; guarded by one condition."""

    def __init__(self, runner: BatchRunner, units: list[list[BatchItem]]) -> None:
        self.runner = runner
        self.client = runner.client
        self.fresh: deque[list[BatchItem]] = deque(units)
        self.later: list[tuple[float, int, list[BatchItem]]] = []
        self.seq = itertools.count()
        self.attempts: dict[str, int] = {}
        self.results: dict[str, BatchOutcome] = {}
        self.in_flight = 0
        self.feeding = False  # run_streamed: more items may still arrive
        self.seen: set[str] = set()
        self.fatal: BaseException | None = None
        self.cond = threading.Condition()

    def feed(self, pages: Iterable[Iterable[BatchItem]]) -> None:
        try:
            for page in pages:
                units = _units_of(list(page))
                with self.cond:
                    if self.fatal is not None:
                        return
                    for unit in units:
                        for item in unit:
                            if item.id.lower() in self.seen:
                                raise ValueError(f"duplicate batch id {item.id!r}")
                            self.seen.add(item.id.lower())
                    self.fresh.extend(units)
                    self.cond.notify_all()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller: run_streamed raises it
            # A failed listing stops every worker, as a failed batch does.
            with self.cond:
                self.fatal = self.fatal or exc
        finally:
            with self.cond:
                self.feeding = False
                self.cond.notify_all()

    def work(self) -> None:
        while (chunk := self._take()) is not None:
            try:
                self._settle(chunk, self._send(chunk))
            except BaseException as exc:
                # Any failure, typed or a bug, stops every worker: none may wait for this chunk forever.
                with self.cond:
                    self.fatal = self.fatal or exc
                    self.in_flight -= 1
                    self.cond.notify_all()
                return

    def _take(self) -> list[BatchItem] | None:
        with self.cond:
            while True:
                if self.fatal is not None:
                    return None
                now = self.client.clock()
                due = bool(self.later) and self.later[0][0] <= now
                if self.feeding and not due and sum(len(u) for u in self.fresh) < MAX_BATCH:
                    self.cond.wait()  # a full batch, not a page's remainder: the next page is on its way
                    continue
                chunk: list[BatchItem] = []
                while self.later and self.later[0][0] <= now and len(chunk) + len(self.later[0][2]) <= MAX_BATCH:
                    chunk.extend(heapq.heappop(self.later)[2])
                while self.fresh and len(chunk) + len(self.fresh[0]) <= MAX_BATCH:
                    chunk.extend(self.fresh.popleft())
                if chunk:
                    self.in_flight += 1
                    return chunk
                if not self.fresh and not self.later and self.in_flight == 0 and not self.feeding:
                    return None
                if self.later and self.in_flight == 0:
                    delay = self.later[0][0] - now
                    self.cond.release()
                    try:
                        self.client.sleep(max(delay, 0.0))
                    finally:
                        self.cond.acquire()
                else:
                    self.cond.wait()

    def _send(self, chunk: list[BatchItem]) -> dict[str, dict[str, Any]]:
        entries = []
        for item in chunk:
            entry: dict[str, Any] = {"id": item.id, "method": item.method.upper(), "url": item.url}
            headers = dict(item.headers)
            if item.body is not None:
                entry["body"] = item.body
                headers.setdefault("Content-Type", "application/json")
            if headers:
                entry["headers"] = headers
            pending = [d for d in item.depends_on if d.lower() not in self.results]
            if pending:
                entry["dependsOn"] = pending
            entries.append(entry)
        reads_only = all(i.method.upper() == "GET" for i in chunk)
        resp = self.client.send("POST", self.client.url(f"/{self.runner.api}/$batch"),
                                json_body={"requests": entries}, idempotent=reads_only)
        try:
            data = payload.loads(resp.body)
            answers = {str(r["id"]).lower(): r for r in data["responses"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedResponse("a $batch answer does not have the documented 'responses' shape",
                                    "report this response") from exc
        missing = [i.id for i in chunk if i.id.lower() not in answers]
        if missing or any(not isinstance(a.get("status"), int) for a in answers.values()):
            raise MalformedResponse(f"a $batch answer lacks {len(missing) or 'a status for'} item(s)",
                                    "report this response")
        return answers

    def _settle(self, chunk: list[BatchItem], answers: dict[str, dict[str, Any]]) -> None:
        stats = self.client.stats
        retry: list[BatchItem] = []
        failed_deps: dict[str, BatchOutcome] = {}
        wait_s = 0.0
        now = self.client.clock()
        for item in chunk:
            ans = answers[item.id.lower()]
            status, headers = ans["status"], {str(k).lower(): str(v) for k, v in (ans.get("headers") or {}).items()}
            url = f"/{self.runner.api}{item.url}"
            stats.record(template(item.method, url), status=status, batched=True,
                         resource_units=resource_units(item.method, url))
            usage = throttle_usage(headers)  # each inner answer carries its own throttle headers (§8.1)
            if usage is not None:
                self.client.limiter.pressure(usage)
            self.attempts[item.id] = self.attempts.get(item.id, 0) + 1
            if status in RETRY_STATUSES and may_retry(item.method, status, idempotent=False):
                ra = parse_retry_after(headers.get("retry-after", ""))
                if status == 429:
                    self.client.limiter.throttled(ra)
                if self.attempts[item.id] < self.client.policy.max_attempts:
                    retry.append(item)
                    wait_s = max(wait_s, self.client.policy.delay(self.attempts[item.id], ra))
                    continue
            if status == 424:
                continue  # decided below, once we know whether its dependency is retried
            outcome = self._outcome(item, status, ans.get("body"), headers)
            if outcome.error is not None:
                failed_deps[item.id.lower()] = outcome
                stats.record_error(template(item.method, url))
            self.results[item.id] = outcome
        retried = {i.id.lower() for i in retry}
        for item in chunk:
            if answers[item.id.lower()]["status"] != 424:
                continue
            if any(d.lower() in retried for d in item.depends_on):
                retry.append(item)
                continue
            cause = next((failed_deps[d.lower()] for d in item.depends_on if d.lower() in failed_deps), None)
            why = f"it depends on {cause.id}, which failed with {cause.status}" if cause else "a dependency failed"
            self.results[item.id] = BatchOutcome(item.id, 424, None, {}, GraphError(
                f"batch request {item.id} was not run: {why}", "fix the failed request and run again",
                status=424, method=item.method.upper(), path=template(item.method, item.url).split(" ", 1)[1]))
        if not retry:
            self.client.limiter.succeeded()
        with self.cond:
            if retry:
                heapq.heappush(self.later, (now + wait_s, next(self.seq), retry))
            self.in_flight -= 1
            self.cond.notify_all()

    def _outcome(self, item: BatchItem, status: int, body: Any, headers: dict[str, str]) -> BatchOutcome:
        if status < 400:
            return BatchOutcome(item.id, status, body, headers)
        raw = json.dumps(body).encode() if body is not None else b""
        resp = HttpResponse(status, headers, raw, f"/{self.runner.api}{item.url}")
        error = error_from_response(item.method, f"/{self.runner.api}{item.url}", resp,
                                    grant_kind=self.client.grant_kind, client_id=self.client.client_id,
                                    attempts=self.attempts[item.id])
        return BatchOutcome(item.id, status, body, headers, error)
