"""Azure AD B2C cleanup endpoints (graph-facts §6, S36): user flows, identity providers, custom
policies and policy keys, all of which must go before a B2C tenant can be deleted.

Beta b2cUserFlows and trustFramework types are absent from the stored CSDL snapshots (beta-Prod
was not captured), so their payloads carry only the documented id/displayName-level fields.
"""

from __future__ import annotations

from typing import Any

from closegate.emulator.graph_common import Ctx, collection, no_content
from closegate.emulator.odata import GraphFault
from closegate.emulator.shapes import EntityShape
from closegate.emulator.wire import Response

__all__ = ["B2C_COLLECTIONS", "delete_b2c_item", "list_b2c"]

# resource path -> (attribute on state.b2c, OData type, emitted keys)
B2C_COLLECTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "identity/b2cUserFlows": ("user_flows", "microsoft.graph.b2cIdentityUserFlow",
                              ("id", "userFlowType", "userFlowTypeVersion")),
    "identity/identityProviders": ("identity_providers", "microsoft.graph.socialIdentityProvider",
                                   ("id", "displayName", "identityProviderType", "clientId")),
    "trustFramework/policies": ("policies", "microsoft.graph.trustFrameworkPolicy", ("id",)),
    "trustFramework/keySets": ("key_sets", "microsoft.graph.trustFrameworkKeySet", ("id",)),
}


def _collection_of(ctx: Ctx) -> tuple[str, tuple[str, str, tuple[str, ...]]]:
    base = ctx.resource if ctx.resource in B2C_COLLECTIONS else ctx.resource.rsplit("/", 1)[0]
    spec = B2C_COLLECTIONS[base]
    is_b2c = ctx.state.organization.tenant_type == "AAD B2C"
    if not is_b2c and base != "identity/identityProviders":
        raise GraphFault(400, "AADB2CTenantNotFound", "This operation is only supported for Azure AD "
                         "B2C tenants.")
    return base, spec


def list_b2c(ctx: Ctx) -> Response:
    base, (attr, type_name, keys) = _collection_of(ctx)
    shape = EntityShape(type_name, {k: (lambda key: lambda r: r.get(key))(k) for k in keys})
    odata_type = base == "identity/identityProviders"

    def build(row: dict[str, Any], select: tuple[str, ...] | None) -> dict[str, Any]:
        body = shape.build(row, select)
        return {"@odata.type": f"#{type_name}", **body} if odata_type else body

    return collection(ctx, name=attr, rows=list(getattr(ctx.state.b2c, attr)), keep=lambda r: True,
                      build=build, shape=shape, context=base)


def delete_b2c_item(ctx: Ctx) -> Response:
    _, (attr, _type, _keys) = _collection_of(ctx)
    items: list[dict[str, Any]] = getattr(ctx.state.b2c, attr)
    for item in items:
        if item["id"] == ctx.args[0]:
            items.remove(item)
            return no_content()
    raise GraphFault(404, "ResourceNotFound", f"Resource '{ctx.args[0]}' does not exist.")
