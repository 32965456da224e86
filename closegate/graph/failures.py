"""Turns a Graph or ARM error answer into the typed closegate error the operator will read."""

from __future__ import annotations

import json
from typing import Any

from closegate.errors import GraphError, NotFound, PermissionDenied, Throttled
from closegate.graph.endpoints import describe
from closegate.graph.transport import HttpResponse

__all__ = ["error_body", "error_from_response", "permission_fix"]


def error_body(body: bytes | object) -> tuple[str, str, str]:
    """(code, message, request id) from Graph's error shape (graph-facts §8.4) or ARM's."""
    data = body
    if isinstance(body, bytes | str):
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return "", "", ""
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return "", "", ""
    inner = err.get("innerError") or err.get("innererror") or {}
    rid = inner.get("request-id", "") if isinstance(inner, dict) else ""
    return str(err.get("code", "")), str(err.get("message", ""))[:200], str(rid)


def permission_fix(permissions: tuple[str, ...], grant_kind: str, client_id: str = "") -> str:
    app = f"app registration {client_id}" if client_id else "the app registration"
    if not permissions:
        return f"check the permissions of {app} and the caller's directory roles"
    wanted = " or ".join(permissions[:2]) if len(permissions) > 1 else permissions[0]
    if grant_kind == "delegated":
        return (f"add the delegated Microsoft Graph permission {wanted} to {app} (Entra admin center > "
                "App registrations > API permissions), consent to it, and sign in again with a role that allows it")
    return (f"add the application Microsoft Graph permission {wanted} to {app} (Entra admin center > "
            "App registrations > API permissions > Add a permission > Application permissions) and grant admin consent")


def error_from_response(
    method: str,
    url: str,
    resp: HttpResponse,
    *,
    grant_kind: str = "application",
    client_id: str = "",
    arm: bool = False,
    attempts: int = 1,
    where: str | None = None,
) -> GraphError:
    """`where` names the request instead of its URL's template (a pre-authenticated download's URL)."""
    code, message, rid = error_body(resp.body)
    rid = resp.header("request-id") or resp.header("x-ms-request-id") or rid
    info = describe(method, url)
    where = where or info.template
    detail = f"{resp.status} {code}".strip() + (f" ({message})" if message else "")
    kw: dict[str, Any] = {"status": resp.status, "code": code, "request_id": rid, "method": method.upper(),
                          "path": where.split(" ", 1)[1]}
    suffix = f" [request-id {rid}]" if rid else ""
    if resp.status == 403 and arm:
        return PermissionDenied(
            f"Azure Resource Manager refused {where}: {detail}{suffix}",
            "give the caller an Azure RBAC role such as Reader on the subscriptions, or elevate access "
            "(Entra admin center > Properties > Access management for Azure resources)", **kw)
    if resp.status == 403:
        needed = info.permissions
        named = f"; it needs {' or '.join(needed[:2])}" if needed else ""
        return PermissionDenied(f"Graph refused {where}: {detail}{named}{suffix}",
                                permission_fix(needed, grant_kind, client_id), permissions=needed, **kw)
    if resp.status == 404:
        return NotFound(f"{where} was not found: {detail}{suffix}",
                        "the object may have been deleted meanwhile; run again", **kw)
    if resp.status in (429, 503, 504):
        return Throttled(f"{where} still answered {resp.status} after {attempts} attempt(s){suffix}",
                         "wait a few minutes and run again, or lower graph.concurrency",
                         attempts=attempts, **kw)
    if resp.status == 401:
        return GraphError(f"{where} rejected the access token: {detail}{suffix}",
                          "check that the tenant and cloud in the configuration match the app registration", **kw)
    return GraphError(f"{where} failed: {detail}{suffix}",
                      "run again; if it persists, report the request id to Microsoft support", **kw)
