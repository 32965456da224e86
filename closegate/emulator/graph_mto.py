"""Graph multitenant organization: the organization this tenant belongs to, its tenants, and
leaving it (graph-facts §12.7).

learn: graph/api/multitenantorganization-get, multitenantorganization-list-tenants,
multitenantorganizationmember-get, multitenantorganization-delete-tenants:
- reads: MultiTenantOrganization.ReadBasic.All (delegated; displayName and tenantId only),
  MultiTenantOrganization.Read.All, MultiTenantOrganization.ReadWrite.All; removal needs ReadWrite.All.
- "An active member tenant can remove itself. An active owner tenant can remove any other tenant.
  An active owner tenant can remove itself as long as there's another active owner tenant
  remaining", or when no other active tenant remains, which deletes the organization. Any other
  removal is refused here (the refusal's body is not documented; modelled on Graph's error shape).
- "you must wait for up to 2 hours before removal of a tenant is completed": while it runs the
  tenant is listed in state "removed" ("in the process of being removed",
  learn: graph/api/resources/multitenantorganizationjoinrequestrecord) with its transition still
  running; after MTO_LEAVE it is gone, and once this tenant itself has left, the organization reads
  as state "inactive" ("the multitenant organization isn't created").
"""

from __future__ import annotations

from typing import Any

from closegate.emulator.clock import format_time
from closegate.emulator.graph_common import Ctx, collection, entity, no_content, select_of
from closegate.emulator.odata import GraphFault, bad_request
from closegate.emulator.records_compliance import MtoMemberRecord, MtoRecord
from closegate.emulator.shapes import EntityShape
from closegate.emulator.wire import Response

__all__ = ["ROUTES"]

MTO_R = ("MultiTenantOrganization.ReadBasic.All", "MultiTenantOrganization.Read.All",
         "MultiTenantOrganization.ReadWrite.All")
MTO_W = ("MultiTenantOrganization.ReadWrite.All",)
FULL = frozenset({"MultiTenantOrganization.Read.All", "MultiTenantOrganization.ReadWrite.All",
                  "Directory.Read.All"})
BASE = "tenantRelationships/multiTenantOrganization"


def _member_state(member: MtoMemberRecord, now: Any) -> str:
    return "removed" if member.leaving(now) else member.state


def _transition(member: MtoMemberRecord, now: Any) -> dict[str, Any] | None:
    if not member.leaving(now):
        return None
    return {"desiredRole": member.role, "desiredState": "removed", "status": "running", "details": None}


def _member_shape(ctx: Ctx) -> EntityShape:
    now = ctx.now
    return EntityShape("microsoft.graph.multiTenantOrganizationMember", {
        "id": lambda m: m.tenant_id,
        "tenantId": lambda m: m.tenant_id,
        "displayName": lambda m: m.display_name,
        "role": lambda m: m.role,
        "state": lambda m: _member_state(m, now),
        "addedByTenantId": lambda m: m.added_by,
        "addedDateTime": lambda m: format_time(m.added),
        "joinedDateTime": lambda m: format_time(m.joined),
        "transitionDetails": lambda m: _transition(m, now),
        "deletedDateTime": lambda m: None,
    })


def _basic_only(ctx: Ctx) -> bool:
    return ctx.principal.kind == "user" and not ctx.principal.permissions & FULL


def _current(ctx: Ctx) -> MtoRecord | None:
    """The organization as this tenant sees it: None once this tenant is no longer part of it."""
    mto = ctx.state.records.mto
    if mto is None:
        return None
    own = next((m for m in mto.members if m.tenant_id == ctx.state.tenant_id), None)
    if own is None or own.removed(ctx.now):
        return None
    return mto


def _listed(ctx: Ctx) -> list[MtoMemberRecord]:
    mto = _current(ctx)
    return [m for m in mto.members if not m.removed(ctx.now)] if mto else []


def get_mto(ctx: Ctx) -> Response:
    mto = _current(ctx)
    body = {"id": mto.id if mto else ctx.state.tenant_id, "createdDateTime": format_time(mto.created) if mto else None,
            "displayName": mto.display_name if mto else None, "description": mto.description if mto else None,
            "state": "active" if mto else "inactive"}
    shape = EntityShape("microsoft.graph.multiTenantOrganization", {k: (lambda key: lambda b: b[key])(k) for k in body})
    return entity(ctx, f"{BASE}/$entity", shape.build(body, select_of(ctx, shape)))


def list_tenants(ctx: Ctx) -> Response:
    shape = _member_shape(ctx)
    basic = _basic_only(ctx)
    rows = [m for m in _listed(ctx) if not basic or m.state == "active"]

    def build(member: MtoMemberRecord, select: tuple[str, ...] | None) -> dict[str, Any]:
        if basic:  # "the caller can only read the displayName and tenantId properties"
            return {k: v for k, v in shape.build(member, select).items() if k in ("displayName", "tenantId")}
        return shape.build(member, select)

    return collection(ctx, name="tenants", rows=rows, keep=lambda m: True, build=build, shape=shape,
                      filter_props={k: shape.props[k] for k in ("tenantId", "role", "state", "displayName")},
                      context=f"{BASE}/tenants")


def _member(ctx: Ctx) -> MtoMemberRecord:
    found = next((m for m in _listed(ctx) if m.tenant_id == ctx.args[0]), None)
    if found is None:
        raise GraphFault(404, "Request_ResourceNotFound", f"Tenant '{ctx.args[0]}' is not in the multitenant "
                         "organization.")
    return found


def get_tenant(ctx: Ctx) -> Response:
    shape = _member_shape(ctx)
    return entity(ctx, f"{BASE}/tenants/$entity", shape.build(_member(ctx), select_of(ctx, shape)))


def remove_tenant(ctx: Ctx) -> Response:
    target = _member(ctx)
    now = ctx.now
    if target.leaving(now):
        return no_content()
    own = _member_by_id(ctx, ctx.state.tenant_id)
    active = [m for m in _listed(ctx) if m.state == "active" and not m.leaving(now)]
    if own is None or own.state != "active" or own.leaving(now):
        raise bad_request("Only an active tenant of the multitenant organization can remove tenants.")
    if target is not own and own.role != "owner":
        raise bad_request("A member tenant can remove only itself from the multitenant organization.")
    if target is own and own.role == "owner":
        other_owners = [m for m in active if m is not own and m.role == "owner"]
        others = [m for m in active if m is not own]
        if not other_owners and others:
            raise bad_request("The last active owner tenant can leave only when no other active tenant remains.")
        if not others:  # the organization goes with its last tenant
            for member in _listed(ctx):
                member.removal_requested_at = member.removal_requested_at or now
            return no_content()
    target.removal_requested_at = now
    return no_content()


def _member_by_id(ctx: Ctx, tenant_id: str) -> MtoMemberRecord | None:
    return next((m for m in _listed(ctx) if m.tenant_id == tenant_id), None)


_TENANT = r"([0-9a-fA-F-]{36})"
ROUTES: tuple[tuple[str, str, Any, tuple[str, ...], dict[str, Any]], ...] = (
    ("GET", BASE, get_mto, MTO_R, {}),
    ("GET", f"{BASE}/tenants", list_tenants, MTO_R, {}),
    ("GET", rf"{BASE}/tenants/{_TENANT}", get_tenant, MTO_R, {}),
    ("DELETE", rf"{BASE}/tenants/{_TENANT}", remove_tenant, MTO_W, {}),
)
