"""ARM below and above the subscription: resources, Entra Domain Services, role assignments, elevate.

* `GET /subscriptions/{id}/resources?api-version=2021-04-01` (Resources - List): every resource,
  Marketplace SaaS (`Microsoft.SaaS/resources`, with its plan) and managed identities included.
  Deleting a resource that carries a managed identity removes that identity's service principal
  from Graph (graph-facts §12.4); a user-assigned identity is itself a resource.
* `GET /subscriptions/{id}/providers/Microsoft.AAD/domainServices?api-version=2022-12-01`: Entra
  Domain Services, a tenant-deletion blocker (§12.7); the body follows the REST spec's example
  ListDomainServicesByResourceGroup.json (2022-12-01), type `Microsoft.AAD/DomainServices`.
* `GET {scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01` (Role
  Assignments - List For Scope): `$filter=atScope()` gives the assignments at or above the scope,
  `principalId eq '{id}'` (and `assignedTo('{id}')`) a principal's at, above or below it; it needs
  `Microsoft.Authorization/roleAssignments/read` at the scope. At root scope `/` this is how a caller
  proves it sees every subscription: an assignment of its own at `/` whose role reads everything
  (elevate-access page, "List role assignments at root scope"). Without read there, 403.
* `POST /providers/Microsoft.Authorization/elevateAccess?api-version=2016-07-01` (2016-07-01 or
  later): a signed-in Global Administrator gets User Access Administrator at `/`. A service principal,
  even one holding Global Administrator, is refused with AuthorizationFailed
  (Azure/azure-rest-api-specs issue #10142).
"""

from __future__ import annotations

import re
from typing import Any

from closegate.emulator import arm_rbac
from closegate.emulator.arm_common import ArmCtx, arm_error, arm_time
from closegate.emulator.azure_rules import remove_resource
from closegate.emulator.azure_state import AzureResource
from closegate.emulator.state import GLOBAL_ADMIN
from closegate.emulator.wire import Response, json_response

__all__ = ["resource_body", "route"]

RESOURCES_READ = "Microsoft.Resources/subscriptions/resources/read"
ROLE_ASSIGNMENTS_READ = "Microsoft.Authorization/roleAssignments/read"
ELEVATE = "Microsoft.Authorization/elevateAccess/action"
DOMAIN_SERVICES = "Microsoft.AAD/DomainServices"
_FILTER_ID = re.compile(r"(?:principalId\s+eq\s+|assignedTo\()\s*'?([0-9a-fA-F-]{36})'?\)?", re.IGNORECASE)


def route(ctx: ArmCtx) -> Response | None:
    parts, method = ctx.parts, ctx.req.method
    low = [p.lower() for p in parts]
    if low[-3:] == ["providers", "microsoft.authorization", "roleassignments"] and method == "GET":
        return _role_assignments(ctx, "/" + "/".join(parts[:-3]) if len(parts) > 3 else "/")
    if low == ["providers", "microsoft.authorization", "elevateaccess"] and method == "POST":
        return _elevate(ctx)
    if len(parts) < 3 or low[0] != "subscriptions" or parts[1] not in ctx.state.azure_subscriptions:
        return None
    sub = parts[1]
    if low[2:] == ["resources"] and method == "GET":
        return _list(ctx, sub, lambda r: True)
    if low[2:] == ["providers", "microsoft.aad", "domainservices"] and method == "GET":
        return _list(ctx, sub, lambda r: r.type.lower() == DOMAIN_SERVICES.lower())
    if len(parts) >= 8 and low[2] == "resourcegroups" and low[4] == "providers" and method == "DELETE":
        return _delete(ctx, "/" + "/".join(parts))
    return None


def resource_body(r: AzureResource, tenant_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"id": r.id, "name": r.name, "type": r.type, "location": r.location, "tags": {}}
    if r.kind:
        body["kind"] = r.kind
    if r.plan:
        body["plan"] = dict(r.plan)
    if r.identity_type == "SystemAssigned":
        body["identity"] = {"type": "SystemAssigned", "principalId": r.identity_sp_id, "tenantId": tenant_id}
    if r.type.lower() == DOMAIN_SERVICES.lower():
        body["properties"] = {"version": 2, "tenantId": tenant_id, "domainName": r.name,
                              "provisioningState": "Succeeded", **r.properties}
    elif r.saas_status is not None:
        body["properties"] = {"saasSubscriptionStatus": r.saas_status, **r.properties}
    return body


