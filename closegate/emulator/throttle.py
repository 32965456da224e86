"""Graph's identity-and-access throttling (graph-facts §8.3): resource units and writes per
application+tenant window, and Conditional Access's 1 request/s per tenant without Retry-After.

Windows run on an injected monotonic clock (seconds), not the simulated tenant clock: a rate is
about how fast a client calls, and tests pass a fake clock instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Cost", "Limits", "Throttle", "make_throttle", "request_cost"]


@dataclass(frozen=True)
class Limits:
    """Every limit the Graph emulator enforces; None turns that limit off.

    `model` "window" counts per fixed window (what the tests written before §12.8 rely on);
    "bucket" is Graph's documented token bucket with burst, refill and debt, plus the app-wide,
    tenant-wide and identity-reports limits (closegate.emulator.throttle_bucket); `Limits.realistic()`
    selects it. Random 429s below the limits are a fault option (`429below=`).
    """

    ru_per_window: dict[str, int | None] = field(
        default_factory=lambda: {"S": 3500, "M": 5000, "L": 8000})
    ru_window_seconds: float = 10.0
    writes_per_window: int | None = 3000
    write_window_seconds: float = 150.0
    ca_requests_per_second: float | None = 1.0
    default_page_size: int = 100
    max_page_size: int = 999
    model: str = "window"  # "window" | "bucket"
    # §12.8 / throttling-limits page; used by the bucket model only.
    app_ru_per_window: int | None = 150_000  # per app across all tenants
    app_ru_window_seconds: float = 20.0
    app_writes_per_window: int | None = 35_000
    tenant_writes_per_window: int | None = 18_000  # per tenant for all apps
    wide_write_window_seconds: float = 300.0
    reports_per_window: int | None = 5  # identity and access reports, per app per tenant
    app_reports_per_window: int | None = 122  # per app across all tenants
    reports_window_seconds: float = 10.0
    sign_in_activity_per_minute: int | None = 10  # GET users with $select/$filter signInActivity

    @classmethod
    def off(cls) -> Limits:
        return cls(ru_per_window={"S": None, "M": None, "L": None}, writes_per_window=None,
                   ca_requests_per_second=None)

    @classmethod
    def realistic(cls) -> Limits:
        return cls(model="bucket")

    def scaled(self, factor: float) -> Limits:
        """The same shape of limits, `factor` times larger (benchmarks scale them)."""
        def times(v: int | None) -> int | None:
            return None if v is None else max(1, int(v * factor))

        ru = {k: times(v) for k, v in self.ru_per_window.items()}
        ca = None if self.ca_requests_per_second is None else self.ca_requests_per_second * factor
        return replace(self, ru_per_window=ru, writes_per_window=times(self.writes_per_window),
                       ca_requests_per_second=ca, app_ru_per_window=times(self.app_ru_per_window),
                       app_writes_per_window=times(self.app_writes_per_window),
                       tenant_writes_per_window=times(self.tenant_writes_per_window),
                       reports_per_window=times(self.reports_per_window),
                       app_reports_per_window=times(self.app_reports_per_window),
                       sign_in_activity_per_minute=times(self.sign_in_activity_per_minute))


@dataclass(frozen=True)
class Cost:
    units: int
    writes: int


def _base_get_cost(resource: str) -> int:
    """graph-facts §8.3: the listed GET costs; every other GET costs 1."""
    low = resource.lower().strip("/")
    parts = low.split("/")
    if low in ("users", "applications", "me/memberof", "me/transitivememberof"):
        return 2
    if low == "subscribedskus":
        return 3
    if len(parts) == 3 and parts[0] == "groups" and parts[2] == "members":
        return 3
    if len(parts) == 3 and parts[0] == "serviceprincipals" and parts[2] == "approleassignments":
        return 2
    return 1


def request_cost(method: str, resource: str, *, select: bool, expand: bool, top: int | None) -> Cost:
    """RU cost of one request: base cost, $select -1, $expand +1, $top<20 -1, minimum 1; writes 1+1."""
    if method != "GET":
        return Cost(1, 1)
    units = _base_get_cost(resource) - (1 if select else 0) + (1 if expand else 0)
    units -= 1 if top is not None and top < 20 else 0
    return Cost(max(1, units), 0)


@dataclass
class _Window:
    started: float
    used: int = 0


class Throttle:
    """Counts usage per (app, tenant) and says whether a request may proceed."""

    def __init__(self, limits: Limits, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._ru: dict[tuple[str, str], _Window] = {}
        self._writes: dict[tuple[str, str], _Window] = {}
        self._ca_last: dict[str, float] = {}
        self._requests = self._spent = self._throttled = self._throttled_units = 0

    def admit(self, app_id: str, tenant_id: str, size_class: str, cost: Cost) -> list[tuple[str, str]] | None:
        """None when admitted; otherwise the 429 headers. Usage is logged even when throttled (S28)."""
        key = (app_id, tenant_id)
        now = self.monotonic()
        with self._lock:
            self._requests += 1
            self._spent += cost.units
            ru_limit = self.limits.ru_per_window.get(size_class)
            ru = self._window(self._ru, key, now, self.limits.ru_window_seconds)
            ru.used += cost.units
            if ru_limit is not None and ru.used > ru_limit:
                self._throttled += 1
                self._throttled_units += cost.units
                return self._headers(ru, now, self.limits.ru_window_seconds, "ReadWrite",
                                     "ResourceUnitLimitExceeded", app_id, tenant_id)
            if cost.writes and self.limits.writes_per_window is not None:
                wr = self._window(self._writes, key, now, self.limits.write_window_seconds)
                wr.used += cost.writes
                if wr.used > self.limits.writes_per_window:
                    self._throttled += 1
                    self._throttled_units += cost.units
                    return self._headers(wr, now, self.limits.write_window_seconds, "Write",
                                         "WriteLimitExceeded", app_id, tenant_id)
        return None

    def admit_report(self, app_id: str, tenant_id: str, sign_in_activity: bool) -> list[tuple[str, str]] | None:
        """The window model predates the reports limit (§12.8) and leaves reports unthrottled."""
        return None

    def usage_percentage(self, app_id: str, tenant_id: str) -> str | None:
        return None

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"requests": self._requests, "resource_units": self._spent, "throttled": self._throttled,
                    "throttled_resource_units": self._throttled_units}

    def admit_conditional_access(self, tenant_id: str) -> bool:
        """§8.3: Conditional Access allows 1 request/s per tenant for all apps."""
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

    @staticmethod
    def _window(table: dict[tuple[str, str], _Window], key: tuple[str, str], now: float,
                length: float) -> _Window:
        win = table.get(key)
        if win is None or now - win.started >= length:
            win = table[key] = _Window(now)
        return win

    @staticmethod
    def _headers(win: _Window, now: float, length: float, limit: str, info: str,
                 app_id: str, tenant_id: str) -> list[tuple[str, str]]:
        retry = max(1, math.ceil(win.started + length - now))
        return [
            ("Retry-After", str(retry)),
            ("x-ms-throttle-scope", f"Tenant_Application/{limit}/{app_id}/{tenant_id}"),
            ("x-ms-throttle-information", info),
        ]


def make_throttle(limits: Limits, monotonic: Callable[[], float] = time.monotonic) -> Any:
    """The throttle of `limits.model`: this module's fixed windows, or throttle_bucket's token buckets."""
    if limits.model == "bucket":
        from closegate.emulator.throttle_bucket import BucketThrottle

        return BucketThrottle(limits, monotonic)
    if limits.model != "window":
        raise ValueError(f"unknown throttle model {limits.model!r}: use 'window' or 'bucket'")
    return Throttle(limits, monotonic)
