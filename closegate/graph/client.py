"""The Graph/ARM client: authenticated requests with retries, paging and throttle-aware concurrency.

One client per API root (Graph, ARM), each with its own token audience. It returns parsed JSON and
raises the typed errors of closegate.errors; nothing above it sees HTTP details.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from closegate import __version__, logs
from closegate.errors import MalformedResponse, TransportError
from closegate.graph import payload
from closegate.graph.concurrency import AdaptiveLimiter
from closegate.graph.endpoints import resource_units, template
from closegate.graph.failures import error_from_response
from closegate.graph.retry import (
    RETRY_STATUSES,
    RetryPolicy,
    may_retry,
    parse_retry_after,
)
from closegate.graph.stats import RequestStats
from closegate.graph.transport import HttpResponse, Transport

if TYPE_CHECKING:
    from closegate.auth import TokenProvider

__all__ = ["GraphClient", "throttle_usage"]


class GraphClient:
    def __init__(
        self,
        transport: Transport,
        tokens: TokenProvider,
        *,
        root: str,
        resource: str,
        limiter: AdaptiveLimiter,
        stats: RequestStats | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        grant_kind: str = "application",
        client_id: str = "",
        arm: bool = False,
    ) -> None:
        self.transport = transport
        self.tokens = tokens
        self.root = root.rstrip("/")
        self.resource = resource
        self.limiter = limiter
        self.stats = stats or RequestStats()
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.grant_kind = grant_kind
        self.client_id = client_id
        self.arm = arm
        self.clock = clock  # injected so tests and the batch scheduler share one notion of time
        self.sleep = sleep
        self._date_lock = threading.Lock()
        self._last_date: datetime | None = None
        origin = urlsplit(self.root)
        self._origin = (origin.scheme, origin.netloc)

    # -- reading --------------------------------------------------------------------------------

    def get(self, path: str, *, params: Mapping[str, str] | None = None,
            headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._json(self.send("GET", self.url(path, params), headers=headers))

    def iter_pages(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        link_key: str = "@odata.nextLink",
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page's `value`, following the whole next link and re-sending `headers` on each page.

        Graph does not carry request headers such as ConsistencyLevel to later pages (graph-facts §2.1).
        """
        url: str | None = self.url(path, params)
        while url is not None:
            page = self._json(self.send("GET", url, headers=headers))
            value = page.get("value")
            if not isinstance(value, list):
                raise MalformedResponse(f"{template('GET', url)} returned no 'value' list",
                                        "report this response; Graph collections always carry 'value'")
            yield value
            nxt = page.get(link_key)
            if nxt is not None and not isinstance(nxt, str):
                raise MalformedResponse(f"{template('GET', url)} returned a non-string {link_key}", "report this")
            url = self._own_link(nxt) if nxt else None

    def get_all(self, path: str, **kw: Any) -> list[dict[str, Any]]:
        return [item for page in self.iter_pages(path, **kw) for item in page]

    def download(self, url: str) -> bytes:
        """GET a pre-authenticated URL (usage-report CSVs, graph-facts §1.1) without any Authorization header.

        Such a URL is a credential for as long as it lives (its path or query carries the token), so it
        is never recorded: the request statistics, the run record, the reports and every error name only
        its host, as a redirect target; the log file redacts it (closegate.logs.remember_secret)."""
        parts = urlsplit(url)
        for secret in (url, f"{parts.path}?{parts.query}", parts.path, parts.query):
            logs.remember_secret(secret)
        label = f"GET {parts.hostname or 'unknown host'} (redirect target)"
        try:
            return self.send("GET", url, authenticated=False, label=label).body
        except TransportError as exc:
            raise TransportError(f"the download from {label[4:]} failed ({type(exc.__cause__).__name__})",
                                 "check connectivity and run again") from None

    # -- writing --------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, json_body: Any = None,
                headers: Mapping[str, str] | None = None, idempotent: bool = False,
                params: Mapping[str, str] | None = None) -> HttpResponse:
        """A write. Retried only when safe: DELETE, or `idempotent=True` (a PATCH to a fixed value)."""
        return self.send(method, self.url(path, params), headers=headers, json_body=json_body,
                         idempotent=idempotent)

    # -- the one request loop -------------------------------------------------------------------

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        idempotent: bool = False,
        authenticated: bool = True,
        label: str | None = None,
    ) -> HttpResponse:
        """The one request loop. `label` replaces the URL wherever the request is counted or named in an
        error (a pre-authenticated download's URL must appear nowhere)."""
        method = method.upper()
        body = json.dumps(json_body, separators=(",", ":")).encode() if json_body is not None else None
        endpoint = label or template(method, url)
        units = resource_units(method, url)
        refreshed = False
        uncertain = False  # an earlier attempt may have reached the server
        attempt = 0
        while True:
            attempt += 1
            hdrs = {"Accept": "application/json", "User-Agent": f"closegate/{__version__}", **(headers or {})}
            if body is not None:
                hdrs["Content-Type"] = "application/json"
            if authenticated:
                hdrs["Authorization"] = f"Bearer {self.tokens.token(self.resource)}"
            try:
                with self.limiter.slot():
                    began = self.clock()
                    resp = self.transport.send(method, url, headers=hdrs, body=body, timeout=self.timeout)
                    self.limiter.observe(self.clock() - began, throttle_usage(resp.headers))
            except TransportError:
                self.stats.record(endpoint, status=None, bytes_out=len(body or b""), retry=attempt > 1)
                if attempt < self.policy.max_attempts and may_retry(method, None, idempotent=idempotent):
                    uncertain = True
                    self.sleep(self.policy.backoff(attempt))
                    continue
                self.stats.record_error(endpoint)
                raise
            self.stats.record(endpoint, status=resp.status, bytes_in=len(resp.body), bytes_out=len(body or b""),
                              resource_units=_units(resp, units), retry=attempt > 1)
            self._note_date(resp)
            if resp.status == 401 and authenticated and not refreshed:
                # Tokens can expire mid-run (or be revoked); one fresh token, then it is an error.
                self.tokens.invalidate(self.resource)
                refreshed = True
                continue
            if resp.status in RETRY_STATUSES and may_retry(method, resp.status, idempotent=idempotent):
                wait_s = parse_retry_after(resp.header("retry-after"))
                if resp.status == 429:
                    self.limiter.throttled(wait_s)
                if attempt >= self.policy.max_attempts or (wait_s or 0) > self.policy.max_retry_after:
                    self.stats.record_error(endpoint)
                    raise self._error(method, url, resp, attempts=attempt, label=label)
                uncertain = uncertain or resp.status == 504
                self.sleep(self.policy.delay(attempt, wait_s))
                continue
            if resp.status == 404 and method == "DELETE" and uncertain:
                # The earlier attempt did delete it; the goal state holds.
                self.limiter.succeeded()
                return HttpResponse(204, resp.headers, b"", resp.url)
            if resp.status >= 400:
                self.stats.record_error(endpoint)
                raise self._error(method, url, resp, attempts=attempt, label=label)
            self.limiter.succeeded()
            return resp

    # -- helpers --------------------------------------------------------------------------------

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        url = path if "://" in path else f"{self.root}/{path.lstrip('/')}"
        if params:
            # $ and , stay readable: Graph accepts both percent-encoded and literal forms.
            url += ("&" if "?" in url else "?") + urlencode(params, safe="$,'()=/", quote_via=quote)
        return url

    @property
    def last_date(self) -> datetime | None:
        """The Date header of the most recent answer: the tenant's clock, not this machine's."""
        with self._date_lock:
            return self._last_date

    def _note_date(self, resp: HttpResponse) -> None:
        raw = resp.header("date")
        if not raw:
            return
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        with self._date_lock:
            self._last_date = when.astimezone(timezone.utc)

    def _own_link(self, link: str) -> str:
        parts = urlsplit(link)
        if (parts.scheme, parts.netloc) != self._origin:
            # A next link to another host would receive the bearer token.
            raise MalformedResponse(f"a next link points outside {self._origin[1]}",
                                    "report this response; closegate sends tokens only to the configured cloud")
        return link

    def _json(self, resp: HttpResponse) -> dict[str, Any]:
        try:
            data = payload.loads(resp.body or b"{}")
        except ValueError as exc:
            raise MalformedResponse(f"{template('GET', resp.url)} returned a body that is not JSON",
                                    "report this response") from exc
        if not isinstance(data, dict):
            raise MalformedResponse(f"{template('GET', resp.url)} returned JSON that is not an object",
                                    "report this response")
        return data

    def _error(self, method: str, url: str, resp: HttpResponse, *, attempts: int, label: str | None) -> Exception:
        return error_from_response(method, url, resp, grant_kind=self.grant_kind, client_id=self.client_id,
                                   arm=self.arm, attempts=attempts, where=label)


def throttle_usage(headers: Mapping[str, str]) -> float | None:
    """`x-ms-throttle-limit-percentage` (0.8 to 1.8, graph-facts §8.3): the share of the limit used."""
    raw = headers.get("x-ms-throttle-limit-percentage", "")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def _units(resp: HttpResponse, estimate: int) -> int:
    raw = resp.header("x-ms-resource-unit")
    return int(raw) if raw.isdigit() else estimate
