"""The operator surface: what a person does in the portal or a browser, done by a test over HTTPS.

Portal-only operations (cancel or delete a subscription, delete an MFA provider or a self-service
sign-up product, delete the tenant, and those of operator_ops: Azure roles, elevate access, recurring
billing, licences, invoices, the closing admin's portal sign-in), the user approving a device code,
time passing, and the test harness's knobs (faults, throttle limits, the request log). Served under /_emulator/ on loopback
only; closegate itself never calls it. `OperatorClient` is the Python face of it (`emu.operator`).
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import asdict, fields, is_dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from closegate.emulator.app import RequestLog
from closegate.emulator.faults import FaultInjector, parse_fault_spec
from closegate.emulator.identity import IdentityPlatform
from closegate.emulator.operator_ops import OPERATION_ROUTES, OperatorClientOperations, TenantOperations
from closegate.emulator.signins import DeviceCodeStatus
from closegate.emulator.state import Refused
from closegate.emulator.wire import Request, Response, json_response
from closegate.errors import ConfigError

__all__ = ["OperatorClient", "OperatorError", "OperatorSurface"]

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(f"^/_emulator{pattern}$"), name) for method, pattern, name in [
        ("GET", "/?", "summary"),
        ("GET", "/device-codes", "device_codes"),
        ("POST", "/device-codes/(?P<code>[^/]+)/approve", "approve"),
        ("POST", "/device-codes/(?P<code>[^/]+)/decline", "decline"),
        ("GET", "/clock", "clock"),
        ("POST", "/clock/advance", "advance"),
        ("GET", "/faults", "faults"),
        ("PUT", "/faults", "set_faults"),
        ("GET", "/limits", "limits"),
        ("PUT", "/limits", "set_limits"),
        ("GET", "/requests", "requests"),
        ("DELETE", "/requests", "clear_requests"),
        ("GET", "/writes", "writes"),
        ("POST", "/subscriptions/(?P<id>[^/]+)/cancel", "cancel_subscription"),
        ("DELETE", "/subscriptions/(?P<id>[^/]+)", "delete_subscription"),
        ("DELETE", "/mfa-providers/(?P<name>.+)", "delete_mfa_provider"),
        ("DELETE", "/signup-products/(?P<name>.+)", "delete_signup_product"),
        ("POST", "/legal-holds/(?P<id>[^/]+)/release", "release_legal_hold"),
        ("DELETE", "/tenant", "delete_tenant"),
        *OPERATION_ROUTES,
    ]
]


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


class OperatorSurface(TenantOperations):
    def __init__(self, *, state: Any, identity: IdentityPlatform, faults: FaultInjector, log: RequestLog,
                 get_limits: Callable[[], Any], set_limits: Callable[[Any], None], scenario: str,
                 throttle_stats: Callable[[], dict[str, int]] = dict) -> None:
        self.state = state
        self.identity = identity
        self.faults = faults
        self.log = log
        self._limits_getter = get_limits
        self._limits_setter = set_limits
        self.scenario = scenario
        self.throttle_stats = throttle_stats

    def handle(self, req: Request) -> Response:
        allowed = []
        for method, pattern, name in _ROUTES:
            match = pattern.match(req.path)
            if match is None:
                continue
            if method != req.method:
                allowed.append(method)
                continue
            try:
                body = req.json() if req.body else {}
                result = getattr(self, f"_op_{name}")(body or {}, **match.groupdict())
            except LookupError as exc:
                return json_response(404, {"error": _message(exc)})
            except Refused as exc:  # the directory's "not now": a blocker remains
                return json_response(409, {"error": _message(exc)})
            except (ConfigError, ValueError, TypeError) as exc:
                return json_response(400, {"error": _message(exc)})
            return json_response(200, _jsonable(result))
        if allowed:
            return json_response(405, {"error": f"use {', '.join(allowed)}"}, [("Allow", ", ".join(allowed))])
        return json_response(404, {"error": f"no operator endpoint {req.method} {req.path}"})

    # -- endpoints: each returns a JSON-able value ---------------------------------------------

    def _op_summary(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            return {"tenant_id": self.state.tenant_id, "scenario": self.scenario, "deleted": self.state.deleted,
                    "now": self.state.clock.now().isoformat(), "faults": self.faults.spec.describe()}

    def _op_device_codes(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"user_code": c.user_code, "client_id": c.client_id, "scopes": list(c.scopes),
                 "expires": c.expires.isoformat()} for c in self.identity.device_codes.pending(self.state.clock.now())]

    def _op_approve(self, body: dict[str, Any], code: str) -> dict[str, Any]:
        upn = str(body.get("user") or self.state.closing_admin_upn)
        with self.state.lock:
            user = self.state.find_user(upn)
        if user is None:
            raise LookupError(f"no user {upn!r} in the tenant")
        decided = self.identity.device_codes.decide(code, DeviceCodeStatus.APPROVED, self.state.clock.now(),
                                                    user["id"])
        if decided is None:
            raise LookupError(f"no pending device code {code!r}")
        return {"user_code": decided.user_code, "status": decided.status.value, "user": user["userPrincipalName"]}

    def _op_decline(self, body: dict[str, Any], code: str) -> dict[str, Any]:
        decided = self.identity.device_codes.decide(code, DeviceCodeStatus.DECLINED, self.state.clock.now())
        if decided is None:
            raise LookupError(f"no pending device code {code!r}")
        return {"user_code": decided.user_code, "status": decided.status.value}

    def _op_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"now": self.state.clock.now().isoformat()}

    def _op_advance(self, body: dict[str, Any]) -> dict[str, Any]:
        units = {k: float(body[k]) for k in ("days", "hours", "minutes", "seconds") if k in body}
        if not units:
            raise ValueError("say how far to advance: days, hours, minutes and/or seconds")
        with self.state.lock:
            self.state.clock.advance(timedelta(**units))
            self.state.tick()
            return {"now": self.state.clock.now().isoformat()}

    def _op_faults(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"spec": self.faults.spec.describe()}

    def _op_set_faults(self, body: dict[str, Any]) -> dict[str, Any]:
        spec = parse_fault_spec(str(body.get("spec", "")))
        self.faults.set_spec(spec)
        with self.state.lock:
            self.state.eventual_delay = timedelta(seconds=spec.eventual)
        return {"spec": spec.describe()}

    def _op_limits(self, body: dict[str, Any]) -> Any:
        return self._limits_getter()

    def _op_set_limits(self, body: dict[str, Any]) -> Any:
        current = self._limits_getter()
        names = {f.name for f in fields(current)}
        unknown = sorted(set(body) - names)
        if unknown:
            raise ValueError(f"unknown limit(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        updated = replace(current, **body)
        self._limits_setter(updated)
        return updated

    def _op_requests(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return self.log.as_json()

    def _op_writes(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return self.log.writes()

    def _op_clear_requests(self, body: dict[str, Any]) -> dict[str, Any]:
        self.log.clear()
        return {"cleared": True}

    def _op_cancel_subscription(self, body: dict[str, Any], id: str) -> dict[str, Any]:  # noqa: A002
        self.state.cancel_subscription(id)
        return {"id": id, "canceled": True}

    def _op_delete_subscription(self, body: dict[str, Any], id: str) -> dict[str, Any]:  # noqa: A002
        self.state.delete_subscription(id)
        return {"id": id, "deleted": True}

    def _op_delete_mfa_provider(self, body: dict[str, Any], name: str) -> dict[str, Any]:
        self.state.delete_mfa_provider(name)
        return {"name": name, "deleted": True}

    def _op_delete_signup_product(self, body: dict[str, Any], name: str) -> dict[str, Any]:
        self.state.delete_signup_product(name)
        return {"name": name, "deleted": True}

    def _op_release_legal_hold(self, body: dict[str, Any], id: str) -> dict[str, Any]:  # noqa: A002
        with self.state.lock:
            hold = self.state.records.release_hold(id)
        return {"id": hold.id, "isEnabled": hold.is_enabled}

    def _op_delete_tenant(self, body: dict[str, Any]) -> dict[str, Any]:
        as_user = body.get("as_user")
        self.state.delete_tenant(force=bool(body.get("force", False)), as_user=str(as_user) if as_user else None)
        return {"tenant_id": self.state.tenant_id, "deleted": True}


def _message(exc: Exception) -> str:
    return exc.args[0] if isinstance(exc, LookupError) and exc.args else str(exc)


class OperatorError(Exception):
    """The operator surface refused a call; `status` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"operator surface answered {status}: {message}")
        self.status = status


