"""Graph application registrations and service principals (graph-facts §6).

Some Microsoft first-party service principals cannot be deleted; S1 says to disable them instead
(PATCH accountEnabled=false) and S35 says they do not block tenant deletion.
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
    SERVICE_PRINCIPAL,
    principal_shape,
)
from closegate.emulator.wire import Response

__all__ = ["application_owners", "delete_application", "delete_service_principal", "get_application",
           "get_service_principal", "list_applications", "list_service_principals",
           "patch_service_principal", "service_principal_owners"]

_APP_FILTER = {n: APPLICATION.props[n] for n in ("id", "appId", "displayName", "signInAudience")}
_SP_FILTER = {n: SERVICE_PRINCIPAL.props[n] for n in ("id", "appId", "displayName", "accountEnabled",
                                                      "servicePrincipalType", "appOwnerOrganizationId")}


def _not_found(key: str) -> GraphFault:
    return GraphFault(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist or one of "
                      "its queried reference-property objects are not present.")


def list_applications(ctx: Ctx) -> Response:
    state, now = ctx.state, ctx.now
    return collection(ctx, name="applications", rows=list(state.applications.values()),
                      keep=lambda a: state.listed(a.deleted_at, now), build=APPLICATION.build,
                      shape=APPLICATION, filter_props=_APP_FILTER, resource_label="Application")


def _app(ctx: Ctx) -> Any:
    key = ctx.args[0]
    by_app_id = ctx.resource.startswith("applications(")
    for app in ctx.state.applications.values():
        if (app.app_id if by_app_id else app.id) == key and app.deleted_at is None:
            return app
    raise _not_found(key)


def get_application(ctx: Ctx) -> Response:
    return entity(ctx, "applications/$entity", APPLICATION.build(_app(ctx), select_of(ctx, APPLICATION)))


def _owners(ctx: Ctx, owner_ids: tuple[str, ...]) -> Response:
    """An object's owners: a directoryObject collection of users and service principals
    (application-list-owners, serviceprincipal-list-owners); deleted owners are not listed."""
    state = ctx.state
    owners = [found for oid in owner_ids if (found := state.directory_object(oid)) is not None]
    return collection(ctx, name="owners", rows=owners, keep=lambda r: True,
                      build=lambda o, s: principal_shape(o[0], o[1], s), shape=DIRECTORY_OBJECTS,
                      context="directoryObjects")


def application_owners(ctx: Ctx) -> Response:
    return _owners(ctx, _app(ctx).owner_ids)


def service_principal_owners(ctx: Ctx) -> Response:
    return _owners(ctx, _sp(ctx).owner_ids)


def delete_application(ctx: Ctx) -> Response:
    app = _app(ctx)
    app.deleted_at = ctx.now
    for sp in ctx.state.service_principals.values():  # the home tenant's SP goes with its app
        if sp.app_id == app.app_id and sp.deleted_at is None and sp.deletable:
            sp.deleted_at = ctx.now
    return no_content()


def list_service_principals(ctx: Ctx) -> Response:
    state, now = ctx.state, ctx.now
    return collection(ctx, name="servicePrincipals", rows=list(state.service_principals.values()),
                      keep=lambda s: state.listed(s.deleted_at, now), build=SERVICE_PRINCIPAL.build,
                      shape=SERVICE_PRINCIPAL, filter_props=_SP_FILTER, resource_label="ServicePrincipal")


def _sp(ctx: Ctx) -> Any:
    key = ctx.args[0]
    by_app_id = ctx.resource.startswith("servicePrincipals(")
    for sp in ctx.state.service_principals.values():
        if (sp.app_id if by_app_id else sp.id) == key and sp.deleted_at is None:
            return sp
    raise _not_found(key)


def get_service_principal(ctx: Ctx) -> Response:
    sp = _sp(ctx)
    return entity(ctx, "servicePrincipals/$entity", SERVICE_PRINCIPAL.build(sp, select_of(ctx, SERVICE_PRINCIPAL)))


def delete_service_principal(ctx: Ctx) -> Response:
    sp = _sp(ctx)
    waiting = [a for a in sp.delete_after
               if any(o.app_id == a and o.deleted_at is None for o in ctx.state.service_principals.values())]
    if not sp.deletable or waiting:
        # Graph refuses first-party deletions with the generic authorization error (observed in
        # S1's troubleshooting and the azure-docs issue #86015 discussion: errors here are expected).
        # One that only waits for others (§12.4 "repeat multiple times") gets the same answer:
        # undocumented, and the worse case for a client that gives up after one pass.
        raise GraphFault(403, "Authorization_RequestDenied",
                         "Insufficient privileges to complete the operation.")
    sp.deleted_at = ctx.now
    return no_content()


def patch_service_principal(ctx: Ctx) -> Response:
    sp = _sp(ctx)
    body = ctx.body()
    if set(body) - {"accountEnabled", "tags"}:
        bad = sorted(set(body) - {"accountEnabled", "tags"})[0]
        raise bad_request(f"Property '{bad}' is read-only or not supported by this emulator.")
    if "accountEnabled" in body:
        if not isinstance(body["accountEnabled"], bool):
            raise bad_request("Invalid value specified for property 'accountEnabled'.")
        sp.account_enabled = body["accountEnabled"]
    if "tags" in body:
        if not isinstance(body["tags"], list) or not all(isinstance(t, str) for t in body["tags"]):
            raise bad_request("Invalid value specified for property 'tags'.")
        sp.tags = tuple(body["tags"])
    return no_content()
