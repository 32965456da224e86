"""What the ARM handlers share: the request context and ARM's error body ({"error": {code, message}})."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from closegate.emulator.state import TenantState
from closegate.emulator.wire import Principal, Request, Response, json_response

__all__ = ["ArmCtx", "arm_error", "arm_time"]


@dataclass
class ArmCtx:
    req: Request
    principal: Principal
    state: TenantState
    params: dict[str, str]  # the query string, api-version included
    parts: list[str]  # the path's segments
    now: datetime  # simulated tenant time


def arm_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}})


def arm_time(value: datetime | None) -> str | None:
    """ARM's timestamps: ISO 8601 UTC with seven fractional digits, as in the REST specs' examples."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0Z"
