"""Graph user endpoints: /users, /users/$count, /me, /me/transitiveMemberOf and beta per-user MFA.

Deletion follows graph-facts §2.3: synced users are refused while sync is on, and deleting a user
who holds a privileged role needs a Global or Privileged Authentication Administrator caller.
"""

from __future__ import annotations

from typing import Any

from closegate.emulator.graph_common import (
    Ctx,
    collection,
    entity,
    no_content,
    select_of,
)
from closegate.emulator.graph_roles import DIRECTORY_ROLE, directory_role_object
from closegate.emulator.odata import GraphFault, bad_request, compile_filter
from closegate.emulator.records import UserRecord
from closegate.emulator.shapes import (
    DIRECTORY_OBJECTS,
    GROUP,
    USER,
    DirectoryObjectsShape,
    principal_shape,
)
from closegate.emulator.state import GLOBAL_ADMIN
from closegate.emulator.wire import Response

__all__ = [
    "count_users", "delete_user", "get_mfa_requirements", "get_me", "get_user", "list_users",
    "my_transitive_member_of", "patch_mfa_requirements", "patch_user",
]

PRIV_AUTH_ADMIN = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
_FILTERABLE = ("id", "userPrincipalName", "displayName", "userType", "accountEnabled",
               "onPremisesSyncEnabled", "mail", "givenName", "surname", "jobTitle", "department",
               "usageLocation", "creationType", "createdDateTime")
USER_FILTER = {name: USER.props[name] for name in _FILTERABLE}
SYNCED_MESSAGE = ("Unable to update the specified properties for on-premises mastered Directory "
                  "Sync objects or objects currently undergoing migration.")  # graph-facts §2.3
DENIED = "Insufficient privileges to complete the operation."
MFA_STATES = ("disabled", "enabled", "enforced")  # graph-facts §5.1


def not_found(key: str) -> GraphFault:
    return GraphFault(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist or one of "
                      "its queried reference-property objects are not present.")


def user_or_404(ctx: Ctx, key: str) -> UserRecord:
    rec = ctx.state.user_record(key)
    if rec is None or rec.deleted_at is not None:
        raise not_found(key)
    return rec


def list_users(ctx: Ctx) -> Response:
    state, now = ctx.state, ctx.now
    return collection(ctx, name="users", rows=state.user_list,
                      keep=lambda u: state.listed(u.deleted_at, now), build=USER.build, shape=USER,
                      filter_props=USER_FILTER, resource_label="User", position=lambda u: u.seq)


def count_users(ctx: Ctx) -> Response:
    if not ctx.eventual:
        raise GraphFault(400, "Request_UnsupportedQuery", "Raw count (/$count) is not supported "
                         "because the 'ConsistencyLevel:eventual' header is missing. Refer to "
                         "https://aka.ms/graph-docs/advanced-queries for more information")
    state, now = ctx.state, ctx.now
    keep = compile_filter(ctx.query.filter, USER_FILTER, "User").predicate if ctx.query.filter else None
    total = sum(1 for u in state.user_list
                if state.listed(u.deleted_at, now) and (keep is None or keep(u)))
    return Response(200, [("Content-Type", "text/plain")], str(total).encode())


def get_user(ctx: Ctx) -> Response:
    rec = user_or_404(ctx, ctx.args[0])
    return entity(ctx, "users/$entity", USER.build(rec, select_of(ctx, USER)))


def get_me(ctx: Ctx) -> Response:
    rec = user_or_404(ctx, ctx.principal.oid)
    return entity(ctx, "users/$entity", USER.build(rec, select_of(ctx, USER)))


def _caller_roles(ctx: Ctx) -> set[str]:
    if ctx.principal.kind == "user":
        return set(ctx.principal.wids)
    return ctx.state.active_role_template_ids(ctx.principal.oid)


