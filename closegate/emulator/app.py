"""Top-level dispatch of the emulator: which service answers a request, with what faults, and the log.

Order per request: the operator surface (loopback only, never faulted, never logged) and the
identity platform answer directly; Graph (/v1.0, /beta) and ARM (/subscriptions) first get their
bearer token validated here (401), then the injected fault (if any), then the service itself,
which does its own permission checks (403) and Graph throttling.

The request log has one entry per HTTP request and, after each answered $batch, one per inner
request (linked to it by `batch`): a test can then show from the tenant's side which writes were
applied, however closegate grouped them. Filter on `batch is None` to count HTTP requests.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Protocol

from closegate.emulator.batch import BatchResponse
from closegate.emulator.faults import Fault, FaultDecision, FaultInjector
from closegate.emulator.identity import IdentityPlatform
from closegate.emulator.reports import DOWNLOAD_PREFIX
from closegate.emulator.tokens import (
    ARM,
    GRAPH,
    Rejection,
    RejectionReason,
    TokenIssuer,
)
from closegate.emulator.wire import (
    Principal,
    Request,
    Response,
    graph_error,
    json_response,
    new_request_id,
)

__all__ = ["Dispatch", "EmulatorApp", "GraphLike", "LogEntry", "RequestLog", "Service"]

GRAPH_PREFIXES = ("/v1.0/", "/beta/")
ARM_PREFIXES = ("/subscriptions", "/providers/")
OPERATOR_PREFIX = "/_emulator/"
RETRY_AFTER_SECONDS = 1  # an injected 429/503 asks for the shortest wait Graph ever asks for


class Service(Protocol):
    def handle(self, req: Request, principal: Principal) -> Response: ...


class GraphLike(Service, Protocol):
    def handle_download(self, req: Request) -> Response: ...


class OperatorHandler(Protocol):
    def handle(self, req: Request) -> Response: ...


@dataclass(frozen=True)
class LogEntry:
    """One served request, or one inner request of a $batch.

    Paths only: no query strings, bodies or headers, so no token, secret or filter value can leak.
    """

    id: str  # unique per entry; request_id is not (a client may resend its client-request-id)
    time: str  # wall clock, ISO 8601 UTC, when the answer was sent (an inner request's: its batch's)
    method: str
    path: str
    status: int  # 0 when the connection was reset instead of answered
    app_id: str
    duration_ms: float
    request_id: str
    batch: str | None = None  # an inner request: the `id` of its $batch's entry; None: an HTTP request
    batch_item: str | None = None  # an inner request: its id inside the $batch payload


class RequestLog:
    """The served requests, oldest first, bounded so a long benchmark cannot exhaust memory.

    Beside the bounded entries it keeps an unbounded tally of every write by method, path and status
    (`writes()`): a benchmark that deletes 100,000 users outgrows the entries, and whether each object
    was written exactly once must still be answerable from the tenant's side.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._writes: Counter[tuple[str, str, int]] = Counter()

    def add(self, *entries: LogEntry) -> None:
        """Appends together, so a $batch and its inner requests are never split by another thread's."""
        with self._lock:
            self._entries.extend(entries)
            self._writes.update((e.method, e.path, e.status) for e in entries
                                if e.method != "GET" and not e.path.endswith("/$batch"))

    def writes(self) -> list[dict[str, Any]]:
        """Every write answered since the start (or the last clear): method, path, status and how many."""
        with self._lock:
            return [{"method": m, "path": p, "status": s, "count": n} for (m, p, s), n in self._writes.items()]

    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._writes.clear()

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries()]


@dataclass(frozen=True)
class Dispatch:
    response: Response | None  # None: reset the connection without answering
    close: bool = False


def _is_loopback(peer: str) -> bool:
    try:
        return ipaddress.ip_address(peer.split("%")[0]).is_loopback
    except ValueError:
        return False


