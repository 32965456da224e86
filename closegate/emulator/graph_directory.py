"""Graph groups and the directory recycle bin (graph-facts §2.3, S25).

The recycle bin is only listed by type (`directory/deletedItems/microsoft.graph.user`); an untyped
list is an error. Permanent delete and restore act on any deleted object by id, with the
permissions of its type.
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
from closegate.emulator.odata import GraphFault, bad_request
from closegate.emulator.shapes import (
    APPLICATION,
    DIRECTORY_OBJECTS,
    GROUP,
    SERVICE_PRINCIPAL,
    USER,
    principal_shape,
)
from closegate.emulator.wire import Response

__all__ = [
    "DELETED_TYPES", "deleted_item", "get_group", "group_members", "list_deleted", "list_groups",
    "purge_deleted", "restore_deleted", "untyped_deleted",
]

# groupTypes/any(c:c eq 'Unified') lists Microsoft 365 groups (learn: graph/api/group-list);
# resourceProvisioningOptions/Any(x:x eq 'Team') lists teams (learn: graph/teams-list-all-teams)
_GROUP_FILTER = {n: GROUP.props[n] for n in ("id", "displayName", "isAssignableToRole",
                                            "securityEnabled", "mailEnabled", "mailNickname",
                                            "groupTypes", "resourceProvisioningOptions")}
DENIED = "Insufficient privileges to complete the operation."

# cast segment -> (kind, table attribute, shape, permissions that may read, permissions that may write)
DELETED_TYPES: dict[str, tuple[str, str, Any, frozenset[str], frozenset[str]]] = {
    "microsoft.graph.user": (
        "user", "users", USER,
        frozenset({"User.DeleteRestore.All", "User.Read.All", "User.ReadWrite.All",
                   "Directory.Read.All", "Directory.ReadWrite.All"}),
        frozenset({"User.DeleteRestore.All", "User.ReadWrite.All"})),
    "microsoft.graph.group": (
        "group", "groups", GROUP,
        frozenset({"Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All",
                   "Directory.ReadWrite.All"}),
        frozenset({"Group.ReadWrite.All"})),
    "microsoft.graph.application": (
        "application", "applications", APPLICATION,
        frozenset({"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All",
                   "Directory.ReadWrite.All"}),
        frozenset({"Application.ReadWrite.All"})),
    "microsoft.graph.servicePrincipal": (
        "servicePrincipal", "service_principals", SERVICE_PRINCIPAL,
        frozenset({"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All",
                   "Directory.ReadWrite.All"}),
        frozenset({"Application.ReadWrite.All"})),
}


def _not_found(key: str) -> GraphFault:
    return GraphFault(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist or one of "
                      "its queried reference-property objects are not present.")


def list_groups(ctx: Ctx) -> Response:
    state, now = ctx.state, ctx.now
    return collection(ctx, name="groups", rows=list(state.groups.values()),
                      keep=lambda g: state.listed(g.deleted_at, now), build=GROUP.build, shape=GROUP,
                      filter_props=_GROUP_FILTER, resource_label="Group")


def _group_or_404(ctx: Ctx) -> Any:
    group = ctx.state.groups.get(ctx.args[0])
    if group is None or group.deleted_at is not None:
        raise _not_found(ctx.args[0])
    return group


def get_group(ctx: Ctx) -> Response:
    group = _group_or_404(ctx)
    return entity(ctx, "groups/$entity", GROUP.build(group, select_of(ctx, GROUP)))


def group_members(ctx: Ctx) -> Response:
    group = _group_or_404(ctx)
    state = ctx.state
    members = [found for mid in group.member_ids if (found := state.directory_object(mid))]
    return collection(ctx, name="members", rows=members, keep=lambda r: True,
                      build=lambda m, s: principal_shape(m[0], m[1], s), shape=DIRECTORY_OBJECTS,
                      context="directoryObjects")


def untyped_deleted(ctx: Ctx) -> Response:
    raise bad_request("The OData cast type is a required part of the URI: use "
                      "/directory/deletedItems/microsoft.graph.user (or .group, .application, "
                      ".servicePrincipal).")


def _check(ctx: Ctx, allowed: frozenset[str]) -> None:
    if not ctx.principal.permissions & allowed:
        raise GraphFault(403, "Authorization_RequestDenied", DENIED)


def list_deleted(ctx: Ctx) -> Response:
    cast = ctx.args[0]
    if cast not in DELETED_TYPES:
        raise bad_request(f"Resource not found for the segment '{cast}'.", "BadRequest")
    kind, table, shape, readers, _ = DELETED_TYPES[cast]
    _check(ctx, readers)
    rows = getattr(ctx.state, table)
    rows = ctx.state.user_list if kind == "user" else list(rows.values())
    position = (lambda u: u.seq) if kind == "user" else None
    filter_props = {n: shape.props[n] for n in ("id", "displayName") if n in shape.props}
    return collection(ctx, name=f"deletedItems.{kind}", rows=rows,
                      keep=lambda r: r.deleted_at is not None, build=_deleted_builder(shape), shape=shape,
                      filter_props=filter_props, position=position,
                      context=f"directory/deletedItems/{cast}")


def _deleted_builder(shape: Any) -> Any:
    """Recycle-bin listings carry deletedDateTime even without $select (S25 samples)."""
    default = tuple(dict.fromkeys((*shape.default, "deletedDateTime")))
    return lambda rec, select: shape.build(rec, select or default)


def _find_deleted(ctx: Ctx) -> tuple[str, Any]:
    key = ctx.args[0]
    for cast, (kind, table, _shape, _r, _w) in DELETED_TYPES.items():
        rec = getattr(ctx.state, table).get(key)
        if rec is not None and rec.deleted_at is not None:
            return cast, rec
    raise _not_found(key)


def deleted_item(ctx: Ctx) -> Response:
    cast, rec = _find_deleted(ctx)
    kind, _, shape, readers, _ = DELETED_TYPES[cast]
    _check(ctx, readers)
    body = {"@odata.type": f"#{cast}", **_deleted_builder(shape)(rec, select_of(ctx, shape))}
    return entity(ctx, "directory/deletedItems/$entity", body)


def purge_deleted(ctx: Ctx) -> Response:
    cast, rec = _find_deleted(ctx)
    kind, table, _, _, writers = DELETED_TYPES[cast]
    _check(ctx, writers)
    if kind == "user":
        ctx.state.purge_user(rec)
    else:
        del getattr(ctx.state, table)[rec.id]
    return no_content()


def restore_deleted(ctx: Ctx) -> Response:
    cast, rec = _find_deleted(ctx)
    kind, _, shape, _, writers = DELETED_TYPES[cast]
    _check(ctx, writers)
    if kind == "group" and not rec.group_types:
        raise bad_request("Security groups cannot be restored.")  # S25
    rec.deleted_at = None  # S25: restoring an application does not restore its service principal
    return entity(ctx, "directoryObjects/$entity", {"@odata.type": f"#{cast}", **shape.build(rec, None)})