def delete_user(ctx: Ctx) -> Response:
    rec = user_or_404(ctx, ctx.args[0])
    target_roles = ctx.state.active_role_template_ids(rec.id)
    caller = _caller_roles(ctx)
    # §2.3 (S23, S45): privileged targets need GA/PAA; delegated callers also need User Admin.
    if target_roles - {USER_ADMIN, HELPDESK_ADMIN}:
        if not caller & {GLOBAL_ADMIN, PRIV_AUTH_ADMIN}:
            raise GraphFault(403, "Authorization_RequestDenied", DENIED)
    elif ctx.principal.kind == "user" and not caller & {GLOBAL_ADMIN, PRIV_AUTH_ADMIN, USER_ADMIN}:
        raise GraphFault(403, "Authorization_RequestDenied", DENIED)
    if rec.sync_enabled:
        raise bad_request(SYNCED_MESSAGE)
    ctx.state.delete_user(rec)
    return no_content()


_PATCHABLE = {"accountEnabled": bool, "displayName": str, "jobTitle": str, "department": str,
              "usageLocation": str}


def patch_user(ctx: Ctx) -> Response:
    rec = user_or_404(ctx, ctx.args[0])
    body = ctx.body()
    for key, value in body.items():
        kind = _PATCHABLE.get(key)
        if kind is None or not isinstance(value, kind):
            raise bad_request(f"Invalid value specified for property '{key}' of resource 'User'.")
    if rec.sync_enabled:
        raise bad_request(SYNCED_MESSAGE)
    attrs = {"accountEnabled": "account_enabled", "displayName": "display_name", "jobTitle": "job_title",
             "department": "department", "usageLocation": "usage_location"}
    for key, value in body.items():
        setattr(rec, attrs[key], value)
    return no_content()


def my_transitive_member_of(ctx: Ctx) -> Response:
    """Groups and active directory roles, direct or through role-assignable groups (§7)."""
    user = user_or_404(ctx, ctx.principal.oid)
    state = ctx.state
    cast = ctx.args[0] if ctx.args else ""
    rows: list[tuple[str, Any]] = []
    if cast in ("", "microsoft.graph.group"):
        rows += [("group", g) for g in state.groups_of(user.id)]
    if cast in ("", "microsoft.graph.directoryRole"):
        rows += [("directoryRole", directory_role_object(state, t))
                 for t in sorted(state.active_role_template_ids(user.id))]
    if cast not in ("", "microsoft.graph.group", "microsoft.graph.directoryRole"):
        raise bad_request(f"Resource not found for the segment '{cast}'.", "BadRequest")

    def build(row: tuple[str, Any], select: tuple[str, ...] | None) -> dict[str, Any]:
        kind, obj = row
        if kind == "group":
            return principal_shape("group", obj, select)
        body = DIRECTORY_ROLE.build_own(obj, select) if select else DIRECTORY_ROLE.build(obj, None)
        return {"@odata.type": "#microsoft.graph.directoryRole", **body}

    # The cast narrows the collection to one type, so $select is judged against that type (S39).
    shape = {"microsoft.graph.group": DirectoryObjectsShape(GROUP),
             "microsoft.graph.directoryRole": DirectoryObjectsShape(DIRECTORY_ROLE)}.get(cast, DIRECTORY_OBJECTS)
    return collection(ctx, name="transitiveMemberOf", rows=rows, keep=lambda r: True, build=build,
                      shape=shape, context="directoryObjects")


def get_mfa_requirements(ctx: Ctx) -> Response:
    key = ctx.args[0] if ctx.args else ctx.principal.oid
    rec = user_or_404(ctx, key)
    return entity(ctx, f"users('{rec.id}')/authentication/requirements",
                  {"perUserMfaState": rec.per_user_mfa})


def patch_mfa_requirements(ctx: Ctx) -> Response:
    key = ctx.args[0] if ctx.args else ctx.principal.oid
    rec = user_or_404(ctx, key)
    body = ctx.body()
    value = body.get("perUserMfaState")
    if set(body) != {"perUserMfaState"} or value not in MFA_STATES:
        raise bad_request("Invalid value specified for property 'perUserMfaState'.")
    # §5.1: enabling for a user who already registered a method turns it into enforced.
    rec.per_user_mfa = "enforced" if value == "enabled" and rec.methods else value
    return no_content()
