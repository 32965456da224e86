"""Shared helpers for the Graph service tests: call GraphService.handle directly with a Principal."""

from __future__ import annotations

import json
from typing import Any

from closegate.emulator.graph import GraphService
from closegate.emulator.wire import Principal, Request, Response

BASE = "https://127.0.0.1:8443"
ALL_APP_ROLES = frozenset({
    "Directory.ReadWrite.All", "User.ReadWrite.All", "Organization.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory", "Application.ReadWrite.All", "Policy.Read.All",
    "Policy.ReadWrite.AuthenticationMethod", "Policy.ReadWrite.SecurityDefaults",
    "Policy.ReadWrite.ConditionalAccess", "AuditLog.Read.All", "Reports.Read.All",
    "ReportSettings.ReadWrite.All", "Group.ReadWrite.All", "IdentityUserFlow.ReadWrite.All",
    "IdentityProvider.ReadWrite.All", "Policy.ReadWrite.TrustFramework",
    "TrustFrameworkKeySet.ReadWrite.All",
})


def app_principal(tenant_id: str, roles: frozenset[str] = ALL_APP_ROLES, oid: str = "0" * 8 + "-0000-0000-0000-" + "0" * 12,
                  app_id: str = "11111111-1111-1111-1111-111111111111") -> Principal:
    return Principal(tenant_id=tenant_id, audience="graph", app_id=app_id, kind="app", oid=oid, roles=roles)


def call(svc: GraphService, principal: Principal, method: str, url: str, body: Any = None,
         headers: dict[str, str] | None = None) -> Response:
    path, _, query = url.partition("?")
    if path.startswith(BASE):
        path = path[len(BASE):]
    raw = json.dumps(body).encode() if body is not None else b""
    return svc.handle(Request(method, path, query, {k.lower(): v for k, v in (headers or {}).items()}, raw, BASE),
                      principal)


def body(resp: Response) -> Any:
    return json.loads(resp.body)


def user_principal(tenant_id: str, oid: str, scopes: frozenset[str], wids: frozenset[str] = frozenset()) -> Principal:
    """A delegated caller: the signed-in user's object id, consented scopes and directory roles."""
    return Principal(tenant_id=tenant_id, audience="graph", app_id="22222222-2222-2222-2222-222222222222",
                     kind="user", oid=oid, scopes=scopes, wids=wids)


def all_pages(svc: GraphService, principal: Principal, url: str, headers: dict[str, str] | None = None) -> list[Any]:
    """Every item of a collection, following @odata.nextLink to the end."""
    out: list[Any] = []
    next_url: str | None = url
    while next_url:
        resp = call(svc, principal, "GET", next_url, headers=headers)
        assert resp.status == 200, resp.body[:300]
        page = body(resp)
        out += page["value"]
        next_url = page.get("@odata.nextLink")
    return out