class OperatorClient(OperatorClientOperations):
    """`emu.operator`: blocking helpers over the operator surface (stdlib http.client, one connection)."""

    def __init__(self, operator_url: str, ca_path: Path, timeout: float = 10.0) -> None:
        parts = urlsplit(operator_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 443
        self._prefix = parts.path.rstrip("/")
        self._context = ssl.create_default_context(cafile=str(ca_path))
        self._timeout = timeout
        self._lock = threading.Lock()
        self._conn: http.client.HTTPSConnection | None = None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        with self._lock:
            for attempt in (1, 2):  # a kept-alive connection the server closed is retried once
                if self._conn is None:
                    self._conn = http.client.HTTPSConnection(self._host, self._port, context=self._context,
                                                             timeout=self._timeout)
                try:
                    self._conn.request(method, self._prefix + path, body=payload, headers=headers)
                    response = self._conn.getresponse()
                    data = response.read()
                    break
                # A server-closed TLS connection surfaces as ssl.SSLEOFError (an SSLError, not a
                # ConnectionError) when the request is written to it.
                except (ConnectionError, ssl.SSLError, http.client.HTTPException):
                    self._conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise
        result = json.loads(data) if data else None
        if response.status >= 400:
            raise OperatorError(response.status, (result or {}).get("error", "") if isinstance(result, dict) else "")
        return result

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def summary(self) -> dict[str, Any]:
        return self._call("GET", "/")

    def pending_device_codes(self) -> list[dict[str, Any]]:
        return self._call("GET", "/device-codes")

    def approve_device_code(self, user_code: str, user: str | None = None) -> dict[str, Any]:
        return self._call("POST", f"/device-codes/{quote(user_code, safe='')}/approve",
                          {"user": user} if user else {})

    def decline_device_code(self, user_code: str) -> dict[str, Any]:
        return self._call("POST", f"/device-codes/{quote(user_code, safe='')}/decline", {})

    def now(self) -> str:
        return self._call("GET", "/clock")["now"]

    def advance_clock(self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> str:
        return self._call("POST", "/clock/advance",
                          {"days": days, "hours": hours, "minutes": minutes, "seconds": seconds})["now"]

    def faults(self) -> str:
        return self._call("GET", "/faults")["spec"]

    def set_faults(self, spec: str) -> str:
        return self._call("PUT", "/faults", {"spec": spec})["spec"]

    def limits(self) -> dict[str, Any]:
        return self._call("GET", "/limits")

    def set_limits(self, **limits: Any) -> dict[str, Any]:
        return self._call("PUT", "/limits", limits)

    def request_log(self, *, batch_items: bool = True) -> list[dict[str, Any]]:
        """Served requests, oldest first: each HTTP request, then (after a $batch) its inner requests.

        `batch_items=False` keeps the HTTP requests only (entries whose `batch` is None): what
        "requests issued" means. With them, each inner request is there once, under its own method
        and path, so writes can be counted whether they were sent directly or batched.
        """
        log: list[dict[str, Any]] = self._call("GET", "/requests")
        return log if batch_items else [e for e in log if e["batch"] is None]

    def write_tally(self) -> list[dict[str, Any]]:
        """Every write the tenant answered, batched or not: {"method", "path", "status", "count"} (unbounded)."""
        tally: list[dict[str, Any]] = self._call("GET", "/writes")
        return tally

    def clear_request_log(self) -> None:
        self._call("DELETE", "/requests")

    def cancel_subscription(self, subscription_id: str) -> None:
        self._call("POST", f"/subscriptions/{quote(subscription_id, safe='')}/cancel", {})

    def delete_subscription(self, subscription_id: str) -> None:
        self._call("DELETE", f"/subscriptions/{quote(subscription_id, safe='')}")

    def delete_mfa_provider(self, name: str) -> None:
        self._call("DELETE", f"/mfa-providers/{quote(name, safe='')}")

    def delete_signup_product(self, name: str) -> None:
        self._call("DELETE", f"/signup-products/{quote(name, safe='')}")

    def release_legal_hold(self, hold_id: str) -> None:
        """The legal team turns an eDiscovery legal hold off in the Purview portal."""
        self._call("POST", f"/legal-holds/{quote(hold_id, safe='')}/release", {})

    def delete_tenant(self, *, force: bool = False, as_user: str | None = None) -> None:
        """The portal delete; `as_user` signs that person in to the Entra admin center first."""
        self._call("DELETE", "/tenant", {"force": force, **({"as_user": as_user} if as_user else {})})