def _list(ctx: ArmCtx, subscription_id: str, keep: Any) -> Response:
    scope = f"/subscriptions/{subscription_id}"
    if not arm_rbac.can(ctx.state, ctx.principal, RESOURCES_READ, scope):
        return arm_rbac.authorization_failed(ctx.state, ctx.principal, RESOURCES_READ, scope)
    rows = [resource_body(r, ctx.state.tenant_id) for r in ctx.state.azure.resources_in(subscription_id) if keep(r)]
    return json_response(200, {"value": rows})


def _delete(ctx: ArmCtx, resource_id: str) -> Response:
    resource = ctx.state.azure.resources.get(resource_id.lower())
    if resource is None:
        return arm_error(404, "ResourceNotFound", f"The Resource '{resource_id.rsplit('/', 3)[-3]}/"
                         f"{resource_id.rsplit('/', 1)[-1]}' under resource group "
                         f"'{resource_id.split('/')[4]}' was not found.")
    action = f"{resource.type}/delete"
    if not arm_rbac.can(ctx.state, ctx.principal, action, resource.id):
        return arm_rbac.authorization_failed(ctx.state, ctx.principal, action, resource.id)
    remove_resource(ctx.state, resource)
    return Response(200, [], b"")


def _assignment_body(ra: Any) -> dict[str, Any]:
    prefix = "" if ra.scope == "/" else ra.scope
    return {
        "id": f"{prefix}/providers/Microsoft.Authorization/roleAssignments/{ra.name}",
        "type": "Microsoft.Authorization/roleAssignments", "name": ra.name,
        "properties": {
            "roleDefinitionId": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{ra.role_definition_id}",
            "principalId": ra.principal_id, "principalType": ra.principal_type, "scope": ra.scope,
            "condition": None, "conditionVersion": None, "createdOn": arm_time(ra.created),
            "updatedOn": arm_time(ra.created), "createdBy": None, "updatedBy": None,
            "delegatedManagedIdentityResourceId": None, "description": None,
        },
    }


def _role_assignments(ctx: ArmCtx, scope: str) -> Response:
    state = ctx.state
    if not arm_rbac.can(state, ctx.principal, ROLE_ASSIGNMENTS_READ, scope):
        return arm_rbac.authorization_failed(state, ctx.principal, ROLE_ASSIGNMENTS_READ, scope)
    filt = ctx.params.get("$filter", "")
    above = {s.lower() for s in arm_rbac.scopes_above(state, scope)}
    prefix = "" if scope == "/" else scope.lower().rstrip("/") + "/"

    def applies(ra: Any) -> bool:
        at_or_above = ra.scope.lower() in above
        below = ra.scope.lower().startswith(prefix) if prefix else True
        return at_or_above if "atscope()" in filt.lower() else (at_or_above or below)

    rows = [ra for ra in state.azure.role_assignments.values() if applies(ra)]
    match = _FILTER_ID.search(filt)
    if match:
        wanted = match.group(1).lower()
        groups = {g.id for g in state.groups_of(wanted)} if "assignedto" in filt.lower() else set()
        rows = [ra for ra in rows if ra.principal_id.lower() == wanted or ra.principal_id in groups]
    rows.sort(key=lambda ra: (ra.scope, ra.name))
    return json_response(200, {"value": [_assignment_body(ra) for ra in rows]})


def _elevate(ctx: ArmCtx) -> Response:
    version = ctx.params["api-version"]
    if version < "2016-07-01":
        return arm_error(400, "InvalidApiVersionParameter", f"The api-version '{version}' is invalid. The "
                         "supported versions are '2016-07-01' and later.")
    state, principal = ctx.state, ctx.principal
    scope = "/providers/Microsoft.Authorization"
    if principal.kind != "user" or GLOBAL_ADMIN not in state.active_role_template_ids(principal.oid):
        return arm_rbac.authorization_failed(state, principal, ELEVATE, scope)
    state.azure.assign("/", arm_rbac.USER_ACCESS_ADMINISTRATOR, principal.oid, "User", ctx.now, elevated=True)
    return Response(200, [], b"")
