"""Shared helpers for the ARM service tests: call ArmService.handle directly with a Principal."""

from __future__ import annotations

import json
from typing import Any

from closegate.emulator.arm import ArmService
from closegate.emulator.state import TenantState
from closegate.emulator.wire import Principal, Request, Response

CLOSEGATE_OID = "0c1c0000-0000-4000-8000-000000000001"


def app(state: TenantState, oid: str = CLOSEGATE_OID) -> Principal:
    """closegate's app on ARM; the scenario's "closegate" roles are bound to this object id."""
    state.azure.bind_closegate((CLOSEGATE_OID,))
    return Principal(state.tenant_id, "arm", "11111111-2222-3333-4444-555555555555", "app", oid)


def user(state: TenantState, upn: str) -> Principal:
    rec = state.user_record(upn)
    assert rec is not None
    return Principal(state.tenant_id, "arm", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "user", rec.id,
                     scopes=frozenset({"user_impersonation"}))


def arm(state: TenantState, principal: Principal, method: str, path: str, query: str = "") -> Response:
    return ArmService(state).handle(Request(method, path, query, base_url="https://arm.test"), principal)


def payload(resp: Response) -> Any:
    return json.loads(resp.body) if resp.body else None
