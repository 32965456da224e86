"""Graph's throttling as documented (graph-facts §12.8): token buckets that burst, refill and go into debt.

From https://learn.microsoft.com/graph/throttling-limits ("Identity and access service limits",
"Identity and access reports service limits"; microsoft-graph-docs-contrib concepts/throttling-limits.md):
* "Throttling is based on a token bucket algorithm, which works by adding individual costs of
  requests ... Only the requests exceeding the limits are throttled." Each bucket holds its quota
  (the burst) and refills at quota / window. Every request spends its cost, a refused one too
  ("Microsoft Graph continues to log resource usage while a client is being throttled", §8.2), so a
  client that keeps calling digs itself deeper: Retry-After is the time until the debt and the next
  request's cost are refilled, with millisecond precision (the documented sample sends 2.128).
* Limits: per app per tenant 3,500/5,000/8,000 RU per 10 s by tenant size and 3,000 writes per 150 s;
  per app across tenants 150,000 RU per 20 s and 35,000 writes per 5 min; per tenant for all apps
  18,000 writes per 5 min.
* Identity and access reports (auditLogRoot, signIn, directoryAudit, provisioningObjectSummary,
  credentialUserRegistrationDetails, authenticationMethod...): 5 requests per 10 s per app per tenant,
  122 per 10 s per app; GET signInActivity 10 per minute. Whether /reports/authenticationMethods/
  userRegistrationDetails falls under it is not said; the emulator models the worse case: it does.
* x-ms-resource-unit on every answer; x-ms-throttle-limit-percentage (0.8 to 1.8) once more than 0.8
  of the limit is used; x-ms-throttle-scope `<Scope>/<Limit>/<AppId>/<TenantId>` and
  x-ms-throttle-information on a 429. "It's possible to receive 429 ... even when the following
  limits aren't reached, in situations when the services are under an important load": that is the
  fault option `429below=RATE` (closegate.emulator.faults), not part of this model.

Time is an injected monotonic clock (seconds), so tests move it instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from closegate.emulator.throttle import Cost, Limits

__all__ = ["BucketThrottle", "TokenBucket"]


@dataclass
class TokenBucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    at: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def spend(self, cost: float) -> bool:
        """Spend `cost` whatever happens; True when the bucket could pay for it."""
        self.tokens -= cost
        return self.tokens >= 0

    def wait(self, cost: float) -> float:
        """Seconds until a request of `cost` would be admitted again."""
        return max(0.001, (cost - self.tokens) / self.rate)

    def used(self) -> float:
        return (self.capacity - self.tokens) / self.capacity


def _retry_after(seconds: float) -> str:
    return f"{seconds:.3f}"


class BucketThrottle:
    """Graph's limits as token buckets; `admit*` return None or the headers of the 429."""

    def __init__(self, limits: Limits, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._ca_last: dict[str, float] = {}
        self._spent = 0
        self._requests = 0
        self._throttled = 0
        self._throttled_units = 0  # charged for requests it then refused: the waste a client's pacing causes
        self._reports = 0  # requests under the identity-and-access reports limit, admitted or not
        self._reports_throttled = 0

    def _bucket(self, key: tuple[str, ...], quota: float, window: float, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.capacity != quota:
            bucket = self._buckets[key] = TokenBucket(quota, quota / window, quota, now)
        bucket.refill(now)
        return bucket

    def admit(self, app_id: str, tenant_id: str, size_class: str, cost: Cost) -> list[tuple[str, str]] | None:
        lim, now = self.limits, self.monotonic()
        with self._lock:
            self._requests += 1
            self._spent += cost.units
            checks: list[tuple[tuple[str, ...], int | None, float, float, str, str, str]] = [
                (("ru", app_id, tenant_id), lim.ru_per_window.get(size_class), lim.ru_window_seconds, cost.units,
                 "Tenant_Application", "ReadWrite", "ResourceUnitLimitExceeded"),
                (("ru", app_id), lim.app_ru_per_window, lim.app_ru_window_seconds, cost.units,
                 "Application", "ReadWrite", "ResourceUnitLimitExceeded"),
            ]
            if cost.writes:
                checks += [
                    (("w", app_id, tenant_id), lim.writes_per_window, lim.write_window_seconds, cost.writes,
                     "Tenant_Application", "Write", "WriteLimitExceeded"),
                    (("w", app_id), lim.app_writes_per_window, lim.wide_write_window_seconds, cost.writes,
                     "Application", "Write", "WriteLimitExceeded"),
                    (("w", "tenant", tenant_id), lim.tenant_writes_per_window, lim.wide_write_window_seconds,
                     cost.writes, "Tenant", "Write", "WriteLimitExceeded"),
                ]
            refused: list[tuple[str, str]] | None = None
            for key, quota, window, amount, scope, kind, info in checks:
                if quota is None:
                    continue
                bucket = self._bucket(key, quota, window, now)
                if not bucket.spend(amount) and refused is None:  # every bucket is charged
                    refused = [("Retry-After", _retry_after(bucket.wait(amount))),
                               ("x-ms-throttle-scope", f"{scope}/{kind}/{app_id}/{tenant_id}"),
                               ("x-ms-throttle-information", info)]
            if refused is not None:
                self._throttled += 1
                self._throttled_units += cost.units
            return refused

    def admit_report(self, app_id: str, tenant_id: str, sign_in_activity: bool) -> list[tuple[str, str]] | None:
        """The identity-and-access reports limits: requests, not resource units."""
        lim, now = self.limits, self.monotonic()
        checks: list[tuple[tuple[str, ...], int | None, float, str]] = [
            (("rep", app_id, tenant_id), lim.reports_per_window, lim.reports_window_seconds, "Tenant_Application"),
            (("rep", app_id), lim.app_reports_per_window, lim.reports_window_seconds, "Application"),
        ] if not sign_in_activity else [
            (("sia", app_id, tenant_id), lim.sign_in_activity_per_minute, 60.0, "Tenant_Application"),
            (("sia", app_id), lim.sign_in_activity_per_minute, 60.0, "Application"),
        ]
        with self._lock:
            self._requests += 1
            self._reports += 1
            refused = None
            for key, quota, window, scope in checks:
                if quota is None:
                    continue
                bucket = self._bucket(key, quota, window, now)
                if not bucket.spend(1) and refused is None:
                    refused = [("Retry-After", _retry_after(bucket.wait(1))),
                               ("x-ms-throttle-scope", f"{scope}/Read/{app_id}/{tenant_id}")]
            if refused is not None:
                self._throttled += 1
                self._reports_throttled += 1
            return refused

    def admit_conditional_access(self, tenant_id: str) -> bool:
        """§8.3: Conditional Access allows 1 request/s per tenant for all apps, without Retry-After."""
        rate = self.limits.ca_requests_per_second
        if rate is None:
            return True
        now = self.monotonic()
        with self._lock:
            last = self._ca_last.get(tenant_id)
            if last is not None and now - last < 1.0 / rate:
                return False
            self._ca_last[tenant_id] = now
            return True

    def usage_percentage(self, app_id: str, tenant_id: str) -> str | None:
        """x-ms-throttle-limit-percentage: "returned only when the application consumed more than 0.8"."""
        with self._lock:
            bucket = self._buckets.get(("ru", app_id, tenant_id))
            if bucket is None or bucket.used() <= 0.8:
                return None
            return f"{min(1.8, bucket.used()):.1f}"

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"requests": self._requests, "resource_units": self._spent, "throttled": self._throttled,
                    "throttled_resource_units": self._throttled_units, "report_requests": self._reports,
                    "report_requests_throttled": self._reports_throttled}