class EmulatorApp:
    def __init__(self, *, state: Any, identity: IdentityPlatform, issuer: TokenIssuer, graph: GraphLike,
                 arm: Service, operator: OperatorHandler, faults: FaultInjector, log: RequestLog,
                 stopping: threading.Event) -> None:
        self.state = state
        self.identity = identity
        self.issuer = issuer
        self.graph = graph
        self.arm = arm
        self.operator = operator
        self.faults = faults
        self.log = log
        self._stopping = stopping

    def dispatch(self, req: Request, peer: str) -> Dispatch:
        if req.path.startswith(OPERATOR_PREFIX) or req.path == OPERATOR_PREFIX.rstrip("/"):
            if not _is_loopback(peer):
                return Dispatch(json_response(403, {"error": "the operator surface answers loopback only"}))
            return Dispatch(self.operator.handle(req))
        started = time.perf_counter()
        request_id = req.header("client-request-id") or new_request_id()
        app_id = ""
        if req.path.startswith(GRAPH_PREFIXES) or req.path.startswith(ARM_PREFIXES):
            dispatch, app_id = self._api(req, request_id)
        elif req.path.startswith(DOWNLOAD_PREFIX):
            # A usage report's 302 target: pre-authenticated by its unguessable URL, like Graph's.
            dispatch = Dispatch(self.graph.handle_download(req))
        elif self.identity.handles(req.path):
            app_id = req.form().get("client_id", "") if req.method == "POST" else ""
            dispatch = Dispatch(self.identity.handle(req))
        else:
            dispatch = Dispatch(graph_error(404, "UnknownError", f"No HTTP resource was found that matches the "
                                            f"request URI '{req.path}'.", request_id=request_id))
        if dispatch.response is not None:
            self._stamp(req, dispatch.response, request_id)
            if dispatch.response.header("Date") is None:
                # RFC 9110 Date on the simulated clock: closegate reads the tenant's time from it.
                dispatch.response.headers.append(("Date", format_datetime(self.state.clock.now(), usegmt=True)))
        self.log.add(*self._log_entries(req, dispatch.response, app_id, request_id, started))
        return dispatch

    @staticmethod
    def _log_entries(req: Request, response: Response | None, app_id: str, request_id: str,
                     started: float) -> list[LogEntry]:
        """The request's entry, then its inner requests' if it was a $batch (they ran under its token)."""
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        outer = LogEntry(id=new_request_id(), time=now, method=req.method, path=req.path,
                         status=response.status if response else 0, app_id=app_id,
                         duration_ms=round((time.perf_counter() - started) * 1000, 3), request_id=request_id)
        if not isinstance(response, BatchResponse):
            return [outer]
        return [outer, *(LogEntry(id=new_request_id(), time=now, method=item.method, path=item.path,
                                  status=item.status, app_id=app_id, duration_ms=item.duration_ms,
                                  request_id=item.client_request_id or request_id, batch=outer.id,
                                  batch_item=item.item_id)
                         for item in response.items)]

    def _api(self, req: Request, request_id: str) -> tuple[Dispatch, str]:
        arm = req.path.startswith(ARM_PREFIXES)
        resource = ARM if arm else GRAPH
        verdict = self.issuer.validate(req.header("authorization"), resource)
        if isinstance(verdict, Principal) and self.state.deleted:
            verdict = Rejection(RejectionReason.TENANT_DELETED, "Access token validation failure. The tenant "
                                f"'{self.state.tenant_id}' has been deleted.")
        if isinstance(verdict, Rejection):
            return Dispatch(self._unauthorized(req, verdict, arm, request_id)), ""
        decision = self.faults.decide()
        if decision.delay and self._stopping.wait(decision.delay):
            return Dispatch(None), verdict.app_id
        if decision.fault is Fault.RESET:
            return Dispatch(None), verdict.app_id
        injected = self._injected(decision, arm, request_id, verdict)
        if injected is not None:
            return Dispatch(injected), verdict.app_id
        service = self.arm if arm else self.graph
        response = service.handle(req, verdict)
        hold = self.faults.answer_delay(req, response, arm=arm)  # latency=realistic: by page and batch size
        if hold and self._stopping.wait(hold):
            return Dispatch(None), verdict.app_id
        return Dispatch(response), verdict.app_id

    def _unauthorized(self, req: Request, rejection: Rejection, arm: bool, request_id: str) -> Response:
        if not arm:
            challenge = (f'Bearer realm="", authorization_uri="{req.base_url}/common/oauth2/authorize", '
                         'client_id="00000003-0000-0000-c000-000000000000"')
            return graph_error(401, "InvalidAuthenticationToken", rejection.detail, request_id=request_id,
                               client_request_id=req.header("client-request-id"),
                               headers=[("WWW-Authenticate", challenge)])
        code, message = {
            RejectionReason.MISSING: ("AuthenticationFailed", "Authentication failed. The 'Authorization' header "
                                      "is missing."),
            RejectionReason.EXPIRED: ("ExpiredAuthenticationToken", "The access token expiry UTC time is earlier "
                                      "than current UTC time."),
            RejectionReason.WRONG_AUDIENCE: ("InvalidAuthenticationTokenAudience", "The access token has been "
                                             "obtained for wrong audience or resource. It should exactly match "
                                             "with one of the allowed audiences 'https://management.core.windows"
                                             ".net/','https://management.azure.com/'."),
            RejectionReason.FOREIGN_TENANT: ("InvalidAuthenticationTokenTenant", "The access token is from the "
                                             "wrong issuer. It must match the tenant associated with this "
                                             "subscription."),
            RejectionReason.TENANT_DELETED: ("InvalidAuthenticationTokenTenant", "The access token is from a "
                                             "tenant that no longer exists."),
        }.get(rejection.reason, ("InvalidAuthenticationToken", "The access token is invalid."))
        challenge = (f'Bearer authorization_uri="{req.base_url}/", error="invalid_token", '
                     f'error_description="{message}"')
        return json_response(401, {"error": {"code": code, "message": message}},
                             [("WWW-Authenticate", challenge), ("x-ms-failure-cause", "gateway")])

    def _injected(self, decision: FaultDecision, arm: bool, request_id: str, caller: Principal) -> Response | None:
        fault = decision.fault
        if fault is Fault.THROTTLE_BELOW_LIMIT:
            # §12.8: a 429 below the limits, as Graph sends under load: fractional Retry-After, and the
            # throttle headers of the identity service (CPULimitExceeded is one of its documented reasons).
            headers = [("Retry-After", f"{decision.retry_after:.3f}")]
            if arm:
                return json_response(429, {"error": {"code": "TooManyRequests", "message": "The request is being "
                                                     "throttled. Please retry after some time."}}, headers)
            headers += [("x-ms-throttle-scope", f"Tenant_Application/ReadWrite/{caller.app_id}/{caller.tenant_id}"),
                        ("x-ms-throttle-information", "CPULimitExceeded")]
            return self._graph_429(request_id, headers)
        if fault is Fault.THROTTLE:
            retry = [("Retry-After", str(RETRY_AFTER_SECONDS))]
            if arm:
                return json_response(429, {"error": {"code": "TooManyRequests", "message": "The request is being "
                                                     "throttled. Please retry after some time."}}, retry)
            return self._graph_429(request_id, retry)
        if fault is Fault.UNAVAILABLE:
            retry = [("Retry-After", str(RETRY_AFTER_SECONDS))]
            if arm:
                return json_response(503, {"error": {"code": "ServiceUnavailable", "message": "The service is "
                                                     "unavailable."}}, retry)
            return graph_error(503, "serviceNotAvailable", "Service Unavailable", request_id=request_id,
                               headers=retry)
        if fault is Fault.GATEWAY_TIMEOUT:
            if arm:
                return json_response(504, {"error": {"code": "GatewayTimeout", "message": "The gateway did not "
                                                     "receive a response within the specified time period."}})
            return graph_error(504, "UnknownError", "The gateway did not receive a response in time.",
                               request_id=request_id)
        return None

    @staticmethod
    def _graph_429(request_id: str, headers: list[tuple[str, str]]) -> Response:
        """The body of graph-facts §8.2."""
        when = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        body = {"error": {"code": "TooManyRequests", "message": "Please retry again later.",
                          "innerError": {"code": "429", "date": when, "message": "Please retry after",
                                         "request-id": request_id, "status": "429"}}}
        return json_response(429, body, headers + [("request-id", request_id)])

    @staticmethod
    def _stamp(req: Request, response: Response, request_id: str) -> None:
        """Every answer carries a request id, as Microsoft's front doors do."""
        if req.path.startswith(GRAPH_PREFIXES):
            if response.header("request-id") is None:
                response.headers.append(("request-id", request_id))
                response.headers.append(("client-request-id", req.header("client-request-id") or request_id))
        elif response.header("x-ms-request-id") is None:
            response.headers.append(("x-ms-request-id", request_id))
            if req.path.startswith(ARM_PREFIXES):
                response.headers.append(("x-ms-correlation-request-id", request_id))
