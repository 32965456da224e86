"""Azure RBAC as ARM applies it: built-in roles, scope inheritance, and ARM's 403 AuthorizationFailed.

Entra roles grant nothing in Azure and the other way round; a Global Administrator sees every
subscription only after "elevate access", which assigns User Access Administrator at root scope `/`
(https://learn.microsoft.com/azure/role-based-access-control/elevate-access-global-admin, graph-facts
§12.2). A role assigned at `/`, at the tenant root management group or at a subscription applies to
that subscription; `GET /subscriptions` lists the subscriptions a role of the caller applies to.
A role on only a resource group or resource is not modelled as making its subscription visible:
the worse case for a client that must not take a short list for a complete one.

Role definitions (ids and actions) are Microsoft's built-in roles page (azure-docs
articles/role-based-access-control/built-in-roles.md); the elevate-access page quotes User Access
Administrator's actions (`*/read`, `Microsoft.Authorization/*`, `Microsoft.Support/*`).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from closegate.emulator.azure_state import ArmRoleAssignment
from closegate.emulator.state import TenantState
from closegate.emulator.wire import Principal, Response, json_response

__all__ = ["CONTRIBUTOR", "OWNER", "READER", "ROLES", "USER_ACCESS_ADMINISTRATOR", "RoleDefinition",
           "authorization_failed", "can", "principal_ids", "role_by_name", "scopes_above",
           "visible_subscription_ids"]

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"


@dataclass(frozen=True)
class RoleDefinition:
    id: str
    name: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()

    def allows(self, action: str) -> bool:
        act = action.lower()
        granted = any(fnmatch.fnmatchcase(act, pattern.lower()) for pattern in self.actions)
        return granted and not any(fnmatch.fnmatchcase(act, p.lower()) for p in self.not_actions)


ROLES: dict[str, RoleDefinition] = {r.id: r for r in (
    RoleDefinition(OWNER, "Owner", ("*",)),
    RoleDefinition(CONTRIBUTOR, "Contributor", ("*",), (
        "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action")),
    RoleDefinition(READER, "Reader", ("*/read",)),
    RoleDefinition(USER_ACCESS_ADMINISTRATOR, "User Access Administrator",
                   ("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*")),
)}


def role_by_name(name: str) -> RoleDefinition:
    """A built-in role by display name or GUID (scenario files use names)."""
    for role in ROLES.values():
        if name.lower() in (role.name.lower(), role.id):
            return role
    raise LookupError(f"unknown Azure built-in role {name!r}: use one of "
                      f"{', '.join(r.name for r in ROLES.values())}")


def scopes_above(state: TenantState, scope: str) -> list[str]:
    """`scope` and every scope that contains it, nearest first, ending at `/`."""
    root_mg = state.azure.root_management_group
    low = scope.rstrip("/").lower()
    if low in ("", "/providers/microsoft.authorization"):
        return ["/"]
    if low == root_mg.lower():
        return [root_mg, "/"]
    parts = scope.strip("/").split("/")
    out = ["/" + "/".join(parts[:n]) for n in range(len(parts), 1, -2)]  # resource, rg, subscription...
    if low.startswith("/subscriptions/"):
        out = [s for s in out if len(s.strip("/").split("/")) % 2 == 0]
        return [*out, root_mg, "/"]
    return [scope, "/"]


def principal_ids(state: TenantState, principal: Principal) -> set[str]:
    """The caller and the groups it belongs to: group assignments apply to members."""
    return {principal.oid} | {g.id for g in state.groups_of(principal.oid)}


def _assignments_for(state: TenantState, principal: Principal) -> list[ArmRoleAssignment]:
    ids = principal_ids(state, principal)
    return [ra for ra in state.azure.role_assignments.values() if ra.principal_id in ids]


def can(state: TenantState, principal: Principal, action: str, scope: str) -> bool:
    above = {s.lower() for s in scopes_above(state, scope)}
    return any(ra.scope.lower() in above and ROLES[ra.role_definition_id].allows(action)
               for ra in _assignments_for(state, principal))


def visible_subscription_ids(state: TenantState, principal: Principal) -> set[str]:
    return {sid for sid in state.azure_subscriptions
            if can(state, principal, "Microsoft.Resources/subscriptions/read", f"/subscriptions/{sid}")}


def authorization_failed(state: TenantState, principal: Principal, action: str, scope: str) -> Response:
    """ARM's 403, as live ARM words it (e.g. Azure/azure-quickstart-templates issue #8920): users are
    named by their UPN, applications by their client id."""
    user = state.users.get(principal.oid) if principal.kind == "user" else None
    client = user.user_principal_name if user is not None else principal.app_id
    return json_response(403, {"error": {"code": "AuthorizationFailed", "message": (
        f"The client '{client}' with object id '{principal.oid}' does not have authorization to perform "
        f"action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, "
        "please refresh your credentials.")}})
