"""Graph role endpoints: unified RBAC assignments, PIM eligibility (instances and requests) and the
legacy directoryRoles (graph-facts §2.2).

Built-in roles are identified by their template ids, which unified RBAC also uses as role
definition ids; only roles with at least one assignment (and Global Administrator) are "activated"
directoryRoles.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from closegate.emulator.clock import format_time
from closegate.emulator.graph_common import (
    Ctx,
    collection,
    entity,
    no_content,
    select_of,
)
from closegate.emulator.odata import GraphFault, bad_request
from closegate.emulator.records import Eligibility, RoleAssignment
from closegate.emulator.shapes import DIRECTORY_OBJECTS, EntityShape, principal_shape
from closegate.emulator.state import GLOBAL_ADMIN, TenantState, assignment_id
from closegate.emulator.wire import Response, json_response

__all__ = [
    "DIRECTORY_ROLE", "ROLE_NAMES", "delete_role_assignment", "directory_role_members",
    "directory_role_object", "get_directory_role", "get_role_assignment", "list_directory_roles",
    "list_eligibility_instances", "list_role_assignments", "post_eligibility_request",
]

ROLE_NAMES: dict[str, str] = {  # graph-facts §2.2 (S22)
    GLOBAL_ADMIN: "Global Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
}


@dataclass(frozen=True)
class DirectoryRoleObject:
    id: str
    template_id: str
    display_name: str


DIRECTORY_ROLE = EntityShape("microsoft.graph.directoryRole", {
    "id": lambda r: r.id,
    "deletedDateTime": lambda r: None,
    "description": lambda r: f"{r.display_name} role",
    "displayName": lambda r: r.display_name,
    "roleTemplateId": lambda r: r.template_id,
})

ROLE_ASSIGNMENT = EntityShape("microsoft.graph.unifiedRoleAssignment", {
    "id": lambda a: a.id,
    "principalId": lambda a: a.principal_id,
    "roleDefinitionId": lambda a: a.role_definition_id,
    "directoryScopeId": lambda a: a.directory_scope_id,
    "appScopeId": lambda a: None,
    "condition": lambda a: None,
})

ELIGIBILITY = EntityShape("microsoft.graph.unifiedRoleEligibilityScheduleInstance", {
    "id": lambda e: e.id,
    "principalId": lambda e: e.principal_id,
    "roleDefinitionId": lambda e: e.role_definition_id,
    "directoryScopeId": lambda e: e.directory_scope_id,
    "appScopeId": lambda e: None,
    "startDateTime": lambda e: format_time(e.start),
    "endDateTime": lambda e: format_time(e.end),
    "memberType": lambda e: "Direct",
    "roleEligibilityScheduleId": lambda e: e.id,
})


def directory_role_object(state: TenantState, template_id: str) -> DirectoryRoleObject:
    role_id = str(uuid.uuid5(uuid.UUID(state.tenant_id), f"directoryRole:{template_id}"))
    return DirectoryRoleObject(role_id, template_id, ROLE_NAMES.get(template_id, "Directory role"))


def _activated(state: TenantState) -> list[DirectoryRoleObject]:
    templates = {GLOBAL_ADMIN} | {ra.role_definition_id for ra in state.role_assignments.values()}
    return [directory_role_object(state, t) for t in sorted(templates)]


def _expand_principal(ctx: Ctx) -> bool:
    expand = ctx.query.expand
    if any(e.split("(")[0] != "principal" for e in expand):
        bad = next(e for e in expand if e.split("(")[0] != "principal")
        raise GraphFault(400, "BadRequest", "Parsing OData Select and Expand failed: Could not find "
                         f"a property named '{bad}' on type 'microsoft.graph.unifiedRoleAssignment'.")
    return bool(expand)


def _with_principal(ctx: Ctx, shape: EntityShape, expand: bool) -> Callable[[Any, tuple[str, ...] | None], dict[str, Any]]:
    state = ctx.state

    def build(row: Any, select: tuple[str, ...] | None) -> dict[str, Any]:
        body = shape.build(row, select)
        if expand:
            found = state.directory_object(row.principal_id)
            body["principal"] = principal_shape(*found) if found else None
        return body

    return build


_ASSIGNMENT_FILTER = {name: ROLE_ASSIGNMENT.props[name]
                      for name in ("id", "principalId", "roleDefinitionId", "directoryScopeId")}


def list_role_assignments(ctx: Ctx) -> Response:
    expand = _expand_principal(ctx)
    return collection(ctx, name="roleAssignments", rows=list(ctx.state.role_assignments.values()),
                      keep=lambda r: True, build=_with_principal(ctx, ROLE_ASSIGNMENT, expand),
                      shape=ROLE_ASSIGNMENT, filter_props=_ASSIGNMENT_FILTER,
                      resource_label="unifiedRoleAssignment",
                      context="roleManagement/directory/roleAssignments")


def _assignment_or_404(ctx: Ctx) -> RoleAssignment:
    ra = ctx.state.role_assignments.get(ctx.args[0])
    if ra is None:
        raise GraphFault(404, "Request_ResourceNotFound",
                         f"Resource '{ctx.args[0]}' does not exist or one of its queried "
                         "reference-property objects are not present.")
    return ra


def get_role_assignment(ctx: Ctx) -> Response:
    ra = _assignment_or_404(ctx)
    build = _with_principal(ctx, ROLE_ASSIGNMENT, _expand_principal(ctx))
    return entity(ctx, "roleManagement/directory/roleAssignments/$entity",
                  build(ra, select_of(ctx, ROLE_ASSIGNMENT)))


def delete_role_assignment(ctx: Ctx) -> Response:
    ra = _assignment_or_404(ctx)
    if ra.role_definition_id == GLOBAL_ADMIN and ra.principal_id == ctx.principal.oid:
        # graph-facts §2.2 guard rail (S22): nobody removes their own Global Administrator role.
        raise bad_request("A Global Administrator cannot remove their own Global Administrator "
                          "assignment.")
    del ctx.state.role_assignments[ra.id]
    return no_content()


_ELIGIBILITY_FILTER = {name: ELIGIBILITY.props[name]
                       for name in ("id", "principalId", "roleDefinitionId", "directoryScopeId")}


def list_eligibility_instances(ctx: Ctx) -> Response:
    now = ctx.now
    expand = _expand_principal(ctx)
    return collection(ctx, name="roleEligibilityScheduleInstances",
                      rows=list(ctx.state.eligibilities.values()),
                      keep=lambda e: e.start <= now and (e.end is None or now < e.end),
                      build=_with_principal(ctx, ELIGIBILITY, expand), shape=ELIGIBILITY,
                      filter_props=_ELIGIBILITY_FILTER,
                      resource_label="unifiedRoleEligibilityScheduleInstance",
                      context="roleManagement/directory/roleEligibilityScheduleInstances")


def post_eligibility_request(ctx: Ctx) -> Response:
    """PIM's documented way to add or remove an eligibility: a schedule request (adminRemove)."""
    body = ctx.body()
    action = body.get("action")
    principal_id, role_id = body.get("principalId"), body.get("roleDefinitionId")
    scope = body.get("directoryScopeId", "/")
    if not isinstance(principal_id, str) or not isinstance(role_id, str):
        raise bad_request("principalId and roleDefinitionId are required.")
    state, now = ctx.state, ctx.now
    matches = [e for e in state.eligibilities.values()
               if e.principal_id == principal_id and e.role_definition_id == role_id
               and e.directory_scope_id == scope]
    if action == "adminRemove":
        if not matches:
            raise GraphFault(400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.")
        for e in matches:
            del state.eligibilities[e.id]
        status, target = "Revoked", matches[0].id
    elif action == "adminAssign":
        if matches:
            raise GraphFault(400, "RoleAssignmentExists", "The Role assignment already exists.")
        if state.directory_object(principal_id) is None:
            raise bad_request(f"Resource '{principal_id}' does not exist.")
        target = assignment_id(role_id, principal_id)
        state.eligibilities[target] = Eligibility(target, role_id, principal_id, now, None, scope)
        status = "Provisioned"
    else:
        raise bad_request(f"The action '{action}' is not supported by this emulator request.")
    request = {
        "id": str(uuid.uuid4()), "action": action, "principalId": principal_id,
        "roleDefinitionId": role_id, "directoryScopeId": scope, "appScopeId": None,
        "isValidationOnly": False, "targetScheduleId": target,
        "justification": body.get("justification"), "status": status,
        "createdDateTime": format_time(now), "completedDateTime": format_time(now),
        "approvalId": None, "customData": None,
        "createdBy": {"user": {"id": ctx.principal.oid}} if ctx.principal.kind == "user" else
                     {"application": {"id": ctx.principal.app_id}},
    }
    return json_response(201, {"@odata.context": ctx.context(
        "roleManagement/directory/roleEligibilityScheduleRequests/$entity"), **request})


def list_directory_roles(ctx: Ctx) -> Response:
    return collection(ctx, name="directoryRoles", rows=_activated(ctx.state), keep=lambda r: True,
                      build=DIRECTORY_ROLE.build, shape=DIRECTORY_ROLE, pageable=False)


def _role_or_404(ctx: Ctx) -> DirectoryRoleObject:
    key, by_template = ctx.args[0], ctx.resource.startswith("directoryRoles(")
    for role in _activated(ctx.state):
        if (role.template_id if by_template else role.id) == key:
            return role
    raise GraphFault(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist or one of "
                     "its queried reference-property objects are not present.")


def get_directory_role(ctx: Ctx) -> Response:
    role = _role_or_404(ctx)
    return entity(ctx, "directoryRoles/$entity", DIRECTORY_ROLE.build(role, select_of(ctx, DIRECTORY_ROLE)))


def directory_role_members(ctx: Ctx) -> Response:
    """S20: $select only, no $top paging; returns up to 1,000 members."""
    if ctx.query.top is not None or ctx.query.filter:
        raise GraphFault(400, "Request_UnsupportedQuery", "The query specified in the URI is not valid.")
    role = _role_or_404(ctx)
    state = ctx.state
    members = [found for ra in state.role_assignments.values()
               if ra.role_definition_id == role.template_id
               and (found := state.directory_object(ra.principal_id)) is not None]
    return collection(ctx, name="members", rows=members[:1000], keep=lambda r: True,
                      build=lambda m, s: principal_shape(m[0], m[1], s), shape=DIRECTORY_OBJECTS,
                      context="directoryObjects", pageable=False)
